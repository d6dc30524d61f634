"""Multi-year histories whose people are clear archetypes, labelled by construction.

`generate_history(out_dir, today)` writes what Sam Rivera's ten-year mailbox looks like as
exports — `contacts.vcf`, a Google Takeout `takeout.mbox`, `calendar.ics` — and says in
`HistorySet.truth` what the report and the morning digest (DESIGN.md) must say about each
person: ties lost years ago, ties being lost now, mail waiting for an answer, people just met,
and the bulk senders that must never become people.

Every person is one archetype (see ARCHETYPES) and the archetype states the expected status
and digest kind; the contact history is written to make it so. `samples.judge` then checks,
from the mails and meetings as written (not from what the archetype meant to write), that the
rules give exactly those labels; a generator that drifted from its labels fails loudly.

Output depends only on (today, seed, years, scale, drifting_crowd). Days are counted back
from `today` in UTC; nothing happens on `today` itself, so a report "as of today" sees all of
it whatever the hour.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from samples.generate import (
    BERLIN,
    CRLF,
    DEFAULT_DAYS,
    ME_NAME,
    ME_PERSONAL,
    ME_WORK,
    SUBJECTS,
    TIERS,
    VTIMEZONES,
    Ids,
    Mail,
    address,
    attendee,
    body_for,
    fold,
    ics_local,
    ics_utc,
    normalize,
    nth_weekday,
    qp,
    render_mail,
    rfc2047,
)
from samples.judge import (
    BUDGET,
    ExpectedDigest,
    MeetingFacts,
    Touch,
    Verdict,
    fill_digest,
    judge,
    mail_touches,
    meeting_touches,
)

ME_OLD_WORK = "s.rivera@northwind-labs.example"  # Sam's address at the previous job
ME_ALL = (ME_PERSONAL, ME_WORK, ME_OLD_WORK)
MIN_YEARS = 6
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# What each archetype is; `status`/`kind` are what the rules must say (DESIGN.md).
ARCHETYPES: dict[str, str] = {
    "drifting-weekly-email": "wrote every week for years, silent 5-6 weeks",
    "drifting-weekly-1on1": "weekly 1:1s for years ended 7-8 weeks ago (they changed teams)",
    "drifting-close-month-late": "close-tier friend, a month past the 30-day cadence",
    "drifting-network-year-late": "network-tier acquaintance, a year past the 180-day cadence",
    "drifting-close-snooze": "close-tier friend gone cold: the tests snooze them",
    "drifting-meeting-planned": "cold friend with a dinner planned in 9 days: not in the digest",
    "reply-owed": "wrote to you personally 9-13 days ago; you have not answered",
    "reply-owed-meeting-planned": "wrote 6 days ago, unanswered; a meeting is planned in 5 days",
    "answered": "wrote 12 days ago and you answered the next day",
    "group-mail": "wrote to you and 11 others 8 days ago: not a reply owed",
    "cc-only": "wrote to a colleague with you in Cc 6 days ago: not a reply owed",
    "new-meeting": "first meeting 12-18 days ago with someone unknown before",
    "new-email-ignore": "you wrote first 20-23 days ago, one more day since: the tests ignore them",
    "not-new-flowing": "first contact 26 days ago, three more contact days since: not new",
    "reconnect-college-friend": "20+ contact days a year long ago (close tier), silent 3+ years",
    "reconnect-old-colleague": "weekly 1:1s at the previous job, silent 3+ years",
    "reconnect-flatmate": "saw each other every week or two, moved away 3+ years ago",
    "dormant-not-strong": "seven contact days one year long ago: lost, but not a strong tie",
    "ancient-one-off": "a single exchange or meeting 7-10 years ago",
    "weak-acquaintance": "2-3 contact days, the last 200-300 days ago: never established",
    "warm-active": "regular contact, recent",
    "never": "a card with no contact at all",
    "name-from-headers": "first record is your mail without a display name; she signs 30 times",
    "drifting-crowd": "an extra established, drifting friend (the rotation test's crowd)",
    "inbound-only": "wrote to you but you never wrote back or met: not a person",
    "newsletter-replied": "a newsletter you answered once: a bulk sender is never a person",
    "ticket-system-replied": "a ticket system you answered once: automated, never a person",
    "automated": "notifications addressed to you: automated, never a person",
    "declined-invite": "only an invitation you declined: not a person",
    "big-meeting": "only meetings with more than 8 attendees: not a person",
}


@dataclass(frozen=True, slots=True)
class PersonTruth:
    """What the report and the digest must say about one person (or that they are absent).

    `status`: warm | cooling | cold | dormant | never | absent (must not be a person).
    `kind`: the digest kind this person qualifies for today (reply | drifting | new | reconnect)
    or None; whether they fit the budget is `HistorySet.expected_digest`'s business.
    `action`: "snooze" | "ignore" | "log" — what the tests do to them through the CLI
    (`action_at`: snooze until / log at that date), and the labels after it.
    """

    email: str
    name: str
    archetype: str
    status: str
    kind: str | None
    last_contact: datetime | None
    why: str
    emails: tuple[str, ...] = ()
    has_card: bool = False
    tier: str | None = None
    cadence_days: int | None = None
    cadence_source: str | None = None
    strength: int = 0
    established: bool = False
    overdue_ratio: float | None = None
    score: float | None = None
    best_year: int = 0
    contact_days: tuple[date, ...] = ()
    next_planned: datetime | None = None
    action: str | None = None
    action_at: date | None = None
    status_after: str | None = None
    kind_after: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = [v.isoformat() if isinstance(v, date) else v for v in value]
            data[name] = value
        return data


@dataclass(frozen=True, slots=True)
class HistorySet:
    """Where the three files went, who "me" is, and the truth about everyone in them."""

    contacts: Path
    mbox: Path
    calendar: Path
    me: tuple[str, ...]
    today: date
    truth: dict[str, PersonTruth]
    lookback_days: int

    def people(self) -> dict[str, PersonTruth]:
        """Everyone who must be in the report."""
        return {k: t for k, t in self.truth.items() if t.status != "absent"}

    def absent(self) -> dict[str, PersonTruth]:
        return {k: t for k, t in self.truth.items() if t.status == "absent"}

    def by_archetype(self, archetype: str) -> list[PersonTruth]:
        return [t for t in self.truth.values() if t.archetype == archetype]

    def expected_digest(
        self, budget: int = BUDGET, *, after_actions: bool = False
    ) -> ExpectedDigest:
        """Who a digest with this budget must hold, filled reply, drifting (by score), new,
        then one reconnect — before or after the tests' snooze/ignore/log actions."""
        ranked = {}
        for key, person in self.people().items():
            kind = person.kind_after if after_actions and person.action else person.kind
            ranked[key] = _Ranked(kind, person.score)
        return fill_digest(ranked, budget)

    def config(self, store_url: str) -> str:
        """config.toml text for these files (models.config accepts it)."""
        tiers = ", ".join(f"{k} = {v}" for k, v in TIERS.items())
        emails = ", ".join(json.dumps(e) for e in self.me)
        lines = [
            "# keepwarm: a generated multi-year history (samples.history)",
            "[store]",
            f"url = {json.dumps(store_url)}",
            "",
            "[me]",
            f"emails = [{emails}]",
            'default_region = "DE"',
        ]
        for name, kind, path in (
            ("contacts", "vcard", self.contacts),
            ("takeout", "mbox", self.mbox),
            ("calendar", "ics", self.calendar),
        ):
            lines += ["", "[[accounts]]", f'name = "{name}"', f'kind = "{kind}"']
            lines.append(f"path = {json.dumps(str(path))}")
            if kind == "ics":
                lines.append(f"lookback_days = {self.lookback_days}")
        lines += ["", "[cadence]", f"tiers = {{ {tiers} }}", f"default_days = {DEFAULT_DAYS}", ""]
        return "\n".join(lines)

    def truth_json(self) -> str:
        data = {
            "today": self.today.isoformat(),
            "me": list(self.me),
            "people": {k: t.as_json() for k, t in sorted(self.truth.items())},
        }
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


@dataclass(frozen=True, slots=True)
class _Ranked:
    """The two fields of a Verdict that filling the digest reads."""

    kind: str | None
    score: float | None


class HistoryError(AssertionError):
    """The generator wrote something other than its labels say."""


# --- people -------------------------------------------------------------------------------

