"""The .ics connector against generated calendars and the shared real-world corpus."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Connector, Me, Window
from connectors.errors import FatalError
from connectors.ics import build
from connectors.ics.connector import IcsConnector
from connectors.ics.read import FileResult, read_ics_file
from connectors.ics.settings import IcsAccount
from connectors.source import BuildOptions
from models.records import Batch, Interaction
from tests.conftest import CORPUS as SHARED_CORPUS
from tests.connectors.contract import ConnectorContract, drain, keys_of

ME = Me(frozenset({"me@example.com"}))
NOW = datetime(2026, 12, 1, tzinfo=UTC)
CORPUS = SHARED_CORPUS / "ics"
WIDE = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))


def vevent(
    uid: str | None,
    dtstart: str = "DTSTART:20260105T090000Z",
    *extra: str,
    attendees: tuple[str, ...] = ("ada@example.org",),
    close: bool = True,
) -> str:
    lines = ["BEGIN:VEVENT"]
    if uid is not None:
        lines.append(f"UID:{uid}")
    lines += [dtstart, "SUMMARY:Sync", "ORGANIZER;CN=Me:mailto:me@example.com"]
    lines += [f"ATTENDEE;CN=Guest;PARTSTAT=ACCEPTED:mailto:{a}" for a in attendees]
    lines += list(extra)
    if close:
        lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


def calendar(*events: str, header: str = "") -> str:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//keepwarm tests//EN\r\n" + header
    return head + "".join(events) + "END:VCALENDAR\r\n"


def generated(count: int) -> str:
    return calendar(
        *(
            vevent(
                f"gen-{n}@example.org",
                f"DTSTART:2026{1 + n % 10:02d}{1 + n % 27:02d}T{8 + n % 9:02d}0000Z",
                attendees=(f"p{n}@example.org",),
            )
            for n in range(count)
        )
    )


def connector(path: Path, *, batch_size: int = 500, me: Me = ME) -> IcsConnector:
    account = IcsAccount(name="cal", kind="ics", path=str(path))
    return build(account, me, BuildOptions(batch_size=batch_size, now=lambda: NOW))


def read(text: str, tmp_path: Path, name: str = "cal.ics", me: Me = ME) -> FileResult:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_ics_file(path, account="cal", me=me, start=WIDE[0], end=WIDE[1])


def interactions(batches: list[Batch]) -> list[Interaction]:
    return [i for b in batches for i in b.interactions]


class TestIcsContract(ConnectorContract):
    source = "ics"
    backfill_cursor_absent = "a window re-read keeps the account cursor (the summary says so)"
    access_fix = "fix `path`"

    def make_connector_without_access(self, tmp_path: Path) -> Connector:
        return connector(tmp_path / "gone.ics")

    def make_connector(self, tmp_path: Path) -> Connector:
        (tmp_path / "a.ics").write_text(generated(10), encoding="utf-8")
        sub = tmp_path / "sub"
        sub.mkdir(exist_ok=True)
        (sub / "b.ics").write_text(
            calendar(vevent("weekly@x", "DTSTART:20260105T090000Z", "RRULE:FREQ=WEEKLY;COUNT=4")),
            encoding="utf-8",
        )
        return connector(tmp_path, batch_size=4)

    def make_connector_with_bad_record(self, tmp_path: Path) -> Connector:
        self.make_connector(tmp_path)
        (tmp_path / "c.ics").write_text(
            calendar(vevent("bad@x", "DTSTART:NOT-A-DATE"), vevent("ok@x")), encoding="utf-8"
        )
        (tmp_path / "d.ics").write_text(
            calendar(vevent("open@x", close=False), vevent("fine@x")), encoding="utf-8"
        )
        return connector(tmp_path, batch_size=4)


# --- the cursor -------------------------------------------------------------------------


def test_cursor_shape_and_resume_after_now_moves_a_little(tmp_path: Path) -> None:
    (tmp_path / "a.ics").write_text(generated(9), encoding="utf-8")
    full = drain(connector(tmp_path, batch_size=4).batches(None))
    first = json.loads(full[0].cursor or "")
    assert set(first) >= {"digest", "window", "done"} and first["done"] == 4
    later = IcsConnector("cal", tmp_path, ME, batch_size=4, now=NOW.replace(hour=20))
    resumed = drain(later.batches(full[0].cursor))
    assert keys_of(resumed) == keys_of(full[1:])


def test_changed_file_or_moved_window_rereads_everything(tmp_path: Path) -> None:
    path = tmp_path / "a.ics"
    path.write_text(generated(5), encoding="utf-8")
    finished = drain(connector(tmp_path).batches(None))[-1].cursor
    path.write_text(generated(6), encoding="utf-8")
    assert len(keys_of(drain(connector(tmp_path).batches(finished)))) == 6
    finished = drain(connector(tmp_path).batches(None))[-1].cursor
    next_week = IcsConnector("cal", tmp_path, ME, now=NOW.replace(day=8))
    assert len(keys_of(drain(next_week.batches(finished)))) == 6


def test_backfill_window_ignores_cursor_and_limits_occurrences(tmp_path: Path) -> None:
    (tmp_path / "a.ics").write_text(generated(10), encoding="utf-8")
    finished = drain(connector(tmp_path).batches(None))[-1].cursor
    window = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    records = interactions(drain(connector(tmp_path).batches(finished, window)))
    assert records and all(window.contains(r.occurred_at) for r in records)


def test_missing_path_is_fatal_and_names_account(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="'cal'"):
        drain(connector(tmp_path / "nope").batches(None))


def test_empty_folder_is_a_named_failure(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="holds no calendar"):
        drain(connector(tmp_path).batches(None))


# --- edge cases -------------------------------------------------------------------------


def test_weekly_rrule_exdate_override_and_cancelled_occurrence(tmp_path: Path) -> None:
    text = calendar(
        vevent(
            "series@x",
            "DTSTART;TZID=Europe/Berlin:20260105T100000",
            "RRULE:FREQ=WEEKLY;COUNT=5",
            "EXDATE;TZID=Europe/Berlin:20260112T100000",
        ),
        vevent(
            "series@x",
            "DTSTART;TZID=Europe/Berlin:20260120T150000",
            "RECURRENCE-ID;TZID=Europe/Berlin:20260119T100000",
        ),
        vevent(
            "series@x",
            "DTSTART;TZID=Europe/Berlin:20260126T100000",
            "RECURRENCE-ID;TZID=Europe/Berlin:20260126T100000",
            "STATUS:CANCELLED",
        ),
    )
    result = read(text, tmp_path)
    got = {i.key.rsplit(":", 1)[1]: i for i in result.interactions}
    # 5 weekly minus the EXDATE; Berlin is UTC+1 in January.
    assert sorted(got) == [
        "20260105T090000Z",
        "20260119T090000Z",
        "20260126T090000Z",
        "20260202T090000Z",
    ]
    moved = got["20260119T090000Z"]  # keyed by its original start, dated by the new one
    assert moved.occurred_at == datetime(2026, 1, 20, 14, tzinfo=UTC)
    assert got["20260126T090000Z"].cancelled
    assert not got["20260105T090000Z"].cancelled
    assert result.status == "parsed"


def test_whole_event_cancelled_and_method_cancel(tmp_path: Path) -> None:
    result = read(calendar(vevent("c@x", "DTSTART:20260105T090000Z", "STATUS:CANCELLED")), tmp_path)
    assert result.interactions[0].cancelled
    result = read(calendar(vevent("m@x"), header="METHOD:CANCEL\r\n"), tmp_path, "m.ics")
    assert result.interactions[0].cancelled


def test_declined_by_me_and_declined_attendee(tmp_path: Path) -> None:
    event = "\r\n".join(
        [
            "BEGIN:VEVENT",
            "UID:decl@x",
            "DTSTART:20260105T090000Z",
            "ORGANIZER;CN=Bob:mailto:bob@example.org",
            "ATTENDEE;CN=Me;PARTSTAT=DECLINED:mailto:me@example.com",
            "ATTENDEE;CN=Cy;PARTSTAT=DECLINED:mailto:cy@example.org",
            "END:VEVENT",
            "",
        ]
    )
    record = read(calendar(event), tmp_path).interactions[0]
    assert record.declined
    people = {p.value: p for p in record.participants}
    assert people["bob@example.org"].role == "organizer"
    assert people["cy@example.org"].declined
    assert "me@example.com" not in people


def test_room_attendee_is_not_a_participant(tmp_path: Path) -> None:
    event = vevent(
        "room@x",
        "DTSTART:20260105T090000Z",
        "ATTENDEE;CUTYPE=ROOM;CN=Blue:mailto:blue@example.org",
        "ATTENDEE;CUTYPE=RESOURCE;CN=Beamer:mailto:beamer@example.org",
    )
    record = read(calendar(event), tmp_path).interactions[0]
    assert {p.value for p in record.participants} == {"ada@example.org"}
    assert record.group_size == 1


def test_all_hands_over_max_size_records_group_size(tmp_path: Path) -> None:
    crowd = tuple(f"staff{n}@example.org" for n in range(40))
    record = read(calendar(vevent("allhands@x", attendees=crowd)), tmp_path).interactions[0]
    assert record.group_size == 40 > 8


def test_windows_tzid_with_and_without_vtimezone(tmp_path: Path) -> None:
    vtimezone = "\r\n".join(
        [
            "BEGIN:VTIMEZONE",
            "TZID:W. Europe Standard Time",
            "BEGIN:STANDARD",
            "DTSTART:16010101T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:16010101T020000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0200",
            "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
            "END:DAYLIGHT",
            "END:VTIMEZONE",
            "",
        ]
    )
    start = 'DTSTART;TZID="W. Europe Standard Time":20260615T100000'
    with_tz = read(calendar(vtimezone + vevent("w1@x", start)), tmp_path, "a.ics")
    pacific = "DTSTART;TZID=Pacific Standard Time:20260105T090000"
    bare = read(calendar(vevent("w2@x", pacific)), tmp_path, "b.ics")
    assert with_tz.interactions[0].occurred_at == datetime(2026, 6, 15, 8, tzinfo=UTC)
    assert bare.interactions[0].occurred_at == datetime(2026, 1, 5, 17, tzinfo=UTC)


def test_floating_time_is_utc_unless_x_wr_timezone(tmp_path: Path) -> None:
    event = vevent("f@x", "DTSTART:20260105T090000")
    plain = read(calendar(event), tmp_path, "a.ics")
    zoned = read(calendar(event, header="X-WR-TIMEZONE:America/New_York\r\n"), tmp_path, "b.ics")
    assert plain.interactions[0].occurred_at == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert zoned.interactions[0].occurred_at == datetime(2026, 1, 5, 14, tzinfo=UTC)
    assert plain.notes["floating time"] == 1


def test_unknown_tzid_is_read_as_floating_and_noted(tmp_path: Path) -> None:
    result = read(calendar(vevent("u@x", "DTSTART;TZID=Mars/Olympus:20260105T090000")), tmp_path)
    assert result.interactions[0].occurred_at == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert result.notes["unknown TZID read as floating"] == 1


def test_all_day_event_is_midnight_utc(tmp_path: Path) -> None:
    record = read(calendar(vevent("d@x", "DTSTART;VALUE=DATE:20260105")), tmp_path).interactions[0]
    assert record.occurred_at == datetime(2026, 1, 5, tzinfo=UTC)
    assert record.key == "ics:cal:d@x:20260105T000000Z"


def test_future_events_are_yielded_within_lookahead(tmp_path: Path) -> None:
    (tmp_path / "a.ics").write_text(
        calendar(
            vevent("past@x", "DTSTART:20261120T090000Z"),
            vevent("soon@x", "DTSTART:20261215T090000Z"),
            vevent("far@x", "DTSTART:20280101T090000Z"),
        ),
        encoding="utf-8",
    )
    keys = keys_of(drain(connector(tmp_path).batches(None)))
    assert keys == ["ics:cal:past@x:20261120T090000Z", "ics:cal:soon@x:20261215T090000Z"]


def test_event_without_uid_gets_stable_hash_key(tmp_path: Path) -> None:
    first = read(calendar(vevent(None)), tmp_path, "a.ics").interactions[0].key
    again = read(calendar(vevent(None)), tmp_path, "b.ics").interactions[0].key
    assert first == again and first.startswith("ics:cal:nouid-")


def test_subject_only_when_allowed(tmp_path: Path) -> None:
    assert read(calendar(vevent("s@x")), tmp_path).interactions[0].subject is None
    chatty = Me(ME.emails, store_subjects=True)
    assert read(calendar(vevent("s@x")), tmp_path, me=chatty).interactions[0].subject == "Sync"


def test_unexpandable_series_falls_back_to_master_start(tmp_path: Path) -> None:
    series = vevent("bad-rule@x", "DTSTART:20260105T090000Z", "RRULE:FREQ=WEEKLY;BYDAY=MO, TU")
    result = read(calendar(series), tmp_path)
    assert [i.occurred_at for i in result.interactions] == [datetime(2026, 1, 5, 9, tzinfo=UTC)]
    assert sum(n for k, n in result.notes.items() if "RRULE" in k or "series" in k) == 1


def test_salvage_names_file_and_line_of_bad_event(tmp_path: Path) -> None:
    text = calendar(vevent("one@x"), vevent("open@x", close=False), vevent("two@x"))
    result = read(text, tmp_path)
    assert result.salvaged and result.status == "partial"
    assert [s.where.rsplit(":", 1)[1] for s in result.skips] == ["11"]
    assert "END:VEVENT" in result.skips[0].reason
    assert {i.key.split(":")[2] for i in result.interactions} == {"one@x", "two@x"}


def test_timezone_only_and_freebusy_files_have_no_events(tmp_path: Path) -> None:
    freebusy = "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nUID:f\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    result = read(freebusy, tmp_path)
    assert result.status == "skipped" and result.skips[0].reason.startswith("no events")


# --- the real-world corpus --------------------------------------------------------------


def test_corpus_every_file_parses_or_is_skipped_with_a_reason() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    files = sorted(CORPUS.glob("*.ics"))
    statuses: Counter[str] = Counter()
    for path in files:
        result = read_ics_file(path, account="corpus", me=ME, start=WIDE[0], end=WIDE[1])
        statuses[result.status] += 1
        reasons = "; ".join(f"{s.where.rsplit('/', 1)[-1]} {s.reason}" for s in result.skips)
        print(f"{result.status:8} {len(result.interactions):5} {path.name} {reasons}")
        assert all(s.where and s.reason for s in result.skips)
        if result.status == "skipped":
            assert result.skips, path.name
        for record in result.interactions:
            assert record.occurred_at.utcoffset() == UTC.utcoffset(None)
    print(dict(statuses))
    assert sum(statuses.values()) == len(files)
    assert statuses["parsed"] >= len(files) // 2


def test_corpus_known_quirks() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")

    def get(name: str) -> FileResult:
        return read_ics_file(CORPUS / name, account="c", me=ME, start=WIDE[0], end=WIDE[1])

    assert "END:VEVENT" in get("radicale_broken_missing_end_vevent.ics").skips[0].reason
    assert "DTSTART" in get("icalendar_invalid_dates.ics").skips[0].reason
    assert get("vobject_timezones_only.ics").skips[0].reason.startswith("no events")
    assert get("ical4j_outlook11_freebusy_bad_dates.ics").skips[0].reason.startswith("no events")
    bad_offset = get("khal_invalid_tzoffset.ics")
    assert bad_offset.status == "partial" and len(bad_offset.interactions) == 1
    rail = get("khal_ns_rail_brussels_tzurl.ics")  # salvaged without its broken VALARMs
    assert rail.salvaged and len(rail.interactions) == 2
    cancelled = get("khal_recurrence_cancelled.ics").interactions
    assert [i.cancelled for i in cancelled].count(True) == 1
    teams = get("radicale_outlook_teams_via_thunderbird.ics")
    assert teams.status == "parsed" and teams.interactions
    resource = get("ical4j_groupwise7_resource_attendee.ics").interactions[0]
    assert all("resource" not in p.value for p in resource.participants)


def test_corpus_folder_through_the_connector() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    account = IcsAccount(name="corpus", kind="ics", path=str(CORPUS))
    live = build(account, ME, BuildOptions(batch_size=1000, now=lambda: NOW))
    batches = drain(live.batches(None, Window(*WIDE)))
    keys = keys_of(batches)
    assert len(keys) == len(set(keys)) > 1000
    assert len(live.results) == len(list(CORPUS.glob("*.ics")))
