"""The digest's judgment (models.digest) over hand-built facts: who is named, as what, why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from models.config import DigestConfig
from models.digest import Facts, History, build_digest, next_birthday

TODAY = date(2026, 11, 20)
SETTINGS = DigestConfig()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def iso(*days: date) -> tuple[str, ...]:
    return tuple(day.isoformat() for day in days)


def at(days: int) -> datetime:
    """Naive UTC, as the store keeps moments."""
    return datetime.combine(ago(days), datetime.min.time()) + timedelta(hours=10)


def person(name: str, **kw: object) -> Facts:
    """Facts with sensible defaults; `days_after_first` and `peak_year_days` (with
    `peak_year_end`) are spelled out as contact days."""
    after = kw.pop("days_after_first", None)
    peak = kw.pop("peak_year_days", None)
    peak_end = kw.pop("peak_year_end", ago(30))
    first_at = kw.get("first_contact_at", at(700))
    first = first_at.date() if isinstance(first_at, datetime) else ago(700)
    days: list[date] = []
    if isinstance(after, int) and isinstance(first, date):
        days = [first + timedelta(days=n) for n in range(after + 1)]
    elif isinstance(peak, int) and isinstance(peak_end, date):
        days = [peak_end - timedelta(days=7 * n) for n in reversed(range(peak))]
    else:
        days = [ago(700) + timedelta(days=7 * n) for n in range(20)]
    kw.setdefault("contact_days", tuple(d.isoformat() for d in days))
    base = Facts(
        id=name.lower().replace(" ", "-"),
        name=name,
        emails=(f"{name.split()[0].lower()}@example.com",),
        status="warm",
        cadence_days=30,
        cadence_source="inferred",
        tier=None,
        strength=20,
        last_contact_day=ago(5),
        last_channel="email",
        last_personal_in_at=None,
        last_reply_at=at(5),
        first_contact_at=at(700),
        first_channel="email",
        contact_days=(),
        next_planned_at=None,
        snoozed_until=None,
        ignored=False,
        birthday=None,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def owed(name: str, days: int, **kw: object) -> Facts:
    return person(
        name,
        last_personal_in_at=at(days),
        last_reply_at=at(days + 3),
        last_contact_day=ago(days),
        **kw,
    )


def drifting(name: str, since: int, cadence: int = 7, strength: int = 40, **kw: object) -> Facts:
    status = kw.pop("status", "cooling" if since <= 2 * cadence else "cold")
    return person(
        name,
        status=status,
        cadence_days=cadence,
        strength=strength,
        last_contact_day=ago(since),
        last_reply_at=at(since),
        **kw,
    )


def digest(people: list[Facts], history: History | None = None, **settings: int) -> list[str]:
    made = build_digest(
        people,
        as_of=TODAY,
        settings=DigestConfig(**settings),
        history=history or History(),
    )
    return [f"{item.kind}:{item.name}" for item in made.items]


def test_reply_owed_only_between_2_and_30_days_and_only_if_unanswered() -> None:
    people = [
        owed("Paulo Reis", 5),
        owed("Too Fresh", 1),
        owed("Too Old", 31),
        person(  # answered: you wrote after their mail
            "Answered Already",
            last_personal_in_at=at(8),
            last_reply_at=at(6),
        ),
    ]
    assert digest(people) == ["reply:Paulo Reis"]
    made = build_digest(people, as_of=TODAY, settings=SETTINGS, history=History())
    assert made.items[0].reason == (
        "Paulo wrote to you on 15 Nov (5 days ago) and you have not answered."
    )


def test_a_reply_is_owed_even_with_a_meeting_planned_and_right_after_a_delivery() -> None:
    paulo = owed("Paulo Reis", 6, next_planned_at=at(-3))
    history = History([(paulo.id, ago(1), "reply")])
    assert digest([paulo], history) == ["reply:Paulo Reis"]


def test_drifting_needs_an_established_tie_and_ranks_strength_times_overdue() -> None:
    close_friend = drifting("Ines Duarte", since=60, cadence=30, strength=30)  # a month late
    acquaintance = drifting(
        "Acq Uaintance", since=365 + 180, cadence=180, strength=4, status="cold"
    )  # a year late
    one_off = drifting("One Off", since=400, cadence=180, strength=1, cadence_source="default")
    assert digest([acquaintance, one_off, close_friend]) == [
        "drifting:Ines Duarte",
        "drifting:Acq Uaintance",
    ]


def test_a_tier_makes_a_tie_established_without_history() -> None:
    tiered = drifting("Tom Tiered", since=40, cadence=14, strength=1, cadence_source="tier")
    tiered = replace(tiered, tier="inner")
    (item,) = build_digest([tiered], as_of=TODAY, settings=SETTINGS, history=History()).items
    assert item.kind == "drifting"
    assert item.reason == (
        "Tom is in your inner circle (every two weeks); you last wrote on 11 Oct, 6 weeks ago."
    )


def test_drifting_reason_speaks_of_the_rhythm() -> None:
    ines = drifting("Ines Duarte", since=42, cadence=7, last_channel="meeting")
    (item,) = build_digest([ines], as_of=TODAY, settings=SETTINGS, history=History()).items
    assert item.reason == "You and Ines used to meet every week; it has been 6 weeks."


def test_warm_people_and_dormant_people_do_not_drift() -> None:
    assert (
        digest(
            [person("Warm Wanda"), drifting("Lost Lars", 900, status="dormant", peak_year_days=3)]
        )
        == []
    )


def test_new_first_contact_3_to_30_days_ago_with_little_since() -> None:
    yusuf = person(
        "Yusuf Demir",
        first_contact_at=at(11),
        first_channel="meeting",
        days_after_first=0,
        strength=1,
        last_contact_day=ago(11),
    )
    second = replace(yusuf, id="two", name="Two Days", contact_days=iso(ago(11), ago(4)))
    busy = replace(yusuf, id="busy", name="Busy Already", contact_days=iso(ago(11), ago(5), ago(4)))
    fresh = replace(yusuf, id="fresh", name="Just Met", first_contact_at=at(1))
    stale = replace(yusuf, id="stale", name="Long Ago", first_contact_at=at(45))
    names = digest([yusuf, second, busy, fresh, stale])
    assert names == ["new:Yusuf Demir", "new:Two Days"]
    made = build_digest([yusuf], as_of=TODAY, settings=SETTINGS, history=History())
    assert made.items[0].reason == (
        "You met Yusuf for the first time on 9 Nov — follow up while it's fresh."
    )


def test_reconnect_at_most_one_and_rotating_through_the_least_recently_suggested() -> None:
    lost = [
        person(
            name,
            status="dormant",
            cadence_days=14,
            strength=0,
            last_contact_day=ago(1500),
            peak_year_days=peak,
            peak_year_end=ago(1600),
        )
        for name, peak in (("Carla Mendes", 40), ("Dmitri Volkov", 25), ("Weak Link", 3))
    ]
    assert digest(lost) == ["reconnect:Carla Mendes"]
    (item,) = build_digest(lost, as_of=TODAY, settings=SETTINGS, history=History()).items
    first, last = ago(1600 + 7 * 39), ago(1600)  # forty weekly contact days
    span = f"{first:%b} {first.year} and {last:%b} {last.year}"
    assert item.reason == (
        f"You and Carla were in touch on 40 days between {span}; the last time was "
        f"{ago(1500).day} {ago(1500):%b} {ago(1500).year}, 4 years ago. Say hello?"
    )
    carla = lost[0].id
    assert digest(lost, History([(carla, ago(8), "reconnect")])) == ["reconnect:Dmitri Volkov"]
    both = History([(carla, ago(20), "reconnect"), (lost[1].id, ago(9), "reconnect")])
    assert digest(lost, both) == ["reconnect:Carla Mendes"]


def test_exclusions_snoozed_ignored_planned_and_recently_delivered() -> None:
    base = drifting("Ines Duarte", 60, cadence=30)
    assert digest([replace(base, snoozed_until=ago(-1))]) == []
    assert digest([replace(base, snoozed_until=TODAY)]) == ["drifting:Ines Duarte"]
    assert digest([replace(base, ignored=True)]) == []
    assert digest([replace(base, next_planned_at=at(-14))]) == []
    assert digest([replace(base, next_planned_at=at(-15))]) == ["drifting:Ines Duarte"]
    assert digest([base], History([(base.id, ago(7), "drifting")])) == ["drifting:Ines Duarte"]
    assert digest([base], History([(base.id, ago(6), "drifting")])) == []
    assert digest([base], History([(base.id, TODAY, "drifting")])) == ["drifting:Ines Duarte"]


def test_budget_keeps_a_seat_for_new_and_reconnect() -> None:
    crowd = [drifting(f"Friend {n:02d}", 30 + n, cadence=14) for n in range(12)]
    newcomer = person("New Nora", first_contact_at=at(6), days_after_first=0, strength=1)
    lost = person(
        "Old Olga",
        status="dormant",
        last_contact_day=ago(2000),
        peak_year_days=30,
        strength=0,
    )
    kinds = [entry.split(":")[0] for entry in digest([*crowd, newcomer, lost])]
    assert kinds == ["drifting"] * 5 + ["new", "reconnect"]
    replies = [owed(f"Writer {n}", 3 + n) for n in range(9)]
    assert [e.split(":")[0] for e in digest([*replies, *crowd, newcomer])] == ["reply"] * 7


def test_birthdays_of_people_in_touch() -> None:
    ada = person("Ada Lovelace", birthday="1815-11-22")
    stranger = person("No Contact", birthday="--11-21", strength=0, cadence_source="default")
    # Off by default: DESIGN.md keeps warm people out of the digest unless you opt in.
    assert digest([ada, stranger]) == []
    assert digest([ada, stranger], birthday_within_days=3) == ["birthday:Ada Lovelace"]
    assert next_birthday("--02-29", date(2026, 3, 1)) == date(2028, 2, 29)
    opted_in = DigestConfig(birthday_within_days=3)
    made = build_digest([ada], as_of=TODAY, settings=opted_in, history=History())
    assert made.items[0].reason == "It's Ada's birthday on 22 Nov."


def test_organisation_names_are_used_whole_in_reasons() -> None:
    org = owed("The Digest Letter", 4)
    (item,) = build_digest([org], as_of=TODAY, settings=SETTINGS, history=History()).items
    assert item.reason.startswith("The Digest Letter wrote to you")


def test_fading_is_opt_in_and_names_a_warm_tie_gone_quiet_against_its_own_rhythm() -> None:
    weekly = iso(*(ago(35 + 7 * n) for n in reversed(range(40))))  # weekly until 5 weeks ago
    ines = person(
        "Ines Duarte",
        status="warm",  # a friends tier of 90 days is not crossed yet
        cadence_days=90,
        cadence_source="tier",
        tier="friends",
        contact_days=weekly,
        last_contact_day=ago(35),
        last_reply_at=at(35),
    )
    assert digest([ines]) == []  # off by default: DESIGN keeps warm people out
    assert digest([ines], fading_after_rhythms=3) == ["fading:Ines Duarte"]
    (item,) = build_digest(
        [ines], as_of=TODAY, settings=DigestConfig(fading_after_rhythms=3), history=History()
    ).items
    last = ago(35)
    assert item.reason == (
        f"You and Ines were in touch every week this year; it has been 5 weeks "
        f"(last on {last.day} {last:%b})."
    )
    # Not yet: two weeks of quiet at a weekly rhythm is under 3×; nor with too few days.
    recent = replace(ines, contact_days=iso(*(ago(14 + 7 * n) for n in reversed(range(40)))))
    assert digest([replace(recent, last_contact_day=ago(14))], fading_after_rhythms=3) == []
    sparse = replace(ines, contact_days=weekly[-5:])
    assert digest([sparse], fading_after_rhythms=3) == []
    # A drifting tie comes first; fading fills the room after it.
    late = drifting("Wei Chen", 40, cadence=7)
    kinds = digest([ines, late], fading_after_rhythms=3, budget=1)
    assert kinds == ["drifting:Wei Chen"]