# (given name, family name, IANA zone): many cultures, none in samples.generate's cast.
# fmt: off
NAMES: tuple[tuple[str, str, str], ...] = (
    ("Inês", "Duarte", "Europe/Lisbon"), ("Kwame", "Asante", "Africa/Accra"),
    ("Meilin", "Zhou", "Asia/Shanghai"), ("Arjun", "Mehta", "Asia/Kolkata"),
    ("Sione", "Taufa", "Pacific/Auckland"), ("Yara", "Haddad", "Asia/Beirut"),
    ("Olumide", "Adeyemi", "Africa/Lagos"), ("Camila", "Restrepo", "America/Bogota"),
    ("Jae-won", "Park", "Asia/Seoul"), ("Freya", "Olsen", "Europe/Oslo"),
    ("Mateus", "Oliveira", "America/Sao_Paulo"), ("Lan", "Nguyen", "Asia/Ho_Chi_Minh"),
    ("Emre", "Demir", "Europe/Istanbul"), ("Zanele", "Dlamini", "Africa/Johannesburg"),
    ("Aleksander", "Nowicki", "Europe/Warsaw"), ("Siobhán", "Murphy", "Europe/Dublin"),
    ("Haruto", "Sato", "Asia/Tokyo"), ("Fatima Zahra", "Benali", "Africa/Casablanca"),
    ("Diego", "Fernández", "America/Mexico_City"), ("Leilani", "Kahale", "Pacific/Honolulu"),
    ("Rahel", "Tesfaye", "Africa/Addis_Ababa"), ("Oskar", "Lindholm", "Europe/Helsinki"),
    ("Tariq", "Rahman", "Asia/Dhaka"), ("Ngozi", "Eze", "Africa/Lagos"),
    ("Chiara", "Bianchi", "Europe/Rome"), ("Andrés", "Quispe", "America/Lima"),
    ("Noa", "Ben-David", "Asia/Jerusalem"), ("Malik", "Johnson", "America/Chicago"),
    ("Priyanka", "Iyer", "Asia/Kolkata"), ("Sólveig", "Jónsdóttir", "Atlantic/Reykjavik"),
    ("Wiremu", "Ngata", "Pacific/Auckland"), ("Élodie", "Marchand", "Europe/Paris"),
    ("Kenji", "Watanabe", "Asia/Tokyo"), ("Thandiwe", "Nkosi", "Africa/Johannesburg"),
    ("Paulo", "Reis", "Europe/Lisbon"), ("Amara", "Okonkwo", "Africa/Lagos"),
    ("Lucía", "Herrera", "America/Argentina/Buenos_Aires"), ("Jakub", "Novák", "Europe/Prague"),
    ("Hyejin", "Cho", "Asia/Seoul"), ("Sunita", "Rao", "Asia/Kolkata"),
    ("Tomasz", "Zieliński", "Europe/Warsaw"), ("Gabriel", "Santos", "America/Sao_Paulo"),
    ("Ewa", "Kowalczyk", "Europe/Warsaw"), ("Nils", "Eriksson", "Europe/Stockholm"),
    ("Dilnoza", "Karimova", "Asia/Tashkent"), ("Mariam", "Nasser", "Asia/Dubai"),
    ("Aroha", "Walker", "Pacific/Auckland"), ("Youssef", "El Amrani", "Africa/Casablanca"),
    ("Ingrid", "Solberg", "Europe/Oslo"), ("Carlos", "Mendoza", "America/Santiago"),
    ("Ayşe", "Yıldız", "Europe/Istanbul"), ("Rūta", "Kazlauskienė", "Europe/Vilnius"),
    ("Bongani", "Khumalo", "Africa/Johannesburg"), ("Xinyi", "Huang", "Asia/Taipei"),
    ("Ravi", "Krishnan", "Asia/Kolkata"), ("Kateřina", "Dvořáková", "Europe/Prague"),
    ("Hana", "Kobayashi", "Asia/Tokyo"), ("Tevita", "Fifita", "Pacific/Tongatapu"),
    ("Grace", "Mwangi", "Africa/Nairobi"), ("Liam", "Byrne", "Europe/Dublin"),
    ("Sofía", "Castillo", "America/Mexico_City"), ("Anders", "Holm", "Europe/Copenhagen"),
    ("Isabela", "Costa", "America/Sao_Paulo"), ("Omar", "Siddiqui", "Asia/Karachi"),
    ("Mei", "Tanabe", "Asia/Tokyo"), ("Joaquín", "Rojas", "America/Santiago"),
    ("Adaeze", "Nwosu", "Africa/Lagos"), ("Lars", "Brekke", "Europe/Oslo"),
    ("Farah", "Qureshi", "Asia/Karachi"), ("Tane", "Horomona", "Pacific/Auckland"),
)
# Crowds (and larger scales) combine these; generated names never repeat a NAMES entry.
CROWD_GIVEN = (
    "Abebe", "Ana", "Björn", "Chidi", "Dana", "Eitan", "Fiona", "Goran", "Hiroshi", "Ilse",
    "Jomo", "Kalani", "Leyla", "Marek", "Nalani", "Orla", "Pita", "Quang", "Rosa", "Sanjay",
    "Tuva", "Uchenna", "Vera", "Wanjiru", "Ximena", "Yusuf", "Zofia", "Aiyana", "Bashir",
    "Citlali", "Dagny", "Enzo", "Femi", "Gulnara", "Hamza", "Itzel", "Jonah", "Kerstin",
)
CROWD_FAMILY = (
    "Abara", "Berglund", "Cardoso", "Dahl", "Echeverría", "Fujita", "Gashi", "Halvorsen",
    "Ibrahim", "Jovanović", "Kamau", "Lindqvist-Berg", "Mensah-Boateng", "Nakamura", "Ortega",
    "Petrović", "Quintero", "Rasmussen", "Sandoval", "Takahashi", "Uzun", "Varga", "Wójcik",
    "Xu", "Yamamoto", "Zapata", "Afolabi", "Bergström", "Castaño", "Dimitrov",
)
# fmt: on
PERSONAL_DOMAINS = (
    "posteo.example",
    "fastmail.example",
    "proton.example",
    "gmail.com",
    "outlook.example",
    "icloud.example",
    "mailbox.example",
    "web.example",
)
NORTHWIND = "northwind-labs.example"
PARTNER = "meridian-partners.example"
FOLD = str.maketrans({"ø": "o", "æ": "ae", "ł": "l", "ß": "ss", "ı": "i", "đ": "d", "ð": "d"})
# Words models.identity treats as machine senders: a person's address never contains one.
MACHINE_WORDS = (
    "noreply",
    "reply",
    "notification",
    "bounce",
    "alert",
    "newsletter",
    "news",
    "info",
    "support",
    "update",
    "marketing",
    "billing",
    "automated",
    "system",
    "digest",
    "postmaster",
)


def ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(slots=True)
class Cast:
    """One person in the history and what the archetype says about them."""

    given: str
    family: str
    spellings: tuple[str, ...]  # addresses as written in headers, used in turn
    tz: ZoneInfo
    archetype: str
    status: str
    kind: str | None
    why: str
    tier: str | None = None
    card: str | None = None  # vCard style: apple | google | outlook
    header: str = "plain"  # how their mailer writes their name: plain | b | latin1 | quoted
    topic: str = "friend"
    action: str | None = None
    action_at: date | None = None
    status_after: str | None = None
    kind_after: str | None = None
    touches: list[Touch] = field(default_factory=list)
    planned: list[datetime] = field(default_factory=list)
    turn: int = 0

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def key(self) -> str:
        return normalize(self.spellings[0])

    def next_spelling(self) -> str:
        spelling = self.spellings[self.turn % len(self.spellings)]
        self.turn += 1
        return spelling

    def header_address(self, spelling: str | None = None) -> str:
        addr = spelling or self.next_spelling()
        if self.header == "quoted":
            return f'"{self.family}, {self.given}" <{addr}>'
        how = self.header if self.header in ("b", "latin1") else "q"
        if how == "latin1":
            try:
                self.name.encode("latin-1")
            except UnicodeEncodeError:
                how = "q"
        return address(self.name, addr, how)


@dataclass(slots=True)
class Absent:
    """An address that must never become a person."""

    email: str
    name: str
    archetype: str
    why: str


# --- the builder --------------------------------------------------------------------------


