"""A fictional person's mailbox as export files, for `keepwarm demo` and the end-to-end tests.

Sam Rivera (sam@example.com at home, sam.rivera@work.example at work, and
s.rivera@northwind-labs.example at the previous job) exports an address book
(`contacts.vcf`), a Google Takeout mailbox (`takeout.mbox`) and a calendar (`calendar.ics`):
the 365 days before `today` in detail, built here, and the nine years before them, from
samples.history's demo layer. The files are generated at demo time, never committed, so
"last month" is always last month. Output depends only on `today`.

The story the report should tell (`SampleSet.ground_truth` states it as data):
- cold: Wei Chen (weekly 1:1s ended a month ago when Wei changed teams), Jonas Berg (close
  friend, silent for three months), Margaret Okafor (mentor, inner tier), Paulo Reis (three
  contact days last year: cold, but never an established tie);
- cooling: Sofia Rossi, Aiko Tanaka (lunch planned in five days), Daniel Kim (breakfast
  planned in eight days);
- dormant: Inês Duarte and Kwame Asante (strong ties years ago: one of them to reconnect
  with), Emre Demir, Haruto Sato, Sólveig Jónsdóttir (lost long ago, never strong);
- never: Greta Lindqvist (only a declined book-club invite), Hamid Rezaei (only all-hands);
- warm: family, the monthly lunch, the current team, the landlord, Ben Carter (wrote after
  the coffee that got cancelled; Sam has not answered), Amara Okonkwo (met twelve days ago);
- absent: newsletters, notifications, the mailing list, the recruiters Sam never answered,
  the 12-person reply-all thread, the 40-person all-hands, the dentist's office.

The morning digest (budget 7) it should lead with: reply Ben; drifting Wei, Margaret, Jonas,
Sofia; new Amara; reconnect Inês or Kwame.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from samples.history import Story

ME_NAME = "Sam Rivera"
ME_PERSONAL = "sam@example.com"
ME_WORK = "sam.rivera@work.example"
ME = (ME_PERSONAL, ME_WORK)
TIERS = {"inner": 14, "close": 30, "friends": 90, "network": 180}
DEFAULT_DAYS = 180
BERLIN = ZoneInfo("Europe/Berlin")
WINDOWS_TZID = "W. Europe Standard Time"
CRLF = "\r\n"


@dataclass(frozen=True, slots=True)
class SampleSet:
    """Where the three files went, who "me" is, and what the report should say about whom."""

    contacts: Path
    mbox: Path
    calendar: Path
    me: tuple[str, ...]
    ground_truth: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Pal:
    """One person Sam corresponds with; `first`/`last` bound the email contact days."""

    name: str
    spellings: tuple[str, ...]  # addresses as written in their mail, used in turn
    kind: str  # family | friend | mentor | work | landlord
    tz: str
    tier: str | None
    first: int | None  # days ago; None: never emailed
    last: int = 0
    gap: int = 30
    card: bool = True
    header_name: str | None = None  # how their mailer writes the display name


# fmt: off
CAST: tuple[Pal, ...] = (
    Pal("Elena Rivera", ("elena.rivera@posteo.example",), "family", "Europe/Madrid", "inner",
        360, 2, 6),
    Pal("Margaret Okafor", ("margaret@okafor-consulting.example", "m.okafor@uni-berlin.example"),
        "mentor", "Europe/London", "inner", 350, 45, 16, header_name='"Okafor, Margaret"'),
    Pal("Jonas Berg", ("Jonas.Berg@gmail.com", "jonasberg@googlemail.com"), "friend",
        "Europe/Stockholm", "close", 355, 95, 15),
    Pal("Priya Nair", ("priya.nair@fastmail.example",), "friend", "Europe/Berlin", "close",
        340, 6, 21),
    Pal("Sofia Rossi", ("sofia.rossi@libero.example",), "friend", "Europe/Rome", "close",
        330, 45, 24),
    Pal("Chloé Dubois", ("chloe.dubois@orange.example",), "friend", "Europe/Paris", "close",
        300, 8, 18, header_name="b"),
    Pal("Tomás Ibáñez", ("tomas.ibanez@correo.example", "tibanez@estudio-ibanez.example"),
        "friend", "Europe/Madrid", "friends", 340, 60, 35, header_name="latin1"),
    Pal("Aiko Tanaka", ("aiko.tanaka@icloud.example",), "friend", "Asia/Tokyo", "friends",
        360, 110, 40),
    Pal("Ben Carter", ("ben@carter.example",), "friend", "America/New_York", "friends",
        350, 200, 30),
    Pal("Raj Patel", ("raj.patel@outlook.example",), "friend", "Europe/London", "friends",
        330, 20, 30),
    Pal("Kofi Mensah", ("kofi.mensah@proton.example",), "friend", "Europe/Berlin", "friends",
        300, 30, 25),
    Pal("Daniel Kim", ("daniel.kim@oldjob.example", "dkim@startup.example"), "friend",
        "America/Los_Angeles", "network", 362, 250, 50, header_name=""),
    Pal("Lucia Moretti", ("lucia.moretti@conf.example",), "friend", "Europe/Rome", "network",
        260, 70, 45),
    Pal("Wei Chen", ("wei.chen@work.example",), "work", "Europe/Berlin", None, 330, 33, 9),
    Pal("Felix Wagner", ("felix.wagner@work.example",), "work", "Europe/Berlin", None, 360, 1, 3),
    Pal("Nadia Hassan", ("nadia.hassan@work.example",), "work", "Europe/Berlin", None,
        360, 2, 8),
    Pal("Markus Keller", ("m.keller@keller-hausverwaltung.example",), "landlord",
        "Europe/Berlin", None, 340, 12, 55, card=False),
    Pal("Björn Åkesson", ("bjorn.akesson@posteo.example",), "friend", "Europe/Stockholm", None,
        250, 40, 210, card=False, header_name="q"),
    Pal("Greta Lindqvist", ("greta.lindqvist@bokcirkel.example",), "friend", "Europe/Berlin",
        "friends", None),
    Pal("Hamid Rezaei", ("hamid.rezaei@work.example",), "work", "Europe/Berlin", "network", None),
)
# fmt: on
PALS = {p.name: p for p in CAST}

FIRST_NAMES = (
    "Anna", "Lukas", "Mia", "Jan", "Lea", "Paul", "Emma", "Tim", "Sara", "Noah", "Lina", "Finn",
    "Clara", "Max", "Ida", "Leon", "Maja", "Erik", "Nora", "Jakob", "Hanna", "Ole", "Mila",
    "Moritz", "Ella", "David", "Luisa", "Simon", "Amira", "Yusuf", "Elif", "Mateo", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Braun",
    "Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Meier", "Lehmann",
    "Schmitt", "Fischer", "Peters", "Yilmaz", "Kaya", "Nowak", "Jensen", "Costa", "Silva",
)  # fmt: skip
ASCII_FOLD = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "é": "e", "á": "a", "ñ": "n"})


# --- small helpers -------------------------------------------------------------------------


def local_at(today: date, days_ago: int, hour: int, minute: int, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour, minute), tz)


def days_ago_of(today: date, moment: datetime) -> int:
    return (today - moment.astimezone(UTC).date()).days


def rfc2047(text: str, how: str) -> str:
    """Encoded-words as real mailers write them: UTF-8 B, UTF-8 Q or ISO-8859-1 Q."""
    if text.isascii():
        return text
    if how == "b":
        return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="
    charset, raw = (
        ("ISO-8859-1", text.encode("latin-1")) if how == "latin1" else ("UTF-8", text.encode())
    )
    out = []
    for byte in raw:
        char = chr(byte)
        if char == " ":
            out.append("_")
        elif byte < 128 and (char.isalnum() or char in "!*+-/"):
            out.append(char)
        else:
            out.append(f"={byte:02X}")
    return f"=?{charset}?Q?{''.join(out)}?="


def address(name: str | None, addr: str, how: str = "q") -> str:
    if not name:
        return addr
    if name.startswith('"'):
        return f"{name} <{addr}>"
    return f"{rfc2047(name, how)} <{addr}>"


def pal_address(pal: Pal, spelling: str) -> str:
    style = pal.header_name
    if style is None:
        return address(pal.name, spelling)
    if style in ("b", "q", "latin1"):
        return address(pal.name, spelling, style)
    return address(style or None, spelling)


def fold(line: str) -> str:
    """RFC 5545/6350 folding: 75 octets a line, never splitting a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return CRLF.join(out)


