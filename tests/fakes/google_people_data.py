"""A small, deterministic Google Contacts book loaded into a `FakePeople`, with ground truth.

User groups "Inner circle", "Close friends" and "Network" stand for the cadence tiers
(`TIER_GROUPS`; a contact in two tier groups belongs to the tighter one); a few contacts sit in
no tier group, one is starred, one is an organisation (no name, an `organizations` entry), one
has only a phone, one has no year in its birthday, Gmail addresses come with dots and capitals.
Pass `people` (name, address) pairs, e.g. `CalendarTruth.people`, to make the contacts the
same people the calendar meets. `churn` then changes, adds and deletes a few contacts and says
which, for incremental-sync tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from functools import cache

from tests.fakes.google_people import FakePeople

TIER_GROUPS = {"Inner circle": "inner", "Close friends": "close", "Network": "network"}
TIER_ORDER = ["inner", "close", "friends", "network"]
OTHER_GROUPS = ["Book club", "Former colleagues"]


@cache
def _norm_email(address: str) -> str:
    from models.identity import normalize_email

    return normalize_email(address) or address.lower()


def _norm_phone(raw: str) -> str:
    from models.identity import normalize_phone

    return normalize_phone(raw, "US") or raw


@dataclass(frozen=True)
class ExpectedContact:
    resource_name: str
    name: str | None
    emails: tuple[str, ...]  # normalized (normalize_email)
    phones: tuple[str, ...]  # E.164
    birthday: tuple[int | None, int, int] | None  # (year or None, month, day)
    groups: frozenset[str]  # user group names
    starred: bool = False
    organisation: bool = False

    @property
    def tier(self) -> str | None:
        tiers = [TIER_GROUPS[g] for g in self.groups if g in TIER_GROUPS]
        return min(tiers, key=TIER_ORDER.index) if tiers else None


@dataclass
class ContactsTruth:
    groups: dict[str, str] = field(default_factory=dict)  # user group name → resource name
    contacts: dict[str, ExpectedContact] = field(default_factory=dict)  # by resource name
    deleted: set[str] = field(default_factory=set)

    def by_email(self) -> dict[str, ExpectedContact]:
        return {e: c for c in self.contacts.values() for e in c.emails}

    def tiers(self) -> dict[str, str]:
        """Normalized address → tier, for contacts in a tier group."""
        return {e: c.tier for e, c in self.by_email().items() if c.tier}

    def birthdays(self) -> dict[str, tuple[int | None, int, int]]:
        return {rn: c.birthday for rn, c in self.contacts.items() if c.birthday}


@dataclass
class Churn:
    changed: set[str] = field(default_factory=set)  # resource names updated or added
    deleted: set[str] = field(default_factory=set)


def _phone(rng: random.Random, n: int) -> tuple[str, str]:
    if n % 3 == 2:
        local = f"20 7946 0{rng.randrange(100, 999)}"
        return "+44 " + local, _norm_phone("+44 " + local)
    area = rng.choice(["202", "415", "617"])
    line = f"{rng.randrange(100, 199):04d}"
    display = f"({area}) 555-{line}"
    return display, _norm_phone(display)


def generate_contacts(
    fake: FakePeople,
    contacts: int = 40,
    *,
    seed: int = 7,
    user: str | None = None,
    people: list[tuple[str, str]] | None = None,
) -> ContactsTruth:
    """Load `contacts` contacts (plus the special cases) into `fake`; return the truth."""
    rng = random.Random(seed)
    book = fake.book(user or fake.address)
    truth = ContactsTruth()
    for name in [*TIER_GROUPS, *OTHER_GROUPS]:
        truth.groups[name] = book.add_group(name).resource_name
    book.add_group("Empty group")
    pool = list(people or [])
    n = 0
    while len(pool) < contacts:
        pool.append((f"Contact{n} Person{n}", f"contact{n}@people.example"))
        n += 1
    tiers = list(TIER_GROUPS)
    for i, (name, address) in enumerate(pool[:contacts]):
        groups: set[str] = set()
        if i < contacts // 2:
            groups.add(tiers[i % 3])
        if i % 9 == 0:
            groups.add(OTHER_GROUPS[i % 2])
        if i == 4:
            groups |= {"Inner circle", "Close friends"}  # two tiers: the tighter one wins
        emails = [address]
        if address.endswith("@gmail.com") and i % 2 == 0:
            emails = [address.split("@")[0].replace(".", "").title() + "@GMail.com"]
        if i % 7 == 3:
            emails.append(f"{address.split('@')[0]}@home.example")
        phones = [_phone(rng, i)] if i % 2 == 0 else []
        birthday: tuple[int | None, int, int] | None = None
        if i % 3 == 0:
            birthday = (None if i % 6 == 3 else 1970 + i % 30, 1 + i % 12, 1 + (i * 7) % 28)
        person = book.add_person(name, emails, phones, birthday=birthday,
                                 groups=sorted(groups), starred=i == 2,
                                 profile=i % 5 == 0)  # fmt: skip
        truth.contacts[person.resource_name] = ExpectedContact(
            person.resource_name, name, tuple(_norm_email(e) for e in emails),
            tuple(c for _, c in phones), birthday, frozenset(groups), starred=i == 2,
        )  # fmt: skip
    phone_only = _phone(rng, 1)
    person = book.add_person("Plumber Pete", [], [phone_only], groups=["Network"])
    truth.contacts[person.resource_name] = ExpectedContact(
        person.resource_name, "Plumber Pete", (), (phone_only[1],), None, frozenset({"Network"})
    )
    org_phone = _phone(rng, 2)
    person = book.add_person(None, ["hello@acme-plumbing.example"], [org_phone],
                             organization="Acme Plumbing")  # fmt: skip
    truth.contacts[person.resource_name] = ExpectedContact(
        person.resource_name, None, ("hello@acme-plumbing.example",), (org_phone[1],), None,
        frozenset(), organisation=True,
    )  # fmt: skip
    return truth


def churn(
    fake: FakePeople,
    truth: ContactsTruth,
    *,
    seed: int = 11,
    updates: int = 3,
    deletes: int = 2,
    adds: int = 2,
    user: str | None = None,
) -> Churn:
    """Change some contacts (a new email, a moved tier), delete some, add some; keep `truth`
    in step and say which resource names changed."""
    rng = random.Random(seed)
    book = fake.book(user or fake.address)
    out = Churn()
    live = sorted(truth.contacts)
    picked = rng.sample(live, updates + deletes)
    for rn in picked[:updates]:
        old = truth.contacts[rn]
        email = f"new.{rn.split('/c')[1][:6]}@moved.example"
        groups = frozenset({"Close friends"}) if old.tier != "close" else frozenset({"Network"})
        book.update_person(rn, emails=[email], groups=sorted(groups))
        truth.contacts[rn] = replace(old, emails=(email,), groups=groups)
        out.changed.add(rn)
    for rn in picked[updates:]:
        book.delete_person(rn)
        del truth.contacts[rn]
        truth.deleted.add(rn)
        out.deleted.add(rn)
    for k in range(adds):
        name, address = f"Newcomer{k} Fresh", f"newcomer{k}@fresh.example"
        person = book.add_person(name, [address], groups=["Inner circle"])
        truth.contacts[person.resource_name] = ExpectedContact(
            person.resource_name, name, (address,), (), None, frozenset({"Inner circle"})
        )
        out.changed.add(person.resource_name)
    return out
