"""CSV for spreadsheets: one row per person, the report's order; `digest` names the kind of
those in today's digest."""

from __future__ import annotations

import csv
import io

from models.report import Report

COLUMNS = (
    "name",
    "status",
    "days_since",
    "cadence_days",
    "cadence_source",
    "overdue_ratio",
    "tier",
    "last_contact_at",
    "last_contact_channel",
    "last_contact_direction",
    "next_planned_at",
    "interactions_365d",
    "emails",
    "phones",
    "reason",
    "digest",
    "strength",
    "snoozed_until",
    "ignored",
    "id",
)


def render(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    kinds = {item.id: item.kind for item in report.digest.items}
    for p in report.model_dump(mode="json")["people"]:
        last = p["last_contact"] or {}
        writer.writerow(
            [
                p["name"],
                p["status"],
                p["days_since"] if p["days_since"] is not None else "",
                p["cadence_days"],
                p["cadence_source"],
                p["overdue_ratio"] if p["overdue_ratio"] is not None else "",
                p["tier"] or "",
                last.get("at", ""),
                last.get("channel", ""),
                last.get("direction", ""),
                p["next_planned_at"] or "",
                p["interactions_365d"],
                ";".join(p["emails"]),
                ";".join(p["phones"]),
                p["reason"],
                kinds.get(p["id"], ""),
                p["strength"],
                p["snoozed_until"] or "",
                "yes" if p["ignored"] else "",
                p["id"],
            ]
        )
    return out.getvalue()