def qp(text: str) -> str:
    """vCard 2.1 QUOTED-PRINTABLE as Outlook writes it: only non-ASCII and '=' escaped."""
    return "".join(
        f"={b:02X}" if b >= 128 or b == ord("=") else chr(b) for b in text.encode("utf-8")
    )


def bday(today: date, days_ahead: int, year: int) -> date:
    """A birthday `days_ahead` from today, in `year` (always a leap year, so 29 Feb exists)."""
    when = today + timedelta(days=days_ahead)
    return when.replace(year=year)


# --- contacts.vcf --------------------------------------------------------------------------


def contacts_vcf(today: date) -> str:
    """~20 cards as a phone/Google/Outlook/iCloud merge would look: styles, groups, QP."""
    priya_bday = bday(today, 9, 1992)
    cards = [
        f"""BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//iPhone OS 17.5//EN
N:Rivera;Elena;;;
FN:Elena Rivera
NICKNAME:Mamá
item1.EMAIL;type=INTERNET;type=pref:elena.rivera@posteo.example
item1.X-ABLabel:_$!<Home>!$_
TEL;type=CELL;type=VOICE;type=pref:+34 612 48 27 90
TEL;type=HOME;type=VOICE:+34 954 21 38 07
BDAY:{bday(today, 150, 1964).isoformat()}
X-ABRELATEDNAMES;type=pref:Sam Rivera
CATEGORIES:inner
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//iPhone OS 17.5//EN
N:Okafor;Margaret;;Dr.;
FN:Margaret Okafor
ORG:Okafor Consulting;
TITLE:Principal
item1.EMAIL;type=INTERNET;type=pref:margaret@okafor-consulting.example
item1.X-ABLabel:_$!<Other>!$_
item2.EMAIL;type=INTERNET:m.okafor@uni-berlin.example
item2.X-ABLabel:University
TEL;type=CELL;type=VOICE;type=pref:+44 7700 900461
item3.URL;type=pref:https\\://okafor-consulting.example
item3.X-ABLabel:_$!<HomePage>!$_
CATEGORIES:inner,mentors
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
FN:Jonas Berg
N:Berg;Jonas;;;
EMAIL;TYPE=INTERNET;TYPE=HOME:jonasberg@gmail.com
TEL;TYPE=CELL:+46 70 123 45 67
ADR;TYPE=HOME:;;Götgatan 12;Stockholm;;116 46;Sweden
CATEGORIES:myContacts,close
END:VCARD""",
        f"""BEGIN:VCARD
VERSION:3.0
FN:Priya Nair
N:Nair;Priya;;;
EMAIL;TYPE=INTERNET;TYPE=HOME:priya.nair@fastmail.example
EMAIL;TYPE=INTERNET;TYPE=WORK:priya@nairdesign.example
TEL;TYPE=CELL:+49 176 23 45 12 90
TEL;TYPE=WORK:+49 30 5567 2210
BDAY:{priya_bday.isoformat()}
CATEGORIES:myContacts,close
END:VCARD""",
        f"""BEGIN:VCARD
VERSION:3.0
FN:Sofia Rossi
N:Rossi;Sofia;;;
EMAIL;TYPE=INTERNET;TYPE=HOME:sofia.rossi@libero.example
TEL;TYPE=CELL:+39 347 123 4567
BDAY:--{bday(today, 210, 1996):%m-%d}
CATEGORIES:myContacts,close
END:VCARD""",
        f"""BEGIN:VCARD
VERSION:2.1
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Dubois;{qp("Chloé")};;;
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp("Chloé Dubois")}
TEL;CELL;PREF:+33 6 12 34 56 78
EMAIL;PREF;INTERNET:chloe.dubois@orange.example
CATEGORIES:close
REV:20240105T101500Z
END:VCARD""",
        f"""BEGIN:VCARD
VERSION:2.1
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp("Ibáñez")};{qp("Tomás")};;;
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp("Tomás Ibáñez")}
TEL;CELL:+34 622 10 48 31
TEL;WORK:+34 913 30 22 15
EMAIL;HOME:tomas.ibanez@correo.example
EMAIL;WORK:tibanez@estudio-ibanez.example
BDAY:{bday(today, 300, 1988):%Y%m%d}
CATEGORIES:friends
END:VCARD""",
        f"""BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//Mac OS X 14.4//EN
N:Tanaka;Aiko;;;
FN:Aiko Tanaka
item1.EMAIL;type=INTERNET;type=pref:aiko.tanaka@icloud.example
item1.X-ABLabel:_$!<Other>!$_
TEL;type=CELL;type=VOICE;type=pref:+81 90-1234-5678
BDAY;X-APPLE-OMIT-YEAR=1604:1604-{bday(today, 60, 1604):%m-%d}
CATEGORIES:friends
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
FN:Ben Carter
N:Carter;Ben;;;
EMAIL;TYPE=INTERNET;TYPE=HOME:ben@carter.example
EMAIL;TYPE=INTERNET;TYPE=WORK:bcarter@bigcorp.example
TEL;TYPE=CELL:+1 212-555-0147
CATEGORIES:myContacts,friends
END:VCARD""",
        """BEGIN:VCARD
VERSION:2.1
N:Patel;Raj;;;
FN:Raj Patel
TEL;CELL:+44 7700 900123
EMAIL;INTERNET;HOME:raj.patel@outlook.example
CATEGORIES:friends
X-MS-OL-DEFAULT-POSTAL-ADDRESS:0
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
FN:Kofi Mensah
N:Mensah;Kofi;;;
EMAIL;TYPE=INTERNET:kofi.mensah@proton.example
TEL;TYPE=CELL:0157 3456 7812
CATEGORIES:myContacts,friends
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
FN:Greta Lindqvist
N:Lindqvist;Greta;;;
EMAIL;TYPE=INTERNET:greta.lindqvist@bokcirkel.example
CATEGORIES:myContacts,friends
NOTE:Book club
END:VCARD""",
        """BEGIN:VCARD
VERSION:2.1
N:Rezaei;Hamid;;;
FN:Hamid Rezaei
EMAIL;PREF;INTERNET:hamid.rezaei@work.example
TEL;WORK:+49 30 2200 4417
ORG:Work GmbH;Finance
CATEGORIES:network
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
FN:Daniel Kim
N:Kim;Daniel;;;
EMAIL;TYPE=INTERNET;TYPE=WORK:dkim@startup.example
EMAIL;TYPE=INTERNET;TYPE=OTHER:daniel.kim@oldjob.example
TEL;TYPE=CELL:+1 415-555-0199
ORG:Startup Inc.
CATEGORIES:myContacts,network
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
FN:Lucia Moretti
N:Moretti;Lucia;;;
EMAIL;TYPE=INTERNET:lucia.moretti@conf.example
NOTE:Met at RustFest
CATEGORIES:network
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
FN:Wei Chen
N:Chen;Wei;;;
EMAIL;TYPE=INTERNET;TYPE=WORK:wei.chen@work.example
TEL;TYPE=WORK:+49 30 2200 4410
ORG:Work GmbH;Platform
TITLE:Staff Engineer
END:VCARD""",
        """BEGIN:VCARD
VERSION:2.1
N:Wagner;Felix;;;
FN:Felix Wagner
TEL;CELL;PREF:0151 23456789
EMAIL;INTERNET;HOME:felix.wagner@gmx.example
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
FN:Felix Wagner
N:Wagner;Felix;;;
EMAIL;TYPE=INTERNET;TYPE=WORK:felix.wagner@work.example
TEL;TYPE=CELL:+49 151 2345 6789
ORG:Work GmbH;Platform
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
FN:Nadia Hassan
N:Hassan;Nadia;;;
EMAIL;TYPE=INTERNET;TYPE=WORK:nadia.hassan@work.example
ORG:Work GmbH;Platform
TITLE:Engineering Manager
END:VCARD""",
        """BEGIN:VCARD
VERSION:2.1
N:Okafor;Margaret
FN:Margaret Okafor
EMAIL;PREF;INTERNET:m.okafor@uni-berlin.example
TEL;WORK:+44 20 7946 0321
ORG:Berlin University;Computer Science
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
N:;;;;
FN:Hausverwaltung Keller GmbH
ORG:Hausverwaltung Keller GmbH
EMAIL;TYPE=INTERNET;TYPE=WORK:verwaltung@keller-hausverwaltung.example
TEL;TYPE=WORK:030 4471 2290
CATEGORIES:myContacts
END:VCARD""",
        """BEGIN:VCARD
VERSION:2.1
N:Berg;Jonas;;;
FN:Jonas Berg
TEL;CELL;PREF:+46701234567
EMAIL;INTERNET:jonas.berg@googlemail.com
END:VCARD""",
        """BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//iPhone OS 17.5//EN
N:;;;;
FN:Zahnarztpraxis Dr. Sommer
ORG:Zahnarztpraxis Dr. Sommer;
KIND:org
X-ABShowAs:COMPANY
EMAIL;type=INTERNET;type=WORK:praxis@zahnarzt-sommer.example
TEL;type=WORK;type=VOICE:+49 30 8812 3344
ADR;type=WORK:;;Kastanienallee 7;Berlin;;10435;Germany
END:VCARD""",
    ]
    return CRLF.join(card.replace("\n", CRLF) for card in cards) + CRLF


