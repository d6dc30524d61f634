"""Thin Prefect flows and the `keepwarm` command line.

Kept import-free so that `keepwarm report` and `keepwarm people` never import Prefect.
"""
