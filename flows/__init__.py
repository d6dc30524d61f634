"""Prefect flows and their thin tasks, nothing else: sync one account, sync all, backfill,
build the report, deliver, nightly. The work they schedule lives below them (ingest/,
delivery/, models/); the command line (cli/) and deployments/ call them."""