# --- takeout.mbox --------------------------------------------------------------------------


@dataclass(slots=True)
class Mail:
    """One message before rendering: header values are final text (already encoded)."""

    when: datetime
    sender: str
    to: list[str]
    subject: str
    labels: str
    thread: int
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    msgid: str = ""
    reply_to_id: str = ""
    gmail_id: int = 0


SUBJECTS = {
    "family": ("Sunday call?", "Photos from the garden", "Fotos del jardín", "Flights for "
               "Christmas", "Your aunt's visit", "Recipe you asked for", "Did you get the parcel?"),
    "friend": ("Dinner next week?", "That article", "Climbing Saturday?", "Long time!",
               "Photos from the trip", "Concert tickets", "Quick question", "Book recommendation",
               "Are you around this weekend?", "Grüße aus München"),
    "mentor": ("Catching up", "Your question about the lead role", "Talk feedback",
               "Reading list", "Next month"),
    "work": ("Q3 roadmap", "Review: pipeline refactor", "Slides for Thursday", "Hiring loop",
             "Budget follow-up", "Incident notes 14:02 outage", "1:1 agenda", "On-call handover",
             "Design doc: ingestion v2", "Quick sync?"),
    "landlord": ("Heizung / heating in the flat", "Nebenkostenabrechnung", "Window repair",
                 "Key handover for the plumber"),
}  # fmt: skip
BODY_LINES = (
    "Sounds good, let's do that.",
    "Thanks for sending this over.",
    "I'll have a look tonight and get back to you.",
    "Does Thursday work for you?",
    "Attached, as promised.",
    "Ha, yes, exactly what I thought.",
    "Let me check and come back to you tomorrow.",
    "Great to hear from you!",
    "See you then.",
    "Can we move it by half an hour?",
)


