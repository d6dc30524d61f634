"""JSON exactly as DESIGN.md's "Report JSON" (other tools parse it)."""

from __future__ import annotations

import json

from models.report import Report


def render(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
