"""A strict copy of DESIGN.md's "Report JSON" shape, checked by hand (no extra dependency)."""

from __future__ import annotations

import re
from typing import Any

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
PERSON_KEYS = {
    "id": str,
    "name": str,
    "emails": list,
    "phones": list,
    "tier": (str, type(None)),
    "cadence_days": int,
    "cadence_source": str,
    "last_contact": (dict, type(None)),
    "last_inbound_at": (str, type(None)),
    "last_outbound_at": (str, type(None)),
    "next_planned_at": (str, type(None)),
    "days_since": (int, type(None)),
    "overdue_ratio": (float, int, type(None)),
    "status": str,
    "interactions_365d": int,
    "reason": str,
    "strength": int,
    "snoozed_until": (str, type(None)),
    "ignored": bool,
}
DIGEST_ITEM_KEYS = {
    "id": str,
    "name": str,
    "emails": list,
    "kind": str,
    "reason": str,
    "score": (float, int),
}
KINDS = {"reply", "drifting", "fading", "new", "reconnect", "birthday"}


def _time(value: Any, where: str) -> None:
    if value is not None:
        assert isinstance(value, str) and ISO_UTC.match(value), f"{where}: {value!r} not ISO UTC"


def validate_report_json(data: dict[str, Any]) -> None:
    assert set(data) == {"as_of", "generated_at", "digest", "people"}, set(data)
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", data["as_of"])
    _time(data["generated_at"], "generated_at")
    digest = data["digest"]
    assert set(digest) == {"as_of", "budget", "items"}, set(digest)
    assert digest["as_of"] == data["as_of"] and isinstance(digest["budget"], int)
    assert len(digest["items"]) <= digest["budget"]
    for item in digest["items"]:
        assert set(item) == set(DIGEST_ITEM_KEYS), set(item) ^ set(DIGEST_ITEM_KEYS)
        for key, kind in DIGEST_ITEM_KEYS.items():
            assert isinstance(item[key], kind), f"digest {key}: {item[key]!r}"
        assert item["kind"] in KINDS and 0 <= item["score"] <= 1 and item["reason"]
    assert len({item["id"] for item in digest["items"]}) == len(digest["items"])
    for person in data["people"]:
        assert set(person) == set(PERSON_KEYS), set(person) ^ set(PERSON_KEYS)
        for key, kind in PERSON_KEYS.items():
            assert isinstance(person[key], kind), f"{key}: {person[key]!r}"
        assert person["cadence_source"] in {"tier", "override", "inferred", "default"}
        assert person["status"] in {"warm", "cooling", "cold", "dormant", "never"}
        snoozed = person["snoozed_until"]
        assert snoozed is None or re.match(r"^\d{4}-\d{2}-\d{2}$", snoozed)
        for key in ("last_inbound_at", "last_outbound_at", "next_planned_at"):
            _time(person[key], key)
        last = person["last_contact"]
        if last is not None:
            assert set(last) == {"at", "channel", "direction", "source", "account"}
            _time(last["at"], "last_contact.at")
            assert last["direction"] in {"outbound", "inbound", "mutual"}
        if person["status"] == "never":
            assert last is None and person["days_since"] is None
        else:
            assert isinstance(person["days_since"], int)