class Ids:
    """Gmail-looking message ids, thread ids and Message-IDs from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def gmail(self) -> int:
        return self.rng.randrange(1_700_000_000_000_000_000, 1_800_000_000_000_000_000)

    def message_id(self, domain: str) -> str:
        token = f"{self.rng.getrandbits(96):024x}"
        if domain in ("gmail.com", "googlemail.com", "example.com"):
            raw = base64.b64encode(self.rng.randbytes(24)).decode().rstrip("=")
            return f"<CA+{raw}@mail.gmail.com>"
        return f"<{token}@{domain}>"


def body_for(rng: random.Random, greeting: str, signer: str) -> str:
    lines = rng.sample(BODY_LINES, rng.randint(1, 3))
    return f"Hi {greeting},\n\n" + "\n".join(lines) + f"\n\n{signer}\n"


def contact_days(rng: random.Random, pal: Pal, today: date) -> list[int]:
    """Days ago, oldest first, spaced around `pal.gap`; work mail avoids weekends."""
    assert pal.first is not None
    days: list[int] = []
    day = pal.first
    while day > pal.last:
        if pal.kind == "work":
            weekday = (today - timedelta(days=day)).weekday()
            day += max(0, weekday - 4)  # Saturday → Friday, Sunday → Friday
        if day > pal.last and (not days or day < days[-1]):
            days.append(day)
        day -= max(1, round(rng.gauss(pal.gap, pal.gap * 0.35)))
    days.append(pal.last)
    return days


class Mailbox:
    """Builds the year's mail and records which pal had contact when (for ground truth)."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.rng = random.Random("keepwarm-sample-mail")
        # Sam's answers to recent mail draw from their own generator, so adding them left the
        # rest of the year exactly as it was.
        self.answers = random.Random("keepwarm-sample-answers")
        self.ids = Ids(random.Random("keepwarm-sample-ids"))
        self.mails: list[Mail] = []
        self.contacts: dict[str, list[datetime]] = {}

    def contact(self, name: str, when: datetime) -> None:
        self.contacts.setdefault(name, []).append(when)

    def add(self, mail: Mail) -> Mail:
        domain = mail.sender.rpartition("@")[2].rstrip(">").lower()
        mail.msgid = mail.msgid or self.ids.message_id(domain)
        mail.gmail_id = mail.thread if not mail.reply_to_id else self.ids.gmail()
        self.mails.append(mail)
        return mail

    # People: reply threads where both sides write.
    def pal_threads(self, pal: Pal) -> None:
        rng = self.rng
        mine = ME_WORK if pal.kind == "work" else ME_PERSONAL
        me_header = address(ME_NAME, mine)
        for index, day in enumerate(contact_days(rng, pal, self.today)):
            spelling = pal.spellings[index % len(pal.spellings)]
            them = pal_address(pal, spelling)
            hour = rng.randint(9, 16) if pal.kind == "work" else rng.randint(8, 20)
            when = local_at(self.today, day, hour, rng.randint(0, 59))
            count = rng.choice((1, 2, 2, 3))
            i_start = pal.card is False or rng.random() < 0.5
            thread = self.ids.gmail()
            subject = rfc2047(rng.choice(SUBJECTS[pal.kind]), "q")
            previous = ""
            for turn in range(count):
                mine_turn = (turn % 2 == 0) == i_start
                prefix = "Re: " if turn else ""
                first_name = pal.name.split()[0]
                if mine_turn:
                    mail = Mail(
                        when,
                        me_header,
                        [them],
                        prefix + subject,
                        self._sent_labels(),
                        thread,
                        body=body_for(rng, first_name, "Sam"),
                    )
                else:
                    local = when.astimezone(ZoneInfo(pal.tz))
                    mail = Mail(
                        local,
                        them,
                        [me_header],
                        prefix + subject,
                        self._inbox_labels(),
                        thread,
                        body=body_for(rng, "Sam", first_name),
                    )
                mail.reply_to_id = previous
                previous = self.add(mail).msgid
                self.contact(pal.name, when)
                when = min(
                    when + timedelta(minutes=rng.randint(12, 200)), when.replace(hour=22, minute=30)
                )
            if day <= 31 and ((count - 1) % 2 == 0) != i_start:
                # Sam answered all recent mail: only the digest's `reply` examples wait.
                answer = Mail(
                    when,
                    me_header,
                    [them],
                    "Re: " + subject,
                    self.answers.choice(("Sent", "Sent,Opened")),
                    thread,
                    body=body_for(self.answers, pal.name.split()[0], "Sam"),
                    reply_to_id=previous,
                )
                self.add(answer)
                self.contact(pal.name, when)

    def rain_check(self, day: int) -> None:
        """Ben writes after the cancelled coffee; Sam has not answered (a `reply` is owed)."""
        ben = PALS["Ben Carter"]
        when = local_at(self.today, day, 12, 40, ZoneInfo(ben.tz))
        self.add(
            Mail(
                when,
                pal_address(ben, ben.spellings[0]),
                [address(ME_NAME, ME_PERSONAL)],
                "Rain check on that coffee?",
                "Inbox,Important,Opened,Category Personal",
                self.ids.gmail(),
                body="Hi Sam,\n\nSorry again about last time. Next week, same place?\n\nBen\n",
            )
        )
        self.contact(ben.name, when)

    def _sent_labels(self) -> str:
        return self.rng.choice(("Sent", "Sent", "Important,Sent", "Sent,Opened"))

    def _inbox_labels(self) -> str:
        return self.rng.choice((
            "Inbox,Important,Opened,Category Personal",
            "Archived,Opened,Category Personal",
            "Important,Inbox,Opened,Category Personal",
            "Opened,Category Personal,Archived,Important",
        ))  # fmt: skip

    def group_dinner(self, day: int, names: Sequence[str]) -> None:
        """Sam writes to a few friends at once (a small group counts for each)."""
        when = local_at(self.today, day, 19, 12)
        to = [pal_address(PALS[n], PALS[n].spellings[0]) for n in names]
        first = self.add(
            Mail(
                when,
                address(ME_NAME, ME_PERSONAL),
                to,
                "Dinner at ours?",
                "Sent",
                self.ids.gmail(),
                body=body_for(self.rng, "all", "Sam"),
            )
        )
        for n in names:
            self.contact(n, when)
        replier = PALS[names[0]]
        reply_when = when + timedelta(minutes=47)
        self.add(
            Mail(
                reply_when.astimezone(ZoneInfo(replier.tz)),
                pal_address(replier, replier.spellings[0]),
                [address(ME_NAME, ME_PERSONAL), *to[1:]],
                "Re: Dinner at ours?",
                self._inbox_labels(),
                first.thread,
                reply_to_id=first.msgid,
                body=body_for(self.rng, "Sam", replier.name.split()[0]),
            )
        )
        self.contact(replier.name, reply_when)

    # Noise: the majority of any real mailbox.
    def noise(self) -> None:
        self._github()
        self._bank()
        self._newsletters()
        self._promotions()
        self._mailing_list()
        self._recruiter()
        self._reply_all_thread()
        self._odds_and_ends()

    def _days(self) -> Iterable[tuple[int, date]]:
        for day in range(364, 0, -1):
            yield day, self.today - timedelta(days=day)

    def _github(self) -> None:
        rng = self.rng
        repos = ("acme/pipeline", "acme/ingest", "acme/infra")
        authors = ("Felix Wagner", "Nadia Hassan", "dependabot[bot]", "Wei Chen", "octo-ci")
        for day, when in self._days():
            count = rng.choice((0, 1, 1, 2, 2, 3)) if when.weekday() < 5 else rng.choice((0, 0, 1))
            for _ in range(count):
                repo = rng.choice(repos)
                number = rng.randint(100, 2400)
                owner, name = repo.split("/")
                subject = rng.choice((
                    f"[{repo}] Fix flaky retry test (PR #{number})",
                    f"Re: [{repo}] Bump requests from 2.31.0 to 2.32.3 (PR #{number})",
                    f"[{repo}] Ingest stalls on large batches (Issue #{number})",
                    f"[{repo}] Run failed: CI - main ({number:x}{rng.randint(16, 255):x})",
                ))  # fmt: skip
                self.add(Mail(
                    local_at(self.today, day, rng.randint(7, 21), rng.randint(0, 59)),
                    address(rng.choice(authors), "noreply@github.example"),
                    [f"{repo} <{name}@noreply.github.example>"], subject,
                    "Category Updates,Opened", self.ids.gmail(),
                    cc=[address(ME_NAME, ME_WORK), "Mention <mention@noreply.github.example>"],
                    extra=[
                        ("Reply-To", f"{repo} <reply+{rng.getrandbits(64):016X}@reply.github"
                                     ".example>"),
                        ("List-ID", f"{repo} <{name}.{owner}.github.example>"),
                        ("List-Unsubscribe", "<mailto:unsub+x@reply.github.example>"),
                        ("X-GitHub-Reason", rng.choice(("mention", "review_requested",
                                                         "subscribed", "author"))),
                        ("X-Auto-Response-Suppress", "All"),
                    ],
                    body="View it on GitHub: https://github.example/\n",
                ))  # fmt: skip

    def _bank(self) -> None:
        rng = self.rng
        for day, when in self._days():
            subject = None
            if when.day == 1:
                subject = f"Your statement for {when:%B %Y} is ready"
            elif rng.random() < 0.12:
                subject = f"Card payment of EUR {rng.randint(5, 180)},{rng.randint(0, 99):02d}"
            if subject:
                self.add(Mail(
                    local_at(self.today, day, rng.randint(6, 22), rng.randint(0, 59)),
                    address("Example Bank", "notifications@bank.example"),
                    [address(ME_NAME, ME_PERSONAL)], subject, "Inbox,Category Updates,Opened",
                    self.ids.gmail(), extra=[("Auto-Submitted", "auto-generated")],
                    body="Log in to online banking to see details.\n",
                ))  # fmt: skip

    def _newsletters(self) -> None:
        rng = self.rng
        letters = (
            ("The Weekly Byte", "newsletter@weeklybyte.example", 1, "Category Updates"),
            ("Ana Lima | Field Notes", "ana@fieldnotes.example", 6, "Category Updates"),
            ("Berlin Events", "digest@berlin-events.example", 3, "Category Promotions"),
        )
        for day, when in self._days():
            for name, sender, weekday, label in letters:
                if when.weekday() != weekday:
                    continue
                domain = sender.partition("@")[2]
                self.add(Mail(
                    local_at(self.today, day, 7, rng.randint(0, 30)), address(name, sender),
                    [ME_PERSONAL], f"{name.split('|')[-1].strip()} #{day % 200 + 100}",
                    f"{label},Unread" if rng.random() < 0.6 else f"{label},Opened",
                    self.ids.gmail(),
                    extra=[
                        ("List-Id", f"{name} <weekly.{domain}>"),
                        ("List-Unsubscribe", f"<https://{domain}/u/{rng.getrandbits(40):x}>, "
                                             f"<mailto:unsubscribe@{domain}>"),
                        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                    ],
                    body="This week: three links and a thought.\n",
                ))  # fmt: skip

    def _promotions(self) -> None:
        rng = self.rng
        shops = (
            ("Nordic Outfitters", "hello@nordic-outfitters.example", 0.42, "Category Promotions",
             ("Only today: 20% off everything", "New arrivals for the season",
              "Your weekend deals", "Last chance: free shipping")),
            ("Bahn Reisen", "angebote@bahnreisen.example", 0.28, "Category Promotions",
             ("Sparpreis: Berlin → München ab 17,99 €", "Your next trip, for less")),
            ("LinkedOut", "messages-noreply@linkedout.example", 0.3, "Category Social",
             ("Sam, you appeared in 4 searches this week", "You have 3 new invitations",
              "Congratulate your colleague on the work anniversary")),
        )  # fmt: skip
        for day, _ in self._days():
            for name, sender, chance, label, subjects in shops:
                if rng.random() >= chance:
                    continue
                extra = [("List-Unsubscribe", f"<https://{sender.partition('@')[2]}/unsub>")]
                if rng.random() < 0.5:
                    extra.append(("Precedence", "bulk"))
                self.add(Mail(
                    local_at(self.today, day, rng.randint(6, 20), rng.randint(0, 59)),
                    address(name, sender), [ME_PERSONAL], rfc2047(rng.choice(subjects), "q"),
                    f"{label},Unread", self.ids.gmail(), extra=extra,
                    body="View in your browser.\n",
                ))  # fmt: skip

    def _mailing_list(self) -> None:
        rng = self.rng
        names = unique_names(random.Random("keepwarm-sample-list"), 15)
        domains = ("posteo.example", "gmx.example", "mailbox.example")
        members = [address(n, email_for(n, domains[i % 3])) for i, n in enumerate(names)]
        listaddr = "berlin-rust@lists.example"
        topics = (
            "Meetup venue for next month",
            "Async runtimes talk slides",
            "[ANN] crate release",
            "Looking for a co-organiser",
            "Job: Rust dev in Kreuzberg",
        )
        day = 364
        while day > 1:
            thread = self.ids.gmail()
            subject = rng.choice(topics)
            previous = ""
            when = local_at(self.today, day, rng.randint(8, 12), rng.randint(0, 59))
            for turn in range(rng.randint(1, 5)):
                sender = rng.choice(members)
                mail = self.add(Mail(
                    when, sender, [listaddr], ("Re: " if turn else "") + subject,
                    "Category Forums,Opened" if rng.random() < 0.5 else "Category Forums,Unread",
                    thread, reply_to_id=previous,
                    extra=[
                        ("List-Id", "Berlin Rust Meetup <berlin-rust.lists.example>"),
                        ("List-Post", f"<mailto:{listaddr}>"),
                        ("List-Unsubscribe", "<mailto:berlin-rust-leave@lists.example>"),
                        ("Precedence", "list"),
                        ("Sender", "berlin-rust-bounces@lists.example"),
                    ],
                    body=body_for(rng, "all", sender.split()[0]),
                ))  # fmt: skip
                previous = mail.msgid
                when += timedelta(minutes=rng.randint(20, 150))
            day -= rng.randint(1, 3)

    def _recruiter(self) -> None:
        """Writes often, in the Primary tab, never answered: must not become a person."""
        rng = self.rng
        day = 350
        while day > 3:
            self.add(Mail(
                local_at(self.today, day, rng.randint(9, 17), rng.randint(0, 59)),
                address("Kevin Marsh", "kevin.marsh@talentbridge.example"),
                [address(ME_NAME, ME_WORK)],
                rng.choice(("Exciting Staff Engineer role in Munich",
                            "Following up: Platform Lead opportunity",
                            "Quick chat this week?", "Re: Exciting Staff Engineer role")),
                "Inbox,Category Personal,Unread", self.ids.gmail(),
                body="Hi Sam,\n\nI came across your profile and think you would be a great "
                     "fit.\n\nBest,\nKevin\n",
            ))  # fmt: skip
            day -= rng.randint(7, 16)

    def _reply_all_thread(self) -> None:
        """12 people on one thread; Sam replies to all (over max_email_group: no contact)."""
        rng = self.rng
        names = unique_names(random.Random("keepwarm-sample-offsite"), 11)
        hannah = address("Hannah Vogel", "hannah.vogel@partner.example")
        crowd = [hannah] + [
            address(n, email_for(n, d))
            for n, d in zip(
                names, ["partner.example", "agency.example", "client.example"] * 4, strict=False
            )
        ]
        me = address(ME_NAME, ME_WORK)
        thread = self.ids.gmail()
        subject = "Partner summit: offsite planning"
        previous = ""
        plan = [(0, 118, 9), (3, 118, 14), ("me", 117, 10), (5, 117, 16), (1, 116, 11),
                ("me", 115, 9), (7, 114, 15)]  # fmt: skip
        for who, day, hour in plan:
            when = local_at(self.today, day, hour, rng.randint(0, 59))
            if who == "me":
                mail = Mail(when, me, [crowd[0]], "Re: " + subject, "Sent", thread, cc=crowd[1:])
            else:
                assert isinstance(who, int)
                others = [c for i, c in enumerate(crowd) if i != who]
                mail = Mail(
                    when,
                    crowd[who],
                    [me, *others[:1]],
                    ("Re: " if previous else "") + subject,
                    "Inbox,Opened,Category Personal",
                    thread,
                    cc=others[1:],
                )
            mail.reply_to_id = previous
            mail.body = body_for(rng, "all", "Sam" if who == "me" else "H.")
            previous = self.add(mail).msgid

    def _odds_and_ends(self) -> None:
        rng = self.rng
        for day in (200, 110, 20):
            self.add(Mail(
                local_at(self.today, day, 10, 5),
                address("Zahnarztpraxis Dr. Sommer", "praxis@zahnarzt-sommer.example"),
                [ME_PERSONAL], "Terminerinnerung / appointment reminder",
                "Inbox,Opened,Category Personal", self.ids.gmail(),
                body="Wir erinnern Sie an Ihren Termin.\n",
            ))  # fmt: skip
        for day in (300, 180, 95, 44, 9):
            self.add(Mail(
                local_at(self.today, day, 8, 30), address(ME_NAME, ME_PERSONAL),
                [address(ME_NAME, ME_WORK)], "Fwd: receipt for expenses", "Sent,Inbox",
                self.ids.gmail(), body="for the expense report\n",
            ))  # fmt: skip
        for day in (250, 249, 120, 60, 59, 58):
            self.add(Mail(
                local_at(self.today, day, rng.randint(6, 22), 0),
                address("SkyWays", "booking@skyways.example"), [ME_PERSONAL],
                rng.choice(("Your booking confirmation", "Check in now for your flight")),
                "Inbox,Category Updates,Opened", self.ids.gmail(), body="Booking ref: X7Q2LM\n",
            ))  # fmt: skip
        for day in range(350, 1, -rng.randint(15, 19)):
            self.add(Mail(
                local_at(self.today, day, 3, rng.randint(0, 59)),
                address("Lottery Desk", f"winner{rng.randint(10, 99)}@prize-claim.example"),
                [ME_PERSONAL], "You have won!!!", "Spam,Unread", self.ids.gmail(),
                body="Reply with your bank details.\n",
            ))  # fmt: skip
        for day in range(330, 1, -rng.randint(25, 35)):
            self.add(Mail(
                local_at(self.today, day, 11, 0),
                address("Bücherhaus", "orders@buecherhaus.example"), [ME_PERSONAL],
                rfc2047("Ihre Bestellung wurde versandt", "q"), "Category Updates,Opened",
                self.ids.gmail(), body="Your order has shipped.\n",
            ))  # fmt: skip


