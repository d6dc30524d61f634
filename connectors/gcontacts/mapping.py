"""A People API person → a ContactCard, with the facts a vCard gives (connectors.vcard):

- key `gcontacts:<account>:<resourceName>` (`people/c…`, stable for the contact's life);
- name: the primary `names[].displayName`; a contact with no name but an organization is an
  organisation card (as a vCard with ORG and no FN/N is), named by it;
- emails (normalized; Gmail dots and +tags folded) and phones (`canonicalForm`, else the
  value read in your default region, to E.164), your own left out;
- categories: the names of the contact groups it belongs to — your own groups by name, and
  the system groups a person chooses (Starred, Friends, Family, Coworkers) by their shown
  name; never My Contacts / All — so tiers match group names case-insensitively, exactly as
  vCard CATEGORIES do (models.staleness.tier_for);
- birthday: `YYYY-MM-DD`, or `--MM-DD` without a year — vCard's form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from connectors.base import Me
from models.identity import normalize_email, normalize_phone
from models.records import ContactCard, Skip

SOURCE = "gcontacts"
# System groups that say something about the person (their formattedName is the category).
PERSONAL_SYSTEM_GROUPS = frozenset({"starred", "friends", "family", "coworkers"})


def card_prefix(account: str) -> str:
    return f"{SOURCE}:{account}:"


def card_key(account: str, resource_name: str) -> str:
    return f"{card_prefix(account)}{resource_name}"


def group_categories(groups: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """contactGroups.list entries → {resource name: category}, for the groups that are one."""
    out: dict[str, str] = {}
    for group in groups:
        rn = str(group.get("resourceName") or "")
        if not rn or (group.get("metadata") or {}).get("deleted"):
            continue
        if group.get("groupType") == "SYSTEM_CONTACT_GROUP":
            if rn.split("/", 1)[-1] in PERSONAL_SYSTEM_GROUPS:
                name = str(group.get("formattedName") or group.get("name") or "").strip()
                if name:
                    out[rn] = name
            continue
        name = str(group.get("name") or group.get("formattedName") or "").strip()
        if name:
            out[rn] = name
    return out


def _primary(entries: Any) -> Mapping[str, Any] | None:
    if not isinstance(entries, list) or not entries:
        return None
    good = [e for e in entries if isinstance(e, Mapping)]
    for entry in good:
        if (entry.get("metadata") or {}).get("primary"):
            return entry
    return good[0] if good else None


def birthday_text(entries: Any) -> str | None:
    entry = _primary(entries)
    when = entry.get("date") if entry is not None else None
    if not isinstance(when, Mapping):
        return None
    try:
        month, day = int(when.get("month") or 0), int(when.get("day") or 0)
        year = int(when["year"]) if when.get("year") else None
        date(2000 if year is None else year, month, day)
    except (TypeError, ValueError):
        return None
    return f"--{month:02d}-{day:02d}" if year is None else f"{year:04d}-{month:02d}-{day:02d}"


def person_card(
    person: Mapping[str, Any], *, account: str, me: Me, groups: Mapping[str, str]
) -> ContactCard | Skip:
    rn = str(person.get("resourceName") or "")
    where = card_key(account, rn or "?")
    if not rn:
        return Skip(where, "contact without resourceName")
    names = _primary(person.get("names"))
    name = str(names.get("displayName") or "").strip() if names else ""
    org_entry = _primary(person.get("organizations"))
    organization = str(org_entry.get("name") or "").strip() if org_entry else ""
    emails: list[str] = []
    phones: list[str] = []
    mine = 0
    for entry in person.get("emailAddresses") or []:
        value = normalize_email(str(entry.get("value") or "")) if isinstance(entry, dict) else None
        if value in me.emails:
            mine += 1
        elif value and value not in emails:
            emails.append(value)
    for entry in person.get("phoneNumbers") or []:
        if not isinstance(entry, dict):
            continue
        raw = str(entry.get("canonicalForm") or entry.get("value") or "")
        value = normalize_phone(raw, me.default_region)
        if value in me.phones:
            mine += 1
        elif value and value not in phones:
            phones.append(value)
    if mine and not (emails or phones):
        return Skip(where, "your own contact (only your addresses/numbers)")
    is_org = not name and bool(organization)
    if not (name or emails or phones or is_org):
        return Skip(where, "contact has no name, email or phone")
    categories: list[str] = []
    for membership in person.get("memberships") or []:
        ref = (membership or {}).get("contactGroupMembership") or {}
        category = groups.get(str(ref.get("contactGroupResourceName") or ""))
        if category and category.casefold() not in {c.casefold() for c in categories}:
            categories.append(category)
    shown = name or organization
    return ContactCard(
        key=card_key(account, rn),
        source=SOURCE,
        account=account,
        name=shown[:300] if shown else None,
        emails=tuple(emails),
        phones=tuple(phones),
        categories=tuple(categories),
        birthday=birthday_text(person.get("birthdays")),
        is_org=is_org,
        origin=rn[:500],
    )