class Story:
    """Accumulates cards, mails and meetings and what each person is meant to be."""

    def __init__(self, today: date, *, seed: int | str, years: int, scale: int) -> None:
        if years < MIN_YEARS:
            raise ValueError(f"years must be at least {MIN_YEARS} (got {years})")
        if scale < 1:
            raise ValueError(f"scale must be at least 1 (got {scale})")
        self.today = today
        self.me = ME_ALL
        self.years = years
        self.scale = scale
        self.span = years * 365
        self.rng = random.Random(f"keepwarm-history:{seed}")
        self.names_rng = random.Random(f"keepwarm-history-names:{seed}")
        self.ids = Ids(random.Random(f"keepwarm-history-ids:{seed}"))
        self.uid_rng = random.Random(f"keepwarm-history-uids:{seed}")
        self.mails: list[Mail] = []
        self.events: list[list[str]] = []
        self.meetings: list[MeetingFacts] = []
        self.cards: list[str] = []
        self.cast: list[Cast] = []
        self.absent: list[Absent] = []
        self.stamp = ics_utc(datetime.combine(today, time(6, 0), UTC))
        pool = list(NAMES)
        self.names_rng.shuffle(pool)
        self.pool = pool
        self.taken_names: set[str] = set()
        self.taken_keys: set[str] = set()
        # Sam's jobs: Northwind until old_job_end days ago, work.example since.
        self.old_job_end = min(self.span - 60, 2900) - 950
        self.job_start = self.old_job_end - 30

    # -- time ---------------------------------------------------------------------------

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def utc(self, days_ago: int, hour: int, minute: int) -> datetime:
        return datetime.combine(self.day(days_ago), time(hour, minute), UTC)

    def berlin(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.day(days_ago), time(hour, minute), BERLIN)

    def rhythm(self, first: int, last: int, gap: float, spread: float = 0.25) -> list[int]:
        """Days ago from `first` down to exactly `last`, about `gap` apart."""
        days: list[int] = []
        day = first
        while day > last:
            days.append(day)
            day -= max(1, round(self.rng.gauss(gap, gap * spread)))
        days.append(last)
        return days

    # -- people -------------------------------------------------------------------------

    def pick_name(self) -> tuple[str, str, ZoneInfo]:
        while self.pool:
            given, family, tz = self.pool.pop()
            if f"{given} {family}" not in self.taken_names:
                self.taken_names.add(f"{given} {family}")
                return given, family, ZoneInfo(tz)
        while True:  # the pool is used up (big crowds, big scales): combine
            given = self.names_rng.choice(CROWD_GIVEN)
            family = self.names_rng.choice(CROWD_FAMILY)
            if f"{given} {family}" not in self.taken_names:
                self.taken_names.add(f"{given} {family}")
                tz = self.names_rng.choice(NAMES)[2]
                return given, family, ZoneInfo(tz)

    def extra(self, given: str, family: str, domain: str | None, style: int = 0) -> tuple[str, str]:
        """(name, address) of someone who is only ever a bystander (a co-recipient, a list
        member): reserved so no person of the story gets the same name or address."""
        name = f"{given} {family}"
        addr = self.spell(given, family, domain, style)[0]
        self.taken_names.add(name)
        self.taken_keys.add(normalize(addr))
        return name, addr

    def spell(
        self, given: str, family: str, domain: str | None, style: int | None = None
    ) -> list[str]:
        """Addresses for a name: a personal one (with Gmail's variants) or at `domain`."""
        first = ascii_fold(given).replace(" ", "").replace("-", "")
        last = ascii_fold(family).replace(" ", "").replace("-", "")
        rng = self.names_rng
        style = rng.randrange(5) if style is None else style
        domain = domain or rng.choice(PERSONAL_DOMAINS)
        local = (
            f"{first}.{last}",
            f"{first}{last}",
            f"{first[0]}.{last}",
            f"{first}_{last}",
            f"{first}.{last}{rng.randint(2, 99)}",
        )[style]
        if domain == "gmail.com":
            local = local.replace("_", ".")
            plain = local.replace(".", "")
            return [f"{local}@gmail.com", f"{plain}@googlemail.com", f"{local.title()}@gmail.com"]
        return [f"{local}@{domain}"]

    def person(
        self,
        archetype: str,
        status: str,
        kind: str | None,
        why: str,
        *,
        domain: str | None = None,
        tier: str | None = None,
        card: str | None = None,
        header: str | None = None,
        topic: str = "friend",
        name: tuple[str, str, str] | None = None,
        spellings: Sequence[str] | None = None,
    ) -> Cast:
        given, family, tz = (name[0], name[1], ZoneInfo(name[2])) if name else self.pick_name()
        for _ in range(50):
            found = list(spellings) if spellings else self.spell(given, family, domain)
            key = normalize(found[0])
            local = key.partition("@")[0]
            if key not in self.taken_keys and not any(w in local for w in MACHINE_WORDS):
                break
        else:  # pragma: no cover - 50 collisions in a row would be a bug in the pools
            raise HistoryError(f"no free address for {given} {family}")
        self.taken_keys.update(normalize(s) for s in found)
        if header is None:
            header = self.names_rng.choice(("plain", "plain", "b", "latin1"))
        cast = Cast(
            given,
            family,
            tuple(found),
            tz,
            archetype,
            status,
            kind,
            why,
            tier=tier,
            card=card,
            header=header,
            topic=topic,
        )
        self.cast.append(cast)
        if card:
            self.cards.append(card_text(cast, card))
        return cast

    # -- mail ---------------------------------------------------------------------------

    def add(self, mail: Mail) -> Mail:
        domain = mail.sender.rpartition("@")[2].rstrip(">").lower()
        mail.msgid = mail.msgid or self.ids.message_id(domain)
        mail.gmail_id = mail.thread if not mail.reply_to_id else self.ids.gmail()
        self.mails.append(mail)
        return mail

    def sent_labels(self) -> str:
        return self.rng.choice(("Sent", "Sent", "Important,Sent", "Sent,Opened"))

    def inbox_labels(self, days_ago: int) -> str:
        if days_ago > 60:
            return self.rng.choice(
                ("Archived,Opened,Category Personal", "Opened,Category Personal,Archived,Important")
            )
        return self.rng.choice(
            (
                "Inbox,Important,Opened,Category Personal",
                "Inbox,Opened,Category Personal",
                "Important,Inbox,Unread,Category Personal",
            )
        )

    def exchange(
        self,
        p: Cast,
        days_ago: int,
        turns: str = "tm",
        *,
        mine: str = ME_PERSONAL,
        me_named: bool = True,
        hour: int | None = None,
        subject: str | None = None,
        owed: bool = False,
    ) -> None:
        """One thread on one (UTC) day: `m` is Sam's turn, `t` theirs. Recent threads end with
        Sam's turn unless a reply is meant to be `owed`."""
        rng = self.rng
        if days_ago <= 31 and turns.endswith("t") and not owed:
            turns += "m"
        when = self.utc(
            days_ago, hour if hour is not None else rng.randint(7, 16), rng.randint(0, 59)
        )
        subject = subject or rfc2047(rng.choice(SUBJECTS[p.topic]), "q")
        me_header = address(ME_NAME, mine) if me_named else mine
        thread = self.ids.gmail()
        previous = ""
        spelling = p.next_spelling()
        for index, turn in enumerate(turns):
            title = ("Re: " if index else "") + subject
            if turn == "m":
                mail = Mail(
                    when.astimezone(BERLIN),
                    me_header,
                    [p.header_address(spelling) if me_named else spelling],
                    title,
                    self.sent_labels(),
                    thread,
                    body=body_for(rng, p.given, "Sam"),
                )
                p.touches.append(Touch(when, "out"))
            else:
                mail = Mail(
                    when.astimezone(p.tz),
                    p.header_address(spelling),
                    [me_header],
                    title,
                    self.inbox_labels(days_ago),
                    thread,
                    body=body_for(rng, "Sam", p.given),
                )
                p.touches.append(Touch(when, "in", personal=True))
            mail.reply_to_id = previous
            previous = self.add(mail).msgid
            when = min(
                when + timedelta(minutes=rng.randint(9, 140)), when.replace(hour=21, minute=50)
            )

    # -- calendar -----------------------------------------------------------------------

    def uid(self, domain: str) -> str:
        return f"{self.uid_rng.getrandbits(64):016x}{len(self.events):04d}@{domain}"

    def record_meeting(
        self,
        people: Sequence[Cast],
        starts: Sequence[datetime],
        others: Sequence[tuple[str, str]] = (),
        *,
        declined: Sequence[Cast] = (),
        i_declined: bool = False,
        cancelled: bool = False,
    ) -> None:
        facts = MeetingFacts(
            starts=tuple(s.astimezone(UTC) for s in starts),
            attendees=tuple((p.key, any(p is d for d in declined)) for p in people)
            + tuple((normalize(a), False) for _, a in others),
            i_declined=i_declined,
            cancelled=cancelled,
        )
        self.meetings.append(facts)
        met, planned = meeting_touches([facts], self.today)
        for p in people:
            p.touches.extend(met.get(p.key, []))
            p.planned.extend(planned.get(p.key, []))

    def meet(
        self,
        people: Sequence[Cast],
        start: datetime,
        summary: str,
        *,
        minutes: int = 60,
        organizer: Cast | None = None,
        mine: str = ME_PERSONAL,
        others: Sequence[tuple[str, str]] = (),
        my_status: str = "ACCEPTED",
        declined: Sequence[Cast] = (),
        cancelled: bool = False,
        utc_times: bool = False,
        location: str | None = None,
    ) -> None:
        """One single event (Google style: UTC times, else Europe/Berlin local times)."""
        end = start + timedelta(minutes=minutes)
        if utc_times:
            when = [f"DTSTART:{ics_utc(start)}", f"DTEND:{ics_utc(end)}"]
        else:
            start, end = start.astimezone(BERLIN), end.astimezone(BERLIN)
            when = [
                f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
                f"DTEND;TZID=Europe/Berlin:{ics_local(end)}",
            ]
        lines = [f"UID:{self.uid('google.com')}", f"SUMMARY:{summary}", *when]
        lines += self._roster(people, organizer, mine, others, my_status, declined)
        if location:
            lines.append(f"LOCATION:{location}")
        lines.append("STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED")
        if cancelled:
            lines.append("SEQUENCE:1")
        self.event(lines)
        self.record_meeting(
            people,
            [start],
            others,
            declined=declined,
            i_declined=my_status == "DECLINED",
            cancelled=cancelled,
        )

    def weekly(
        self,
        people: Sequence[Cast],
        first_day: date,
        last_day: date | None,
        at: time,
        summary: str,
        *,
        organizer: Cast | None = None,
        mine: str = ME_WORK,
        skip_every: int = 0,
        minutes: int = 30,
    ) -> list[datetime]:
        """A weekly series (Europe/Berlin), ending on `last_day` (UNTIL) or open-ended;
        every `skip_every`-th occurrence is an EXDATE. Returns the counting starts."""
        horizon = last_day or self.today + timedelta(days=120)
        days = [
            first_day + timedelta(days=7 * i) for i in range((horizon - first_day).days // 7 + 1)
        ]
        starts: list[datetime] = []
        skipped: list[datetime] = []
        for index, day in enumerate(days):
            start = datetime.combine(day, at, BERLIN)
            away = skip_every and index % skip_every == skip_every - 1 and day < self.today
            if day == self.today or (away and index != len(days) - 1):
                skipped.append(start)  # holidays, never the series' last meeting; never today
            else:
                starts.append(start)
        rule = f"RRULE:FREQ=WEEKLY;BYDAY={WEEKDAYS[first_day.weekday()]}"
        if last_day is not None:
            until = datetime.combine(last_day, at, BERLIN)
            rule = f"RRULE:FREQ=WEEKLY;UNTIL={ics_utc(until)};INTERVAL=1;BYDAY=" + (
                WEEKDAYS[first_day.weekday()] + ";WKST=MO"
            )
        first = datetime.combine(first_day, at, BERLIN)
        lines = [
            f"UID:{self.uid(NORTHWIND if mine == ME_OLD_WORK else 'work.example')}",
            f"SUMMARY:{summary}",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(first)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(first + timedelta(minutes=minutes))}",
            rule,
        ]
        if skipped:
            lines.append("EXDATE;TZID=Europe/Berlin:" + ",".join(ics_local(s) for s in skipped))
        lines += self._roster(people, organizer, mine, (), "ACCEPTED", ())
        lines += ["STATUS:CONFIRMED", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY"]
        self.event(lines)
        self.record_meeting(people, starts)
        return starts

    def _roster(
        self,
        people: Sequence[Cast],
        organizer: Cast | None,
        mine: str,
        others: Sequence[tuple[str, str]],
        my_status: str,
        declined: Sequence[Cast],
    ) -> list[str]:
        if organizer is None:
            lines = [f"ORGANIZER;CN={ME_NAME}:mailto:{mine}"]
        else:
            lines = [f"ORGANIZER;CN={organizer.name}:mailto:{organizer.spellings[0]}"]
        for p in people:
            lines.append(
                attendee(
                    p.name,
                    p.spellings[0],
                    "DECLINED"
                    if any(p is d for d in declined)
                    else self.rng.choice(("ACCEPTED", "ACCEPTED", "TENTATIVE")),
                )
            )
        lines += [attendee(n, a, "ACCEPTED") for n, a in others]
        lines.append(attendee(ME_NAME, mine, my_status))
        return lines

    def event(self, lines: list[str]) -> None:
        self.events.append(["BEGIN:VEVENT", f"DTSTAMP:{self.stamp}", *lines, "END:VEVENT"])

    # -- output -------------------------------------------------------------------------

    def render_mbox(self) -> bytes:
        self.mails.sort(key=lambda m: (m.when.astimezone(UTC), m.msgid))
        return b"".join(render_mail(m) for m in self.mails)

    def render_ics(self) -> str:
        head = [
            "BEGIN:VCALENDAR",
            "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"X-WR-CALNAME:{ME_PERSONAL}",
            "X-WR-TIMEZONE:Europe/Berlin",
            *VTIMEZONES.splitlines(),
        ]
        body = [line for event in self.events for line in event]
        return CRLF.join(fold(line) for line in [*head, *body, "END:VCALENDAR"]) + CRLF

    def render_vcf(self) -> str:
        return CRLF.join(card.replace("\n", CRLF) for card in self.cards) + CRLF

    # -- truth --------------------------------------------------------------------------

    def verdicts(self) -> dict[str, Verdict]:
        return {
            p.key: judge(
                p.touches,
                today=self.today,
                tier=p.tier,
                has_card=p.card is not None,
                planned=p.planned,
            )
            for p in self.cast
        }

    def truth(self) -> dict[str, PersonTruth]:
        """Labels as the archetypes state them, with the facts the records give."""
        verdicts = self.verdicts()
        truth: dict[str, PersonTruth] = {}
        for p in self.cast:
            v = verdicts[p.key]
            truth[p.key] = PersonTruth(
                email=p.key,
                name=p.name,
                archetype=p.archetype,
                status=p.status,
                kind=p.kind,
                last_contact=v.last,
                why=p.why,
                emails=tuple(sorted({normalize(s) for s in p.spellings})),
                has_card=p.card is not None,
                tier=p.tier,
                cadence_days=v.cadence_days,
                cadence_source=v.cadence_source,
                strength=v.strength,
                established=v.established,
                overdue_ratio=v.overdue_ratio,
                score=v.score,
                best_year=v.best_year,
                contact_days=v.contact_days,
                next_planned=v.next_planned,
                action=p.action,
                action_at=p.action_at,
                status_after=p.status_after,
                kind_after=p.kind_after,
            )
        for a in self.absent:
            truth[normalize(a.email)] = PersonTruth(
                email=normalize(a.email),
                name=a.name,
                archetype=a.archetype,
                status="absent",
                kind=None,
                last_contact=None,
                why=a.why,
                emails=(normalize(a.email),),
            )
        return truth

    def check(self, *, ranking: bool = True) -> None:
        """Recompute contact from what was written and the rules' verdicts from that contact;
        any difference from the archetypes' labels is a HistoryError."""
        problems: list[str] = []
        mailed, machines = mail_touches(self.mails, ME_ALL)
        met, planned = meeting_touches(self.meetings, self.today)
        people = {p.key: p for p in self.cast}
        absent = {normalize(a.email) for a in self.absent}
        for key in set(mailed) | set(met):
            is_person = key in met or any(t.way != "in" for t in mailed[key])
            if is_person and key not in people and key not in absent:
                problems.append(f"{key}: written as a person but not in the truth")
        for p in self.cast:
            found: list[Touch] = []
            for spelling in {normalize(s) for s in p.spellings}:
                found += mailed.get(spelling, []) + met.get(spelling, [])
            if sorted(found) != sorted(p.touches):
                problems.append(f"{p.name}: recorded contact differs from what was written")
            if sorted(planned.get(p.key, [])) != sorted(p.planned):
                problems.append(f"{p.name}: planned meetings differ from what was written")
            verdict = judge(
                found,
                today=self.today,
                tier=p.tier,
                has_card=p.card is not None,
                planned=planned.get(p.key, []),
            )
            if (verdict.status, verdict.kind) != (p.status, p.kind):
                problems.append(
                    f"{p.name} ({p.archetype}): rules say {verdict.status}/{verdict.kind}, "
                    f"the archetype {p.status}/{p.kind}"
                )
            if p.action:
                after = self.after_action(p, found, planned.get(p.key, []))
                if (after.status, after.kind) != (p.status_after, p.kind_after):
                    problems.append(
                        f"{p.name}: after {p.action} the rules say {after.status}/{after.kind}"
                    )
        for a in self.absent:
            key = normalize(a.email)
            person = key in met or any(t.way != "in" for t in mailed.get(key, []))
            if person and key not in machines:
                problems.append(f"{a.email}: must be absent but is a person by the rules")
            if key in people:
                problems.append(f"{a.email}: both absent and a person")
        if ranking:
            problems += self._ranking_is_robust()
        if problems:
            raise HistoryError("; ".join(problems))

    def after_action(self, p: Cast, touches: list[Touch], planned: list[datetime]) -> Verdict:
        if p.action == "log":
            assert p.action_at is not None
            logged = Touch(datetime.combine(p.action_at, time(12, 0), UTC), "meet")
            return judge(
                [*touches, logged],
                today=self.today,
                tier=p.tier,
                has_card=p.card is not None,
                planned=planned,
            )
        return judge(
            touches,
            today=self.today,
            tier=p.tier,
            has_card=p.card is not None,
            planned=planned,
            snoozed=p.action == "snooze",
            ignored=p.action == "ignore",
        )

    def _ranking_is_robust(self) -> list[str]:
        """`drifting` ranks by strength x how overdue; whether "how overdue" is the ratio or
        the ratio minus one must not change the order of the archetypes' drifting people."""
        verdicts = self.verdicts()
        drifting = [p.key for p in self.cast if p.kind == "drifting"]

        def order(offset: float) -> list[str]:
            return sorted(
                drifting,
                key=lambda k: (
                    -(verdicts[k].strength * ((verdicts[k].overdue_ratio or 0.0) - offset))
                ),
            )

        if order(0.0) != order(1.0):
            return [f"drifting order depends on the overdue measure: {order(0.0)}"]
        return []


# --- cards --------------------------------------------------------------------------------


def card_text(p: Cast, style: str) -> str:
    """One vCard as an iPhone, Google Contacts or Outlook export writes it."""
    emails = list(
        dict.fromkeys(
            p.spellings[:1]
            + tuple(s for s in p.spellings[1:] if normalize(s) != normalize(p.spellings[0]))
        )
    )
    if style == "apple":
        lines = [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "PRODID:-//Apple Inc.//iPhone OS 17.5//EN",
            f"N:{p.family};{p.given};;;",
            f"FN:{p.name}",
        ]
        labels = ("_$!<Home>!$_", "_$!<Work>!$_", "_$!<Other>!$_")
        for index, email in enumerate(emails, start=1):
            pref = ";type=pref" if index == 1 else ""
            lines += [
                f"item{index}.EMAIL;type=INTERNET{pref}:{email}",
                f"item{index}.X-ABLabel:{labels[min(index - 1, 2)]}",
            ]
        if p.tier:
            lines.append(f"CATEGORIES:{p.tier}")
    elif style == "google":
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{p.name}", f"N:{p.family};{p.given};;;"]
        kinds = ("HOME", "WORK", "OTHER")
        for index, email in enumerate(emails):
            lines.append(f"EMAIL;TYPE=INTERNET;TYPE={kinds[min(index, 2)]}:{email}")
        lines.append("CATEGORIES:myContacts" + (f",{p.tier}" if p.tier else ""))
    else:  # outlook: vCard 2.1, quoted-printable for anything beyond ASCII
        if p.name.isascii():
            lines = ["BEGIN:VCARD", "VERSION:2.1", f"N:{p.family};{p.given};;;", f"FN:{p.name}"]
        else:
            enc = "CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE"
            lines = [
                "BEGIN:VCARD",
                "VERSION:2.1",
                f"N;{enc}:{qp(p.family)};{qp(p.given)};;;",
                f"FN;{enc}:{qp(p.name)}",
            ]
        for index, email in enumerate(emails):
            lines.append(f"EMAIL;{'PREF;' if index == 0 else ''}INTERNET:{email}")
        if p.tier:
            lines.append(f"CATEGORIES:{p.tier}")
    lines.append("END:VCARD")
    return "\n".join(lines)


ORG_CARD = """BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//iPhone OS 17.5//EN
N:;;;;
FN:The Digest Letter
ORG:The Digest Letter;
KIND:org
X-ABShowAs:COMPANY
item1.EMAIL;type=INTERNET;type=pref:letters@thedigestletter.example
item1.X-ABLabel:_$!<Work>!$_
END:VCARD"""


# --- the archetypes -----------------------------------------------------------------------


def weekly_days(story: Story, first: int, last: int) -> list[int]:
    """About every seven days (6, 7 or 8): an inferred cadence of exactly 7."""
    days = []
    day = first
    while day > last:
        days.append(day)
        day -= story.rng.choice((6, 7, 7, 7, 8))
    days.append(last)
    return days


def drifting(story: Story) -> None:
    rng = story.rng
    p = story.person(
        "drifting-weekly-email",
        "cold",
        "drifting",
        "wrote every week for years; silent for 5-6 weeks",
        domain="gmail.com",
    )
    last = 36 + rng.randint(0, 8)  # 5-6 weeks: ranks below the 1:1s on both measures
    for day in weekly_days(story, min(story.span - 5, 2200), last):
        story.exchange(p, day, rng.choice(("tm", "mt", "tmt", "mtm", "mt")))

    p = story.person(
        "drifting-weekly-1on1",
        "cold",
        "drifting",
        "weekly 1:1s for three years ended when they changed teams",
        domain="work.example",
        card="outlook",
        topic="work",
    )
    p.action, p.action_at = "log", story.today - timedelta(days=1)
    p.status_after, p.kind_after = "warm", None
    first = story.day(min(story.span - 100, 1100))
    first += timedelta(days=(3 - first.weekday()) % 7)  # a Thursday
    end = story.day(50 + rng.randint(0, 2))
    end -= timedelta(days=(end.weekday() - 3) % 7)
    starts = story.weekly(
        [p], first, end, time(10, 0), f"{p.given} / Sam 1:1", organizer=p, skip_every=9
    )
    oldest = (story.today - first).days
    newest = (story.today - starts[-1].date()).days
    for day in story.rhythm(oldest - 3, newest + 2, 20):
        story.exchange(p, day, rng.choice(("tm", "mt")), mine=ME_WORK, hour=rng.randint(8, 15))

    p = story.person(
        "drifting-close-month-late",
        "cooling",
        "drifting",
        "close friend (30 days) a month late: ranks above the network tie a year late",
        tier="close",
        card="google",
    )
    last = 55 + rng.randint(0, 2)
    for day in story.rhythm(min(story.span - 30, 2000), last, 21):
        if day != last and rng.random() < 0.3:
            story.meet([p], story.berlin(day, 19, 30), f"Dinner with {p.given}", minutes=150)
        else:
            story.exchange(p, day, rng.choice(("tm", "mt", "tmt")))
    story.meet(
        [p], story.berlin(last - 25, 19, 30), f"Dinner with {p.given}", minutes=150, cancelled=True
    )

    p = story.person(
        "drifting-network-year-late",
        "cold",
        "drifting",
        "network tie (180 days), 540+ days silent: overdue but not yet dormant",
        tier="network",
        card="apple",
        topic="work",
    )
    last = 540 + rng.randint(0, 6)
    for index, day in enumerate((min(story.span - 40, 1500), 1150, 905, 702, 618, last)):
        if index == 2:
            story.meet(
                [p], story.utc(day, 14, 0), "Coffee at the conference", utc_times=True, minutes=30
            )
        else:
            story.exchange(p, day, "mt" if index % 2 else "tm")

    p = story.person(
        "drifting-close-snooze",
        "cold",
        "drifting",
        "close friend, 90 days silent: the tests snooze them for 30 days",
        tier="close",
        card="apple",
    )
    p.action, p.action_at = "snooze", story.today + timedelta(days=30)
    p.status_after, p.kind_after = "cold", None
    for day in story.rhythm(min(story.span - 200, 1500), 90 + rng.randint(0, 4), 22):
        story.exchange(p, day, rng.choice(("tm", "mt", "mtm")))

    p = story.person(
        "drifting-meeting-planned",
        "cold",
        None,
        "cold friend with a dinner planned in 9 days: the meeting will do",
        tier="friends",
        card="google",
    )
    for day in story.rhythm(min(story.span - 100, 1800), 195 + rng.randint(0, 10), 35):
        story.exchange(p, day, rng.choice(("tm", "mt")))
    story.meet([p], story.berlin(-9, 19, 0), f"Dinner with {p.given}", minutes=120)


def replies(story: Story) -> None:
    rng = story.rng
    p = story.person(
        "reply-owed",
        "warm",
        "reply",
        "wrote to you alone 9-13 days ago and you have not answered",
        tier="friends",
        card="outlook",
    )
    for day in story.rhythm(min(story.span - 10, 3000), 40, 60):
        story.exchange(p, day, rng.choice(("tm", "mt")))
    story.exchange(
        p,
        9 + rng.randint(0, 4),
        "t",
        owed=True,
        subject="Coming to Berlin in spring - are you around?",
    )

    p = story.person(
        "reply-owed-meeting-planned",
        "warm",
        "reply",
        "wrote 6 days ago, unanswered; still a reply although you meet in 5 days",
        domain=PARTNER,
        topic="work",
    )
    for day in story.rhythm(400, 33, 30):
        story.meet(
            [p],
            story.utc(day, 13, 0),
            "Meridian <> Sam: monthly",
            minutes=30,
            organizer=p,
            mine=ME_WORK,
            utc_times=True,
        )
        if rng.random() < 0.5:
            story.exchange(p, day - 2, "tm", mine=ME_WORK, hour=9)
    story.exchange(p, 6, "t", mine=ME_WORK, owed=True, subject="Agenda for next week")
    story.meet(
        [p],
        story.utc(-5, 13, 0),
        "Meridian <> Sam: monthly",
        minutes=30,
        organizer=p,
        mine=ME_WORK,
        utc_times=True,
    )

    p = story.person("answered", "warm", None, "wrote 12 days ago; you answered the next day")
    for day in story.rhythm(900, 60, 45):
        story.exchange(p, day, rng.choice(("tm", "mt")))
    story.exchange(p, 12, "t", owed=True, hour=17)
    story.exchange(p, 11, "m", hour=8)

    crowd = [
        story.extra(g, f, None)
        for g, f in (
            ("Ana", "Cardoso"),
            ("Bashir", "Ibrahim"),
            ("Dagny", "Dahl"),
            ("Enzo", "Ortega"),
            ("Femi", "Afolabi"),
            ("Ilse", "Varga"),
            ("Jonah", "Dimitrov"),
            ("Kerstin", "Uzun"),
            ("Marek", "Wójcik"),
            ("Orla", "Gashi"),
            ("Rosa", "Zapata"),
        )
    ]
    p = story.person(
        "group-mail",
        "warm",
        None,
        "wrote to you and 11 others 8 days ago: contact, but no reply owed",
    )
    for day in story.rhythm(1200, 70, 60):
        story.exchange(p, day, rng.choice(("tm", "mt")))
    when = story.utc(8, 18, 20)
    story.add(
        Mail(
            when.astimezone(p.tz),
            p.header_address(),
            [address(ME_NAME, ME_PERSONAL), *(address(n, a) for n, a in crowd)],
            "Reunion in June? Doodle inside",
            story.inbox_labels(8),
            story.ids.gmail(),
            body=body_for(rng, "all", p.given),
        )
    )
    p.touches.append(Touch(when, "in", personal=False))

    colleague = story.extra("Hamza", "Nakamura", "work.example")
    p = story.person(
        "cc-only",
        "warm",
        None,
        "wrote to a colleague with you in Cc 6 days ago: no reply owed",
        domain="work.example",
        topic="work",
    )
    for day in story.rhythm(500, 50, 30):
        story.exchange(p, day, rng.choice(("tm", "mt")), mine=ME_WORK, hour=rng.randint(8, 15))
    when = story.utc(6, 10, 42)
    story.add(
        Mail(
            when.astimezone(p.tz),
            p.header_address(),
            [address(*colleague)],
            "Handover notes for the migration",
            story.inbox_labels(6),
            story.ids.gmail(),
            cc=[address(ME_NAME, ME_WORK)],
            body=body_for(rng, "Hamza", p.given),
        )
    )
    p.touches.append(Touch(when, "in", personal=False))


def newcomers(story: Story) -> None:
    rng = story.rng
    p = story.person(
        "new-meeting",
        "warm",
        "new",
        "a first meeting 12-18 days ago with someone unknown before: follow up",
        domain=PARTNER,
        topic="work",
    )
    story.meet(
        [p],
        story.utc(12 + rng.randint(0, 6), 14, 0),
        f"Intro: {p.given} / Sam",
        minutes=30,
        mine=ME_WORK,
        utc_times=True,
    )

    p = story.person(
        "new-email-ignore",
        "warm",
        "new",
        "you wrote first 20-23 days ago, one more day since: the tests ignore them",
    )
    p.action, p.status_after, p.kind_after = "ignore", "warm", None
    first = 20 + rng.randint(0, 3)
    story.exchange(p, first, "m", subject="Intro via the Lisbon meetup")
    story.exchange(p, first - 1, "tm", subject="Re: Intro via the Lisbon meetup")

    p = story.person(
        "not-new-flowing",
        "warm",
        None,
        "first contact 26 days ago and three contact days since: not new any more",
    )
    story.exchange(p, 26, "m", subject="Climbing partner wanted?")
    for day in (18, 11, 4):
        story.exchange(p, day, "tm")


def reconnects(story: Story, which: Iterable[str] = ("college", "colleague", "flatmate")) -> None:
    rng = story.rng
    chosen = set(which)
    if "college" in chosen:
        p = story.person(
            "reconnect-college-friend",
            "dormant",
            "reconnect",
            "twenty-odd contact days a year at university, silent for years",
            tier="close",
            card="google",
        )
        start = min(story.span - 20, 3560)
        for day in story.rhythm(start, start - 900, 12):
            story.exchange(p, day, rng.choice(("tm", "mt", "tmt")))
    if "colleague" in chosen:
        p = story.person(
            "reconnect-old-colleague",
            "dormant",
            "reconnect",
            "weekly 1:1s at the previous job; silent since leaving it",
            domain=NORTHWIND,
            topic="work",
        )
        start = story.old_job_end + 950
        first = story.day(start)
        first += timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday
        last = story.day(story.old_job_end + 7)
        starts = story.weekly(
            [p], first, last, time(11, 0), f"Sam <> {p.given}", mine=ME_OLD_WORK, skip_every=11
        )
        newest = (story.today - starts[-1].date()).days
        for day in story.rhythm(start - 2, newest + 1, 25):
            story.exchange(p, day, "tm", mine=ME_OLD_WORK, hour=rng.randint(8, 15))
    if "flatmate" in chosen:
        p = story.person(
            "reconnect-flatmate",
            "dormant",
            "reconnect",
            "saw each other every week or two until they moved away",
            tier="friends",
            card="apple",
        )
        for day in story.rhythm(min(story.span - 100, 2300), 1250 + rng.randint(0, 30), 9):
            if rng.random() < 0.4:
                story.meet([p], story.berlin(day, 20, 0), "Pub quiz", minutes=120)
            else:
                story.exchange(p, day, rng.choice(("tm", "mt")))


def lost(story: Story, one_offs: int = 4) -> None:
    rng = story.rng
    start = min(story.span - 50, 2650)
    p = story.person(
        "dormant-not-strong",
        "dormant",
        None,
        "seven contact days within a year, long ago: lost, but never strong",
    )
    for day in (start, start - 40, start - 75, start - 110, start - 150, start - 190, start - 230):
        story.exchange(p, day, rng.choice(("tm", "mt")))

    plans = [("mail", 3300), ("meeting", 2900), ("card", 3550), ("group", 2750)][:one_offs]
    for index, (how, day) in enumerate(plans):
        day = min(day, story.span - 15 - index)
        if how == "group":
            people = [
                story.person(
                    "ancient-one-off",
                    "dormant",
                    None,
                    "one group mail from you (3 recipients), 8 years ago",
                )
                for _ in range(3)
            ]
            when = story.utc(day, 15, 5)
            story.add(
                Mail(
                    when.astimezone(BERLIN),
                    address(ME_NAME, ME_PERSONAL),
                    [p.header_address() for p in people],
                    "Slides from the workshop",
                    story.sent_labels(),
                    story.ids.gmail(),
                    body=body_for(rng, "all", "Sam"),
                )
            )
            for p in people:
                p.touches.append(Touch(when, "out"))
        elif how == "meeting":
            p = story.person("ancient-one-off", "dormant", None, "met once for coffee, 8 years ago")
            story.meet([p], story.berlin(day, 16, 0), f"Coffee with {p.given}", minutes=45)
        elif how == "card":
            p = story.person(
                "ancient-one-off",
                "dormant",
                None,
                "a card from a conference and one exchange, 9-10 years ago",
                card="outlook",
            )
            story.exchange(p, day, "tm")
        else:
            p = story.person(
                "ancient-one-off", "dormant", None, "one thank-you mail from you, 9 years ago"
            )
            story.exchange(p, day, "m", subject="Thanks for the talk")


def weak(story: Story) -> None:
    rng = story.rng
    p = story.person(
        "weak-acquaintance",
        "cooling",
        None,
        "two contact days (default cadence 180), the last 255+ days ago",
    )
    story.exchange(p, 410, "tm")
    story.exchange(p, 255 + rng.randint(0, 20), "mt")
    p = story.person(
        "weak-acquaintance",
        "cold",
        None,
        "three contact days: cold on its inferred cadence, but not established",
    )
    for day in (430, 352, 276):
        story.exchange(p, day, "tm")
    p = story.person(
        "weak-acquaintance",
        "cooling",
        None,
        "a card without a tier and two contact days: not established",
        card="apple",
    )
    story.exchange(p, 500, "mt")
    story.exchange(p, 228, "tm")


def actives(story: Story) -> None:
    """Family, a colleague and a friend in regular contact; `scale` times as many people."""
    rng = story.rng
    p = story.person(
        "warm-active",
        "warm",
        None,
        "family: writes every week or so",
        tier="inner",
        card="apple",
        header="quoted",
    )
    for day in story.rhythm(min(story.span - 2, 3640), 1 + rng.randint(1, 2), 6):
        story.exchange(p, day, rng.choice(("tm", "mt", "tmt")))

    p = story.person(
        "warm-active",
        "warm",
        None,
        "current colleague: a weekly 1:1 that goes on",
        domain="work.example",
        topic="work",
    )
    first = story.day(600 + rng.randint(0, 30))
    first += timedelta(days=(0 - first.weekday()) % 7)  # a Monday
    if first == story.today:
        first -= timedelta(days=7)
    story.weekly([p], first, None, time(9, 30), f"Sam / {p.given}", organizer=p)
    for day in story.rhythm(595, 3, 11):
        story.exchange(p, day, "tm", mine=ME_WORK, hour=rng.randint(8, 15))

    p = story.person(
        "warm-active",
        "warm",
        None,
        "friend: dinner or mail every month",
        tier="friends",
        card="google",
    )
    for day in story.rhythm(1500, 10 + rng.randint(0, 5), 30):
        if rng.random() < 0.3:
            story.meet([p], story.berlin(day, 19, 0), f"Dinner with {p.given}", minutes=120)
        else:
            story.exchange(p, day, rng.choice(("tm", "mt")))
    for _ in range(3 * (story.scale - 1)):  # bigger scales: three more per step
        gap = rng.randint(14, 40)
        tier = rng.choice((None, "friends", "close"))
        p = story.person(
            "warm-active",
            "warm",
            None,
            "regular contact, recent",
            tier=tier,
            card="google" if tier else None,
        )
        for day in story.rhythm(rng.randint(400, 2500), rng.randint(1, 5), gap, 0.15):
            story.exchange(p, day, rng.choice(("tm", "mt")))


def specials(story: Story) -> None:
    """Rita, whose name only her own mail gives; a card nobody wrote to."""
    rng = story.rng
    p = story.person(
        "name-from-headers",
        "warm",
        None,
        "your first mail to her had no display name; she signs as Rita Gomez",
        name=("Rita", "Gomez", "America/Mexico_City"),
        spellings=("rita@gomez-studio.example",),
        header="plain",
    )
    story.exchange(p, 730, "m", me_named=False, subject="Logo sketches")
    days = [725 - round(i * 710 / 29) for i in range(30)]
    for day in days:
        last = day == days[-1]
        story.exchange(p, day, "tm" if last or rng.random() < 0.5 else "t", me_named=False)
    p = story.person(
        "never",
        "never",
        None,
        "a card from a phone import, never any contact",
        tier="friends",
        card="google",
    )


def crowd(story: Story, count: int) -> None:
    rng = story.rng
    for index in range(count):
        p = story.person(
            "drifting-crowd",
            "cooling",
            "drifting",
            "an extra established friend past the cadence",
            tier="friends",
            card="google",
        )
        last = 110 + (index * 37) % 131
        p.status = "cooling" if last <= 180 else "cold"
        for day in story.rhythm(rng.randint(900, 2000), last, rng.randint(20, 45)):
            story.exchange(p, day, rng.choice(("tm", "mt")))


# --- noise: the majority of any real mailbox ------------------------------------------------


def bulk_and_machines(
    story: Story, first: int, last: int, *, replies: bool = True, rate: float = 1.0
) -> None:
    """Newsletters, notifications, tickets, promotions, lists and spam over [first, last]
    days ago, `story.scale` times the base volume (`rate`: the share of days that get any);
    with `replies`, Sam answers the newsletter and the ticket system once (which still makes
    neither a person)."""
    rng = story.rng
    me = address(ME_NAME, ME_PERSONAL)
    letter = ("The Digest Letter", "letters@thedigestletter.example")
    tickets = ("Northwind IT Helpdesk", f"tickets@helpdesk.{NORTHWIND}")
    jira = ("Jira", "jira@northwind.atlassian.example")
    builds = ("Buildkite", "noreply@buildkite.example")
    parcels = ("Parcel Post", "no-reply@parcelpost.example")
    doodle = ("Maria via Doodle", "mailer@doodle.example")
    recruiter = ("Liam O'Connor", "liam.oconnor@talenthunt.example")
    shops = (
        ("Nordlicht Outdoor", "hello@nordlicht-outdoor.example"),
        ("Fernweh Reisen", "angebote@fernweh-reisen.example"),
    )
    listaddr = "lisbon-py@lists.example"
    members = [
        address(*story.extra(g, f, None, style=1))
        for g, f in (
            ("Tuva", "Berglund"),
            ("Quang", "Xu"),
            ("Leyla", "Uzun"),
            ("Goran", "Petrović"),
            ("Nalani", "Fujita"),
            ("Sanjay", "Kamau"),
            ("Zofia", "Halvorsen"),
        )
    ]
    for _ in range(story.scale):
        for day in range(first, last - 1, -1):
            if rate < 1.0 and rng.random() >= rate:
                continue
            on = story.day(day)
            hour, minute = rng.randint(6, 21), rng.randint(0, 59)
            if on.weekday() == 0 and (day // 7) % 2 == 0:
                primary = rng.random() < 0.3  # some newsletters land in Primary anyway
                story.add(
                    Mail(
                        story.utc(day, 6, rng.randint(0, 40)),
                        address(*letter),
                        [me],
                        f"The Digest Letter #{(story.span - day) // 14 + 1}",
                        "Inbox,Category Personal,Opened" if primary else "Category Updates,Opened",
                        story.ids.gmail(),
                        extra=[
                            ("List-Unsubscribe", "<https://thedigestletter.example/unsubscribe>"),
                            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                        ],
                        body="Five things worth reading this fortnight.\n",
                    )
                )
            if day > story.old_job_end and rng.random() < 0.08:
                story.add(
                    Mail(
                        story.utc(day, hour, minute),
                        address(*jira),
                        [address(ME_NAME, ME_OLD_WORK)],
                        f"[JIRA] (NW-{rng.randint(100, 3999)}) Updated",
                        "Opened",
                        story.ids.gmail(),
                        extra=[
                            ("Auto-Submitted", "auto-generated"),
                            ("X-Auto-Response-Suppress", "All"),
                        ],
                        body="A ticket you watch was updated.\n",
                    )
                )
            if day > story.old_job_end and rng.random() < 0.015:
                story.add(
                    Mail(
                        story.utc(day, hour, minute),
                        address(*tickets),
                        [address(ME_NAME, ME_OLD_WORK)],
                        f"[Ticket #{rng.randint(4000, 9999)}] Your request was updated",
                        "Inbox,Opened,Category Personal",
                        story.ids.gmail(),
                        extra=[("Auto-Submitted", "auto-replied")],
                        body="Reply above this line.\n",
                    )
                )
            if day < story.job_start and on.weekday() < 5 and rng.random() < 0.06:
                story.add(
                    Mail(
                        story.utc(day, hour, minute),
                        address(*builds),
                        [address(ME_NAME, ME_WORK)],
                        f"Build #{rng.randint(1000, 99999)} failed on main",
                        "Category Updates,Opened",
                        story.ids.gmail(),
                        body="See the build log.\n",
                    )
                )
            if rng.random() < 0.02:
                story.add(
                    Mail(
                        story.utc(day, hour, minute),
                        address(*parcels),
                        [me],
                        "Your parcel is on its way",
                        "Inbox,Opened,Category Personal",
                        story.ids.gmail(),
                        body="Track it online.\n",
                    )
                )
            if rng.random() < 0.008:
                story.add(
                    Mail(
                        story.utc(day, hour, minute),
                        address(*doodle),
                        [me],
                        "Maria invited you to a poll",
                        "Inbox,Unread,Category Personal",
                        story.ids.gmail(),
                        extra=[("Auto-Submitted", "auto-generated")],
                        body="Pick the dates that suit you.\n",
                    )
                )
            if rng.random() < 0.07:
                name, sender = rng.choice(shops)
                extra = [("List-Unsubscribe", f"<https://{sender.partition('@')[2]}/unsub>")]
                if rng.random() < 0.5:
                    extra.append(("Precedence", "bulk"))
                story.add(
                    Mail(
                        story.utc(day, hour, minute),
                        address(name, sender),
                        [me],
                        rfc2047(
                            rng.choice(
                                (
                                    "Nur heute: 20 % auf alles",
                                    "New season, new gear",
                                    "Your weekend deals",
                                )
                            ),
                            "q",
                        ),
                        "Category Promotions,Unread",
                        story.ids.gmail(),
                        extra=extra,
                        body="View in your browser.\n",
                    )
                )
            if day > 900 and rng.random() < 0.05:
                sender = rng.choice(members)
                story.add(
                    Mail(
                        story.utc(day, hour, minute),
                        sender,
                        [listaddr],
                        rng.choice(
                            ("Meetup venue?", "Slides from Thursday", "[ANN] pytest plugin release")
                        ),
                        "Category Forums,Opened",
                        story.ids.gmail(),
                        extra=[
                            ("List-Id", "Lisbon Python <lisbon-py.lists.example>"),
                            ("List-Post", f"<mailto:{listaddr}>"),
                            ("Precedence", "list"),
                        ],
                        body=body_for(rng, "all", sender.split()[0]),
                    )
                )
            if rng.random() < 0.03:
                story.add(
                    Mail(
                        story.utc(day, 3, rng.randint(0, 59)),
                        address("Prize Desk", f"claims{rng.randint(10, 99)}@win-now.example"),
                        [me],
                        "You have won!!!",
                        "Spam,Unread",
                        story.ids.gmail(),
                        body="Reply with your bank details.\n",
                    )
                )
    for day in range(min(first, 700), max(last, 3), -1):
        if day % 53 == 0:
            story.add(
                Mail(
                    story.utc(day, 9, 15),
                    address(*recruiter),
                    [address(ME_NAME, ME_WORK)],
                    "A Staff Engineer role in Lisbon?",
                    "Inbox,Unread,Category Personal",
                    story.ids.gmail(),
                    body="Hi Sam,\n\nWould you be open to a chat?\n\nLiam\n",
                )
            )
    story.absent += [
        Absent(
            letter[1],
            letter[0],
            "newsletter-replied",
            "newsletter (List-Unsubscribe) you answered once, with an organisation card: "
            "never a person",
        ),
        Absent(
            tickets[1],
            tickets[0],
            "ticket-system-replied",
            "ticket system (Auto-Submitted) you answered once",
        ),
        Absent(jira[1], jira[0], "automated", "Auto-Submitted notifications"),
        Absent(builds[1], builds[0], "automated", "noreply sender, Category Updates"),
        Absent(parcels[1], parcels[0], "automated", "no-reply sender in the Primary tab"),
        Absent(
            doodle[1], doodle[0], "automated", "a person's name on an Auto-Submitted notification"
        ),
        Absent(
            recruiter[1],
            recruiter[0],
            "inbound-only",
            "writes personally every other month, never answered",
        ),
    ]
    if replies:
        day = min(story.span - 20, 3300)
        story.add(
            Mail(
                story.berlin(day, 21, 10),
                address(ME_NAME, ME_PERSONAL),
                [address(*letter)],
                "Re: The Digest Letter",
                story.sent_labels(),
                story.ids.gmail(),
                body="Loved the piece on slow email. - Sam\n",
            )
        )
        day = min(story.span - 40, 3450)  # 2017 for a ten-year history
        story.add(
            Mail(
                story.berlin(day, 11, 30),
                address(ME_NAME, ME_OLD_WORK),
                [address(*tickets)],
                "Re: [Ticket #4821] VPN access",
                story.sent_labels(),
                story.ids.gmail(),
                body="Still failing from home, see screenshot.\n",
            )
        )


def calendar_noise(story: Story) -> None:
    """A 12-person all-hands, a declined invite, holidays: none of it is contact."""
    staff = [
        story.extra(g, f, "work.example")
        for g, f in (
            ("Vera", "Rasmussen"),
            ("Pita", "Sandoval"),
            ("Itzel", "Takahashi"),
            ("Chidi", "Berglund"),
            ("Wanjiru", "Echeverría"),
            ("Eitan", "Castaño"),
            ("Gulnara", "Halvorsen"),
            ("Abebe", "Quintero"),
            ("Kalani", "Jovanović"),
            ("Fiona", "Mensah-Boateng"),
            ("Ximena", "Lindqvist-Berg"),
        )
    ]
    organizer = story.extra("Dana", "Abara", "work.example")
    first = nth_weekday(story.day(min(story.job_start - 10, 700)), 4, last=True)
    lines = [
        f"UID:{story.uid('work.example')}",
        "SUMMARY:All-hands",
        f"DTSTART;TZID=Europe/Berlin:{ics_local(datetime.combine(first, time(16, 0)))}",
        f"DTEND;TZID=Europe/Berlin:{ics_local(datetime.combine(first, time(17, 0)))}",
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR",
        f"ORGANIZER;CN={organizer[0]}:mailto:{organizer[1]}",
        attendee(*organizer),
        *[attendee(n, a) for n, a in staff],
        attendee(ME_NAME, ME_WORK),
        "STATUS:CONFIRMED",
    ]
    story.event(lines)
    story.absent.append(
        Absent(
            organizer[1],
            organizer[0],
            "big-meeting",
            "only a monthly all-hands with 12 attendees (> 8)",
        )
    )
    inviter = story.extra("Bashir", "Cardoso", "proton.example")
    start = story.berlin(140, 18, 0)
    story.event(
        [
            f"UID:{story.uid('google.com')}",
            "SUMMARY:Board game night",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(hours=3))}",
            f"ORGANIZER;CN={inviter[0]}:mailto:{inviter[1]}",
            attendee(*inviter),
            attendee(ME_NAME, ME_PERSONAL, "DECLINED"),
            "STATUS:CONFIRMED",
        ]
    )
    story.meetings.append(
        MeetingFacts((start.astimezone(UTC),), ((inviter[1], False),), i_declined=True)
    )
    story.absent.append(
        Absent(inviter[1], inviter[0], "declined-invite", "only an invitation you declined")
    )
    for days_ago, summary in ((400, "Public holiday"), (45, "Focus time"), (200, "Dentist")):
        day = story.day(days_ago)
        story.event(
            [
                f"UID:{story.uid('google.com')}",
                f"SUMMARY:{summary}",
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
                "TRANSP:TRANSPARENT",
            ]
        )


