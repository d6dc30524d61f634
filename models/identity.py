"""Identity normalization: one spelling per email address and per phone number.

Two spellings of the same address must resolve to one person, so every connector
normalizes through here before a value reaches the store.
"""

from __future__ import annotations

import re
from email.utils import getaddresses

import phonenumbers

_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
_LOCAL_AND_DOMAIN = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]{2,}$")
_NOREPLY = re.compile(
    r"(^|[._+-])(no-?reply|do-?not-?reply|donotreply|mailer-daemon|postmaster|notifications?|"
    r"bounces?|alerts?|newsletters?|news|info|support|updates?|marketing|billing|"
    r"automated|system|digest)([._+-]|$)",
    re.IGNORECASE,
)


def normalize_email(raw: str) -> str | None:
    """Lower-case, strip `mailto:` and angle brackets; fold Gmail dots and `+tags`.

    Returns None for anything that is not a plausible address, so callers can count it.
    """
    value = raw.strip().strip("<>").strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    value = value.strip().lower()
    if not _LOCAL_AND_DOMAIN.match(value):
        if value.isascii():
            return None
        value = _international(value) or ""
        if not value:
            return None
    local, _, domain = value.rpartition("@")
    if domain in _GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
        if not local:
            return None
    return f"{local}@{domain}"


def _international(value: str) -> str | None:
    """A non-ASCII address (`jörg@bücher.example`, `用户@例子.中国`): email-validator decides,
    and the address is kept in its normalized Unicode form (the fast regex stays for ASCII)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.normalized.lower()


def normalize_phone(raw: str, default_region: str = "US") -> str | None:
    """E.164 via phonenumbers; None when the number cannot be a real one."""
    value = raw.strip()
    if value.lower().startswith("tel:"):
        value = value[4:]
    value = value.split(";", 1)[0]
    try:
        parsed = phonenumbers.parse(value, default_region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_addresses(*header_values: str | None) -> list[tuple[str, str]]:
    """(display name, normalized email) for every valid address in the given headers."""
    found: list[tuple[str, str]] = []
    values = [v for v in header_values if v]
    for name, addr in getaddresses(values):
        normalized = normalize_email(addr)
        if normalized:
            found.append((name.strip().strip('"').strip(), normalized))
    return found


def is_noreply(address: str) -> bool:
    """Senders that are machines, not people (noreply@, notifications@, bounces …)."""
    local = address.partition("@")[0]
    return bool(_NOREPLY.search(local))


def display_name_from_email(address: str) -> str:
    """A readable fallback name: `ada.lovelace@x` → `Ada Lovelace`."""
    local = address.partition("@")[0]
    parts = [p for p in re.split(r"[._-]+", local) if p]
    return " ".join(p.capitalize() for p in parts) or address
