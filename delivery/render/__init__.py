"""Report renderers: one module per format, all taking a models.report.Report."""

from __future__ import annotations

import importlib

from models.config import Config
from models.report import Report

FORMATS = ("text", "markdown", "html", "json", "csv", "slack")


def render(report: Report, fmt: str, config: Config | None = None) -> str:
    """Render with the module named after the format (imported lazily).

    The digests (html, slack) show local dates in `[report] timezone`, and slack honours
    `[report.slack] hide_addresses`, so the same options apply on the CLI and in delivery.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"delivery.render.{fmt}_format")
    if config is not None and fmt == "html":
        return str(module.render(report, timezone=config.report.timezone))
    if config is not None and fmt == "slack":
        return str(
            module.render(
                report,
                timezone=config.report.timezone,
                hide_addresses=config.report.slack.hide_addresses,
            )
        )
    return str(module.render(report))
