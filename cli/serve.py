"""`keepwarm serve`: this machine runs the deployments (deployments/serve.py) on their
schedules. The CLI may import deployments/: it is the floor above them."""

from __future__ import annotations

from cli.common import ConfigOpt, config_path, load, prefect_env


def serve(config: ConfigOpt = None) -> None:
    """Run the nightly and backfill deployments on this machine (Prefect serve)."""
    cfg = load(config)
    prefect_env()
    from deployments.serve import serve_all

    serve_all(config_path(config, cfg), cfg)
