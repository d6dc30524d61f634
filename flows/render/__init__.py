"""Report renderers: one module per format, all taking a models.report.Report."""

from __future__ import annotations

import importlib
from typing import Protocol

from models.report import Report

FORMATS = ("text", "markdown", "html", "json", "csv", "slack")


class Renderer(Protocol):
    def __call__(self, report: Report, /) -> str: ...


def render(report: Report, fmt: str) -> str:
    """Render with the module named after the format (imported lazily)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"flows.render.{fmt}_format")
    renderer: Renderer = module.render
    return renderer(report)