# --- entry points -------------------------------------------------------------------------


def build_history(
    today: date, *, years: int = 10, seed: int = 0, scale: int = 1, drifting_crowd: int = 0
) -> Story:
    story = Story(today, seed=seed, years=years, scale=scale)
    drifting(story)
    replies(story)
    newcomers(story)
    reconnects(story)
    lost(story)
    weak(story)
    actives(story)
    specials(story)
    crowd(story, drifting_crowd)
    bulk_and_machines(story, story.span, 1)
    calendar_noise(story)
    story.cards.append(ORG_CARD)
    story.check(ranking=drifting_crowd == 0)
    return story


def generate_history(
    out_dir: Path,
    today: date,
    *,
    years: int = 10,
    seed: int = 0,
    scale: int = 1,
    drifting_crowd: int = 0,
) -> HistorySet:
    """Write contacts.vcf, takeout.mbox and calendar.ics covering `years` years before
    `today`, and return where they are with the truth about everyone in them."""
    story = build_history(today, years=years, seed=seed, scale=scale, drifting_crowd=drifting_crowd)
    out_dir.mkdir(parents=True, exist_ok=True)
    contacts, mbox, ics = (out_dir / n for n in ("contacts.vcf", "takeout.mbox", "calendar.ics"))
    contacts.write_bytes(story.render_vcf().encode("utf-8"))
    mbox.write_bytes(story.render_mbox())
    ics.write_bytes(story.render_ics().encode("utf-8"))
    return HistorySet(
        contacts, mbox, ics, ME_ALL, today, story.truth(), lookback_days=story.span + 400
    )


