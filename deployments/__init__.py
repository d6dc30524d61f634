"""Prefect deployments: `prefect.yaml` for a server + workers, `serve` for one machine."""