def unique_names(rng: random.Random, count: int) -> list[str]:
    """Distinct generated names that never collide with the cast."""
    taken = {p.name for p in CAST}
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in taken and name not in names:
            names.append(name)
    return names


def email_for(name: str, domain: str) -> str:
    return f"{name.lower().translate(ASCII_FOLD).replace(' ', '.')}@{domain}"


def render_mail(mail: Mail) -> bytes:
    """Takeout's layout: `From <id>@xxx <asctime UTC>`, then X-GM-THRID and labels first."""
    utc = mail.when.astimezone(UTC)
    lines = [
        f"From {mail.gmail_id}@xxx {utc:%a %b %d %H:%M:%S} +0000 {utc:%Y}",
        f"X-GM-THRID: {mail.thread}",
        f"X-Gmail-Labels: {mail.labels}",
        "MIME-Version: 1.0",
        f"Date: {format_datetime(mail.when)}",
        f"Message-ID: {mail.msgid}",
    ]
    if mail.reply_to_id:
        lines += [f"In-Reply-To: {mail.reply_to_id}", f"References: {mail.reply_to_id}"]
    lines.append(f"Subject: {mail.subject}")
    lines.append(f"From: {mail.sender}")
    lines.append(f"To: {', '.join(mail.to)}")
    if mail.cc:
        lines.append("Cc: " + ",\n\t".join(mail.cc))
    if mail.bcc:
        lines.append(f"Bcc: {', '.join(mail.bcc)}")
    lines += [f"{name}: {value}" for name, value in mail.extra]
    lines += [
        'Content-Type: text/plain; charset="UTF-8"',
        "Content-Transfer-Encoding: 8bit",
        "",
        mail.body.rstrip("\n"),
        "",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def build_mailbox(today: date) -> Mailbox:
    box = Mailbox(today)
    for pal in CAST:
        if pal.first is not None:
            box.pal_threads(pal)
    box.group_dinner(150, ("Priya Nair", "Chloé Dubois", "Kofi Mensah", "Jonas Berg"))
    box.group_dinner(52, ("Chloé Dubois", "Priya Nair", "Kofi Mensah"))
    box.noise()
    box.rain_check(10)
    box.mails.sort(key=lambda m: (m.when.astimezone(UTC), m.msgid))
    return box


# --- calendar.ics --------------------------------------------------------------------------

VTIMEZONES = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""


def ics_local(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}"


def ics_utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def attendee(
    name: str,
    addr: str,
    partstat: str = "ACCEPTED",
    cutype: str = "INDIVIDUAL",
    role: str = "REQ-PARTICIPANT",
) -> str:
    return (f"ATTENDEE;CUTYPE={cutype};ROLE={role};PARTSTAT={partstat};CN={name};"
            f"X-NUM-GUESTS=0:mailto:{addr}")  # fmt: skip


def me_attendee(addr: str = ME_PERSONAL, partstat: str = "ACCEPTED") -> str:
    return attendee(ME_NAME, addr, partstat)


class Calendar:
    """Builds the events and records who met Sam when, and which meetings lie ahead."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.rng = random.Random("keepwarm-sample-calendar")
        self.events: list[list[str]] = []
        self.met: dict[str, list[datetime]] = {}
        self.planned: dict[str, list[datetime]] = {}
        self.stamp = ics_utc(datetime.combine(today, time(6, 0), UTC))
        self._uid = 0

    def uid(self, suffix: str) -> str:
        self._uid += 1
        return f"{self.rng.getrandbits(64):016x}{self._uid:03d}@{suffix}"

    def record(self, names: Iterable[str], start: datetime) -> None:
        """A counting meeting occurrence (only called for ones that should count)."""
        now = datetime.combine(self.today, time.min, UTC)
        for name in names:
            (self.met if start < now else self.planned).setdefault(name, []).append(start)

    def event(self, lines: list[str]) -> None:
        self.events.append(["BEGIN:VEVENT", f"DTSTAMP:{self.stamp}", *lines, "END:VEVENT"])

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def weekly_one_on_one(self) -> None:
        """Outlook series with Wei: EXDATEs, one moved occurrence, ended a month ago."""
        tz = f"TZID={WINDOWS_TZID}"
        start_day = self.day(330)
        start_day += timedelta(days=(3 - start_day.weekday()) % 7)  # a Thursday
        start = datetime.combine(start_day, time(10, 0), BERLIN)
        until = datetime.combine(self.day(30), time(23, 59, 59), UTC)
        occurrences = []
        moment = start
        while moment.astimezone(UTC) <= until:
            occurrences.append(moment)
            moment = datetime.combine(moment.date() + timedelta(days=7), time(10, 0), BERLIN)
        skipped = [occurrences[12], occurrences[26]]
        moved_from = occurrences[18]
        moved_to = datetime.combine(moved_from.date() + timedelta(days=1), time(14, 0), BERLIN)
        uid = self.uid("work.example")
        people = [
            "ORGANIZER;CN=Wei Chen:mailto:wei.chen@work.example",
            attendee("Wei Chen", "wei.chen@work.example"),
            me_attendee(ME_WORK),
        ]
        self.event([
            f"UID:{uid}", "SUMMARY:Sam / Wei 1:1", f"DTSTART;{tz}:{ics_local(start)}",
            f"DTEND;{tz}:{ics_local(start + timedelta(minutes=30))}",
            f"RRULE:FREQ=WEEKLY;UNTIL={ics_utc(until)};INTERVAL=1;BYDAY=TH;WKST=MO",
            f"EXDATE;{tz}:{','.join(ics_local(s) for s in skipped)}",
            *people, "CLASS:PUBLIC", "PRIORITY:5", "SEQUENCE:2", "STATUS:CONFIRMED",
            "TRANSP:OPAQUE", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY", "X-MICROSOFT-CDO-IMPORTANCE:1",
            "LOCATION:Microsoft Teams Meeting",
        ])  # fmt: skip
        self.event([
            f"UID:{uid}", f"RECURRENCE-ID;{tz}:{ics_local(moved_from)}",
            "SUMMARY:Sam / Wei 1:1 (moved)", f"DTSTART;{tz}:{ics_local(moved_to)}",
            f"DTEND;{tz}:{ics_local(moved_to + timedelta(minutes=30))}", *people,
            "SEQUENCE:3", "STATUS:CONFIRMED", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
        ])  # fmt: skip
        for occurrence in occurrences:
            if occurrence in skipped:
                continue
            self.record(["Wei Chen"], moved_to if occurrence == moved_from else occurrence)

    def monthly_lunch(self) -> None:
        """Google series with Priya: first Wednesday of each month, still running."""
        first = nth_weekday(self.day(320), 2)
        if first < self.day(320):
            first = nth_weekday(next_month(first), 2)
        start = datetime.combine(first, time(12, 30), BERLIN)
        self.event([
            f"UID:{self.uid('google.com')}", "SUMMARY:Lunch with Priya",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(hours=1))}",
            "RRULE:FREQ=MONTHLY;BYDAY=1WE",
            f"ORGANIZER;CN={ME_NAME}:mailto:{ME_PERSONAL}",
            attendee("Priya Nair", "priya.nair@fastmail.example"), me_attendee(),
            "LOCATION:Café Einstein\\, Kurfürstenstraße 58\\, Berlin",
            "DESCRIPTION:", "SEQUENCE:0", "STATUS:CONFIRMED", "TRANSP:OPAQUE",
        ])  # fmt: skip
        month = first
        horizon = self.today + timedelta(days=80)
        while month <= horizon:
            self.record(["Priya Nair"], datetime.combine(month, time(12, 30), BERLIN))
            month = nth_weekday(next_month(month), 2)

    def all_hands(self) -> None:
        """40 attendees: far over max_meeting_size; nobody becomes a contact from it."""
        names = unique_names(random.Random("keepwarm-sample-allhands"), 34)
        crowd = [(n, email_for(n, "work.example")) for n in names] + [
            ("Wei Chen", "wei.chen@work.example"),
            ("Felix Wagner", "felix.wagner@work.example"),
            ("Nadia Hassan", "nadia.hassan@work.example"),
            ("Hamid Rezaei", "hamid.rezaei@work.example"),
        ]
        tz = f"TZID={WINDOWS_TZID}"
        start_day = nth_weekday(self.day(340), 4, last=True)
        start = datetime.combine(start_day, time(16, 0), BERLIN)
        self.event([
            f"UID:{self.uid('work.example')}", "SUMMARY:All-hands",
            f"DTSTART;{tz}:{ics_local(start)}",
            f"DTEND;{tz}:{ics_local(start + timedelta(hours=1))}",
            "RRULE:FREQ=MONTHLY;BYDAY=-1FR",
            "ORGANIZER;CN=Katrin Vogt:mailto:katrin.vogt@work.example",
            attendee("Katrin Vogt", "katrin.vogt@work.example"),
            *[attendee(n, a, self.rng.choice(("ACCEPTED", "TENTATIVE", "NEEDS-ACTION")))
              for n, a in crowd],
            me_attendee(ME_WORK),
            "LOCATION:Atrium / Teams", "STATUS:CONFIRMED", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
        ])  # fmt: skip

    def team_planning(self) -> None:
        """Weekly with Felix and Nadia in Room 4.01 (a room is never a person)."""
        start_day = self.day(300)
        start_day += timedelta(days=(1 - start_day.weekday()) % 7)  # a Tuesday
        start = datetime.combine(start_day, time(9, 30), BERLIN)
        self.event([
            f"UID:{self.uid('google.com')}", "SUMMARY:Platform team planning",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(minutes=45))}",
            "RRULE:FREQ=WEEKLY;BYDAY=TU",
            "ORGANIZER;CN=Nadia Hassan:mailto:nadia.hassan@work.example",
            attendee("Nadia Hassan", "nadia.hassan@work.example"),
            attendee("Felix Wagner", "felix.wagner@work.example"), me_attendee(ME_WORK),
            attendee("Room 4.01", "room-4.01@resource.work.example", cutype="ROOM",
                     role="NON-PARTICIPANT"),
            "LOCATION:Room 4.01", "STATUS:CONFIRMED",
        ])  # fmt: skip
        moment = start
        horizon = datetime.combine(self.today + timedelta(days=80), time.min, BERLIN)
        while moment < horizon:
            self.record(["Nadia Hassan", "Felix Wagner"], moment)
            moment = datetime.combine(moment.date() + timedelta(days=7), time(9, 30), BERLIN)

    def biweekly_sync(self) -> None:
        """Google-style UTC times: every other Monday with Nadia."""
        start_day = self.day(350)
        start_day += timedelta(days=(0 - start_day.weekday()) % 7)
        start = datetime.combine(start_day, time(14, 0), UTC)
        self.event([
            f"UID:{self.uid('google.com')}", "SUMMARY:Nadia <> Sam",
            f"DTSTART:{ics_utc(start)}", f"DTEND:{ics_utc(start + timedelta(minutes=30))}",
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
            "ORGANIZER;CN=Nadia Hassan:mailto:nadia.hassan@work.example",
            attendee("Nadia Hassan", "nadia.hassan@work.example"), me_attendee(ME_WORK),
            "STATUS:CONFIRMED",
        ])  # fmt: skip
        moment = start
        horizon = datetime.combine(self.today + timedelta(days=80), time.min, UTC)
        while moment < horizon:
            self.record(["Nadia Hassan"], moment)
            moment += timedelta(days=14)

    def singles(self) -> None:
        """One-off events: mentor calls, declined, cancelled, floating, all-day, future."""
        margaret = "margaret@okafor-consulting.example"
        for k in range(10):
            start = datetime.combine(self.day(40 + 28 * k), time(16, 0), UTC)
            self.event([
                f"UID:{self.uid('google.com')}", "SUMMARY:Mentoring call with Margaret",
                f"DTSTART:{ics_utc(start)}", f"DTEND:{ics_utc(start + timedelta(minutes=45))}",
                f"ORGANIZER;CN={ME_NAME}:mailto:{ME_PERSONAL}",
                attendee("Margaret Okafor", margaret), me_attendee(),
                "LOCATION:https://meet.example/abc-defg-hij", "STATUS:CONFIRMED",
            ])  # fmt: skip
            self.record(["Margaret Okafor"], start)
        start = local_at(self.today, 61, 19, 0)
        self.event([
            f"UID:{self.uid('google.com')}", "SUMMARY:Book club: kickoff",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(hours=2))}",
            "ORGANIZER;CN=Greta Lindqvist:mailto:greta.lindqvist@bokcirkel.example",
            attendee("Greta Lindqvist", "greta.lindqvist@bokcirkel.example"),
            attendee("Lena Hoffmann", "lena.hoffmann@bokcirkel.example"),
            attendee("Omar Farouk", "omar.farouk@bokcirkel.example"),
            me_attendee(partstat="DECLINED"), "STATUS:CONFIRMED",
        ])  # fmt: skip
        start = local_at(self.today, 40, 8, 30)
        self.event([
            f"UID:{self.uid('google.com')}", "SUMMARY:Coffee with Ben",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(hours=1))}",
            f"ORGANIZER;CN={ME_NAME}:mailto:{ME_PERSONAL}",
            attendee("Ben Carter", "ben@carter.example"), me_attendee(),
            "STATUS:CANCELLED", "SEQUENCE:1",
        ])  # fmt: skip
        for days_ago in (160, 20):
            start = datetime.combine(self.day(days_ago), time(19, 30))
            self.event([
                f"UID:{self.uid('google.com')}", "SUMMARY:Dinner at Chloé's",
                f"DTSTART:{ics_local(start)}", f"DTEND:{ics_local(start + timedelta(hours=3))}",
                "ORGANIZER;CN=Chloé Dubois:mailto:chloe.dubois@orange.example",
                attendee("Chloé Dubois", "chloe.dubois@orange.example"), me_attendee(),
                "STATUS:CONFIRMED",
            ])  # fmt: skip
            self.record(["Chloé Dubois"], start.replace(tzinfo=BERLIN))
        for days_ago in (230, 130, 30):
            start = local_at(self.today, days_ago, 10, 0)
            self.event([
                f"UID:{self.uid('google.com')}", "SUMMARY:Bouldering with Kofi",
                f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
                f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(hours=2))}",
                f"ORGANIZER;CN={ME_NAME}:mailto:{ME_PERSONAL}",
                attendee("Kofi Mensah", "kofi.mensah@proton.example"), me_attendee(),
                "LOCATION:Boulderklub Kreuzberg", "STATUS:CONFIRMED",
            ])  # fmt: skip
            self.record(["Kofi Mensah"], start)
        start = local_at(self.today, 251, 15, 30)
        self.event([
            f"UID:{self.uid('google.com')}", "SUMMARY:Coffee w/ Lucia (RustFest)",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(minutes=30))}",
            f"ORGANIZER;CN={ME_NAME}:mailto:{ME_PERSONAL}",
            attendee("Lucia Moretti", "lucia.moretti@conf.example"), me_attendee(),
            "STATUS:CONFIRMED",
        ])  # fmt: skip
        self.record(["Lucia Moretti"], start)
        start = local_at(self.today, -5, 12, 30)
        self.event([
            f"UID:{self.uid('google.com')}", "SUMMARY:Lunch with Aiko",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(minutes=90))}",
            f"ORGANIZER;CN={ME_NAME}:mailto:{ME_PERSONAL}",
            attendee("Aiko Tanaka", "aiko.tanaka@icloud.example"), me_attendee(),
            "LOCATION:Cocolo Ramen", "STATUS:CONFIRMED",
        ])  # fmt: skip
        self.record(["Aiko Tanaka"], start)
        for days_ago, summary, length in (
            (200, "Dentist", 1),
            (254, "RustFest", 3),
            (75, "Public holiday", 1),
        ):
            first = self.day(days_ago)
            self.event([
                f"UID:{self.uid('google.com')}", f"SUMMARY:{summary}",
                f"DTSTART;VALUE=DATE:{first:%Y%m%d}",
                f"DTEND;VALUE=DATE:{first + timedelta(days=length):%Y%m%d}", "TRANSP:TRANSPARENT",
            ])  # fmt: skip
        start = local_at(self.today, 200, 8, 0)
        self.event([
            f"UID:{self.uid('google.com')}", "SUMMARY:Zahnarzt (check-up)",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(minutes=45))}",
            "LOCATION:Kastanienallee 7\\, Berlin", "STATUS:CONFIRMED",
        ])  # fmt: skip
        start = local_at(self.today, -8, 8, 30)
        self.event([
            f"UID:{self.uid('google.com')}", "SUMMARY:Breakfast with Daniel (in Berlin)",
            f"DTSTART;TZID=Europe/Berlin:{ics_local(start)}",
            f"DTEND;TZID=Europe/Berlin:{ics_local(start + timedelta(hours=1))}",
            "ORGANIZER;CN=Daniel Kim:mailto:dkim@startup.example",
            attendee("Daniel Kim", "dkim@startup.example"), me_attendee(),
            "LOCATION:Father Carpenter", "STATUS:CONFIRMED",
        ])  # fmt: skip
        self.record(["Daniel Kim"], start)

    def render(self) -> str:
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


def next_month(day: date) -> date:
    """The first of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def nth_weekday(month: date, weekday: int, last: bool = False) -> date:
    """The first (or last) `weekday` (Mon=0) of `month`'s month."""
    if last:
        end = next_month(month) - timedelta(days=1)
        return end - timedelta(days=(end.weekday() - weekday) % 7)
    start = month.replace(day=1)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def build_calendar(today: date) -> Calendar:
    calendar = Calendar(today)
    calendar.weekly_one_on_one()
    calendar.monthly_lunch()
    calendar.all_hands()
    calendar.team_planning()
    calendar.biweekly_sync()
    calendar.singles()
    return calendar


# --- ground truth --------------------------------------------------------------------------

ABSENT = {
    "kevin.marsh@talentbridge.example": "recruiter: writes often, never answered",
    "hannah.vogel@partner.example": "12-person reply-all thread (> max_email_group)",
    "katrin.vogt@work.example": "40-person all-hands (> max_meeting_size)",
    "noreply@github.example": "automated notifications",
    "notifications@bank.example": "Auto-Submitted: auto-generated",
    "newsletter@weeklybyte.example": "newsletter (List-Id/List-Unsubscribe)",
    "ana@fieldnotes.example": "newsletter with a person's name",
    "digest@berlin-events.example": "newsletter",
    "hello@nordic-outfitters.example": "promotions",
    "messages-noreply@linkedout.example": "social notifications",
    "orders@buecherhaus.example": "Category Updates label only",
    "berlin-rust@lists.example": "mailing list",
    "praxis@zahnarzt-sommer.example": "organisation card (KIND:org)",
    "verwaltung@keller-hausverwaltung.example": "ORG-only card (no personal name)",
    "lena.hoffmann@bokcirkel.example": "only a meeting Sam declined",
    "room-4.01@resource.work.example": "a room (CUTYPE=ROOM)",
}


def ground_truth(
    today: date, box: Mailbox, calendar: Calendar, older: Story | None = None
) -> dict[str, Any]:
    """What the report and the digest should say, derived from the generated records
    themselves by the rules in samples.judge (DESIGN.md's defaults).

    Each person's `digest` is the kind they qualify for today; `digest` at the top level is
    the digest a budget of 7 holds (DESIGN's fill order), which shows every kind.
    Untiered people get the median gap between their contact days as an "inferred" cadence
    (a report may infer differently; the designed margins keep the status the same)."""
    from samples.judge import Touch, fill_digest, judge, mail_touches

    me = tuple(dict.fromkeys((*ME, *(older.me if older else ()))))  # each address once
    mailed, _ = mail_touches(box.mails, me)
    people: dict[str, Any] = {}
    verdicts = {}
    for pal in CAST:
        emails = sorted({normalize(s) for s in pal.spellings})
        by_mail = [t for e in emails for t in mailed.get(e, [])]
        written = sorted(t.at for t in by_mail)
        if written != sorted(m.astimezone(UTC) for m in box.contacts.get(pal.name, [])):
            raise AssertionError(f"{pal.name}: the mail written differs from the story")
        met = [Touch(m.astimezone(UTC), "meet") for m in calendar.met.get(pal.name, [])]
        planned = calendar.planned.get(pal.name, [])
        verdict = judge([*by_mail, *met], today=today, tier=pal.tier, has_card=pal.card,
                        planned=planned)  # fmt: skip
        verdicts[pal.name] = verdict
        entry: dict[str, Any] = {
            "status": verdict.status,
            "tier": pal.tier,
            "cadence_days": verdict.cadence_days,
            "cadence_source": verdict.cadence_source,
            "last_contact_days_ago": verdict.days_since,
            "contact_days_365d": sum(1 for d in verdict.contact_days if (today - d).days < 365),
            "emails": emails,
            "has_card": pal.card,
            "strength": verdict.strength,
            "digest": verdict.kind,
        }
        if planned:
            entry["next_planned_days_ahead"] = min(
                (p.astimezone(UTC).date() - today).days for p in planned
            )
        people[pal.name] = entry
    people["Priya Nair"]["birthday_in_days"] = 9
    absent = dict(ABSENT)
    if older is not None:
        for key, person in older.truth().items():
            if person.status == "absent":
                absent[key] = person.why
                continue
            verdicts[person.name] = older.verdicts()[key]
            people[person.name] = {
                "status": person.status,
                "tier": person.tier,
                "cadence_days": person.cadence_days,
                "cadence_source": person.cadence_source,
                "last_contact_days_ago": verdicts[person.name].days_since,
                "contact_days_365d": sum(1 for d in person.contact_days if (today - d).days < 365),
                "emails": list(person.emails),
                "has_card": person.has_card,
                "strength": person.strength,
                "digest": person.kind,
                "archetype": person.archetype,
            }
    # DESIGN: most overdue first, dormant after the rest (ties as the report breaks them).
    ranked = sorted(
        (n for n, e in people.items() if e["status"] in ("cold", "cooling")),
        key=lambda n: (-(verdicts[n].overdue_ratio or 0.0), n.lower()),
    )
    digest = fill_digest(verdicts)
    return {
        "as_of": today.isoformat(),
        "me": list(me),
        "people": people,
        "absent": absent,
        "report_size": len(people),
        "most_overdue_first": ranked[:4],
        "digest": {
            "budget": 7,
            "items": [list(item) for item in digest.items],
            "reconnect_from": sorted(digest.reconnect_from),
        },
        "identity_folds": {
            "jonasberg@gmail.com": [
                "Jonas.Berg@gmail.com",
                "jonasberg@googlemail.com",
                "jonas.berg@googlemail.com",
            ],
            "+4915123456789": ["0151 23456789", "+49 151 2345 6789"],
        },
    }


def normalize(addr: str) -> str:
    """The store's spelling (models.identity.normalize_email, kept import-free here)."""
    local, _, domain = addr.strip().lower().rpartition("@")
    if domain in ("gmail.com", "googlemail.com"):
        return f"{local.split('+', 1)[0].replace('.', '')}@gmail.com"
    return f"{local}@{domain}"


# --- entry points --------------------------------------------------------------------------


def generate(out_dir: Path, today: date) -> SampleSet:
    """Write contacts.vcf, takeout.mbox and calendar.ics: the year before `today` in detail,
    and the nine years before it (samples.history's demo layer: ties lost long ago, one-offs,
    newsletters), so the morning digest has every kind of item to show."""
    from samples.history import demo_layer

    out_dir.mkdir(parents=True, exist_ok=True)
    contacts = out_dir / "contacts.vcf"
    mbox = out_dir / "takeout.mbox"
    ics = out_dir / "calendar.ics"
    older = demo_layer(today)
    contacts.write_bytes((contacts_vcf(today) + older.render_vcf()).encode("utf-8"))
    box = build_mailbox(today)
    box.mails = sorted([*box.mails, *older.mails], key=lambda m: (m.when.astimezone(UTC), m.msgid))
    mbox.write_bytes(b"".join(render_mail(m) for m in box.mails))
    calendar = build_calendar(today)
    calendar.events += older.events
    ics.write_bytes(calendar.render().encode("utf-8"))
    truth = ground_truth(today, box, calendar, older)
    return SampleSet(contacts, mbox, ics, tuple(truth["me"]), truth)


def toml_str(value: str) -> str:
    return json.dumps(value)


# The calendar reaches ten years back: read it all (the default window is five years).
CALENDAR_LOOKBACK_DAYS = 11 * 366


def demo_config(sample: SampleSet, store_url: str) -> str:
    """config.toml text for the demo (DESIGN.md's shape; models.config accepts it)."""
    tiers = ", ".join(f"{k} = {v}" for k, v in TIERS.items())
    emails = ", ".join(toml_str(e) for e in sample.me)
    accounts = (("contacts", "vcard", sample.contacts), ("takeout", "mbox", sample.mbox),
                ("calendar", "ics", sample.calendar))  # fmt: skip
    parts = [
        "# keepwarm demo: generated sample data, scratch store",
        "[store]",
        f"url = {toml_str(store_url)}",
        "",
        "[me]",
        f"emails = [{emails}]",
        'default_region = "DE"',
    ]
    for name, kind, path in accounts:
        parts += ["", "[[accounts]]", f'name = "{name}"', f'kind = "{kind}"',
                  f"path = {toml_str(str(path))}"]  # fmt: skip
        if kind == "ics":
            parts.append(f"lookback_days = {CALENDAR_LOOKBACK_DAYS}")
    parts += ["", "[cadence]", f"tiers = {{ {tiers} }}", f"default_days = {DEFAULT_DAYS}", ""]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m samples.generate", description="Write keepwarm's demo sample files."
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="YYYY-MM-DD (default: today)")  # fmt: skip
    args = parser.parse_args(argv)
    today: date = args.today or date.today()
    sample = generate(args.out_dir, today)
    config = args.out_dir / "config.toml"
    store = f"sqlite:///{(args.out_dir / 'keepwarm.db').resolve()}"
    config.write_text(demo_config(sample, store), encoding="utf-8")
    for path in (sample.contacts, sample.mbox, sample.calendar, config):
        print(f"{path}  ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
