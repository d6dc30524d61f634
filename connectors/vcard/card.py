"""One framed card -> the facts keepwarm keeps (name, identities, categories, birthday).

Lines are split by vobject's own line grammar (`vobject.base.parseLine`: group, name,
parameters incl. vCard 2.1 bare singletons, raw value); values are decoded in vcard.values.
Only the properties we use are parsed, so a garbled PHOTO or X- line costs nothing, while a
garbled FN/EMAIL/TEL line is reported instead of vanishing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr

from vobject.base import VObjectError, parseLine

from connectors.base import Me
from connectors.vcard.lines import RawCard
from connectors.vcard.values import (
    decode_value,
    parse_birthday,
    split_escaped,
    squash,
    unescape,
)
from models.identity import normalize_email, normalize_phone

USED = frozenset(
    {"FN", "N", "ORG", "EMAIL", "TEL", "CATEGORIES", "BDAY", "UID", "KIND", "X-ABSHOWAS"}
    | {"X-ADDRESSBOOKSERVER-KIND"}
)
_NAME = re.compile(r"(?:[A-Za-z0-9_-]+\.)?([A-Za-z0-9_-]+)")
# Dial pauses and waits (`p`, `w`, `,`) end the part of a number that identifies someone.
_DIAL_PAUSE = re.compile(r"[pPwW,]")
_NOT_A_PERSON_LINE = frozenset({"FAX", "PAGER"})
_VOICE = frozenset({"VOICE", "CELL", "MOBILE", "IPHONE", "MAIN"})


@dataclass(frozen=True, slots=True)
class Prop:
    name: str
    params: dict[str, list[str]]
    singles: frozenset[str]
    value: str


@dataclass(slots=True)
class CardFacts:
    """What one card says; `problems` are (line, reason) for used lines we could not read."""

    uid: str | None = None
    name: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    mine: int = 0
    categories: list[str] = field(default_factory=list)
    birthday: str | None = None
    is_org: bool = False
    is_group: bool = False
    problems: list[tuple[int, str]] = field(default_factory=list)


def read_props(card: RawCard, clean: bool, problems: list[tuple[int, str]]) -> list[Prop]:
    """Parse the lines whose property we use; value decoded (QP, CHARSET), not unescaped."""
    props: list[Prop] = []
    for number, line in card.lines:
        head = _NAME.match(line)
        if head is None:
            continue
        upper = head[1].upper()
        if upper not in USED and not upper.startswith("X-ABSHOWAS"):
            continue
        try:
            name, raw_params, value, _group = parseLine(line, number)
        except VObjectError:
            problems.append((number, f"unreadable {upper} line ignored (no ':' or bad parameters)"))
            continue
        params: dict[str, list[str]] = {}
        singles: set[str] = set()
        for entry in raw_params:
            if len(entry) == 1:
                singles.add(entry[0].upper())
            else:
                params.setdefault(entry[0].upper(), []).extend(entry[1:])
        encodings = {v.lower() for v in params.get("ENCODING", ())}
        qp = "quoted-printable" in encodings or "QUOTED-PRINTABLE" in singles
        charset = params["CHARSET"][0] if params.get("CHARSET") else None
        try:
            text = decode_value(value, qp=qp, charset=charset, clean=clean)
        except (ValueError, UnicodeError) as exc:
            problems.append((number, f"undecodable {upper} value ignored: {exc}"))
            continue
        props.append(Prop(name.upper(), params, frozenset(singles), text))
    return props


def _types(prop: Prop) -> set[str]:
    found = {s for s in prop.singles}
    for value in prop.params.get("TYPE", ()):
        found.update(part.strip().upper() for part in value.split(","))
    return found


def name_from_n(value: str) -> str | None:
    """N = family;given;additional;prefixes;suffixes -> "prefix given additional family suffix"."""
    parts = [
        squash(" ".join(unescape(v) for v in split_escaped(p, ",")))
        for p in split_escaped(value, ";")
    ]
    parts += [""] * (5 - len(parts))
    family, given, additional, prefix, suffix = parts[:5]
    return squash(" ".join((prefix, given, additional, family, suffix))) or None


def _first_org(value: str) -> str | None:
    parts = [squash(unescape(p)) for p in split_escaped(value, ";")]
    return next((p for p in parts if p), None)


def _email(value: str) -> str | None:
    text = squash(unescape(value))
    if "<" in text:
        text = parseaddr(text)[1] or text
    return normalize_email(text)


def _phone(prop: Prop, region: str) -> str | None:
    types = _types(prop)
    if types & _NOT_A_PERSON_LINE and not types & _VOICE:
        return None  # a shared office fax would merge everyone who lists it
    text = unescape(prop.value).strip()
    if not text.lower().startswith("tel:"):
        text = _DIAL_PAUSE.split(text, maxsplit=1)[0]
    return normalize_phone(text, region)


def card_facts(card: RawCard, clean: bool, me: Me) -> CardFacts:
    facts = CardFacts()
    props = read_props(card, clean, facts.problems)
    fn: str | None = None
    n_name: str | None = None
    org: str | None = None
    seen_categories: set[str] = set()
    for prop in props:
        name = prop.name
        if name == "FN" and fn is None:
            fn = squash(unescape(prop.value)) or None
        elif name == "N" and n_name is None:
            n_name = name_from_n(prop.value)
        elif name == "ORG" and org is None:
            org = _first_org(prop.value)
        elif name == "EMAIL":
            email = _email(prop.value)
            if email in me.emails:
                facts.mine += 1
            elif email and email not in facts.emails:
                facts.emails.append(email)
        elif name == "TEL":
            phone = _phone(prop, me.default_region)
            if phone in me.phones:
                facts.mine += 1
            elif phone and phone not in facts.phones:
                facts.phones.append(phone)
        elif name == "CATEGORIES":
            # Thunderbird add-ons write `a\, b`: an escaped comma in a category name is far
            # rarer than an over-escaping exporter, so every comma separates.
            for part in split_escaped(prop.value.replace("\\,", ","), ","):
                category = squash(unescape(part))
                if category and category.casefold() not in seen_categories:
                    seen_categories.add(category.casefold())
                    facts.categories.append(category)
        elif name == "BDAY" and facts.birthday is None:
            facts.birthday = parse_birthday(unescape(prop.value))
        elif name == "UID" and facts.uid is None:
            facts.uid = squash(unescape(prop.value)) or None
        elif name in ("KIND", "X-ADDRESSBOOKSERVER-KIND"):
            kind = prop.value.strip().lower()
            facts.is_org = facts.is_org or kind in ("org", "organization")
            facts.is_group = facts.is_group or kind == "group"
        elif name.startswith("X-ABSHOWAS"):
            facts.is_org = facts.is_org or prop.value.strip().upper() == "COMPANY"
    if fn is None and n_name is None and org is not None:
        facts.is_org = True
    if n_name is None and fn is not None and org is not None and fn.casefold() == org.casefold():
        facts.is_org = True  # Google/Outlook company entries: FN = ORG, empty N
    facts.name = fn or n_name or (org if facts.is_org else None)
    return facts