def demo_layer(today: date) -> Story:
    """The older years `keepwarm demo` adds to samples.generate's year: two strong ties lost
    years ago (one reconnect a day), ancient one-offs, a weak acquaintance, someone met last
    week, the newsletter and bank years — merged into the year's files by generate()."""
    story = Story(today, seed="demo", years=10, scale=1)
    cast = (
        "Inês Duarte",
        "Kwame Asante",
        "Emre Demir",
        "Haruto Sato",
        "Sólveig Jónsdóttir",
        "Paulo Reis",
        "Amara Okonkwo",
    )  # in the order the archetypes below pick names
    for name in reversed(cast):
        entry = next(n for n in NAMES if f"{n[0]} {n[1]}" == name)
        story.pool.remove(entry)
        story.pool.append(entry)
    reconnects(story, ("college", "colleague"))
    lost(story, one_offs=2)
    p = story.person(
        "weak-acquaintance",
        "cold",
        None,
        "three contact days: cold on its inferred cadence, but not established",
    )
    for day in (430, 352, 276):
        story.exchange(p, day, "tm")
    p = story.person(
        "new-meeting",
        "warm",
        "new",
        "met for the first time 12 days ago: follow up",
        domain=PARTNER,
        topic="work",
    )
    story.meet(
        [p],
        story.utc(12, 14, 0),
        f"Intro: {p.given} / Sam",
        minutes=30,
        mine=ME_WORK,
        utc_times=True,
    )
    bulk_and_machines(story, story.span, 366, replies=False, rate=0.25)
    story.check(ranking=False)
    return story


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m samples.history", description="Write a multi-year sample history."
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--drifting-crowd", type=int, default=0)
    args = parser.parse_args(argv)
    today: date = args.today or date.today()
    history = generate_history(
        args.out_dir,
        today,
        years=args.years,
        seed=args.seed,
        scale=args.scale,
        drifting_crowd=args.drifting_crowd,
    )
    config = args.out_dir / "config.toml"
    store = f"sqlite:///{(args.out_dir / 'keepwarm.db').resolve()}"
    config.write_text(history.config(store), encoding="utf-8")
    (args.out_dir / "truth.json").write_text(history.truth_json(), encoding="utf-8")
    for path in (history.contacts, history.mbox, history.calendar, config):
        print(f"{path}  ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
