"""The Google Calendar and People fakes, driven by the real google-api-python-client
(`build(..., static_discovery=True)`) and real google-auth credentials against the fake token
endpoint: URL shapes, paging, sync tokens, 410, recurring instances, faults, token expiry and
scopes — and the generated ground truth checked against what the API hands out."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import googleapiclient
import pytest
import requests
from google.auth.exceptions import RefreshError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from models.identity import normalize_email
from tests.fakes.google_calendar import (
    CALENDAR_READONLY,
    FakeCalendar,
    attendee,
)
from tests.fakes.google_calendar_data import ALIAS, ME, CalendarTruth, generate_calendar
from tests.fakes.google_oauth import GoogleOAuth
from tests.fakes.google_people import CONTACTS_READONLY, EXPIRED_MESSAGE, FakePeople
from tests.fakes.google_people_data import TIER_GROUPS, churn, generate_contacts

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
PERSON_FIELDS = "names,emailAddresses,phoneNumbers,birthdays,memberships,metadata"


def service(fake: Any, api: str, version: str, creds: Any = None) -> Any:
    return build(
        api,
        version,
        credentials=creds or fake.credentials(),
        client_options={"api_endpoint": fake.endpoint},
        static_discovery=True,
        cache_discovery=False,
    )


def no_sleep(request: Any) -> Any:
    request._sleep = lambda seconds: None  # googleapiclient's retry backoff
    return request


def error_body(err: HttpError) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(err.content)["error"]
    return body


@pytest.fixture
def cal() -> Iterator[FakeCalendar]:
    with FakeCalendar(now=NOW) as fake:
        yield fake


@pytest.fixture(scope="module")
def generated() -> Iterator[tuple[FakeCalendar, CalendarTruth]]:
    """A two-year calendar, shared by the read-only tests of this module."""
    with FakeCalendar(now=NOW) as fake:
        truth = generate_calendar(fake, years=2, events=600)
        yield fake, truth


@pytest.fixture
def people() -> Iterator[FakePeople]:
    with FakePeople(now=NOW) as fake:
        yield fake


def list_all(svc: Any, **kw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item of an events.list, and every page (to look at the tokens)."""
    items, pages, token = [], [], None
    while True:
        page = svc.events().list(pageToken=token, **kw).execute()
        pages.append(page)
        items += page["items"]
        token = page.get("nextPageToken")
        if not token:
            return items, pages


def _start(ev: dict[str, Any]) -> datetime:
    start = ev["start"]
    if "dateTime" in start:
        return datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00")).astimezone(UTC)
    return datetime.fromisoformat(start["date"]).replace(tzinfo=UTC)


def evaluate(items: list[dict[str, Any]], as_of: datetime, max_size: int = 8) -> tuple[dict, dict]:
    """DESIGN.md's meeting rule applied to what the API returned (a third implementation)."""
    last: dict[str, datetime] = {}
    planned: dict[str, datetime] = {}
    for ev in items:
        if ev.get("status") == "cancelled" or ev.get("eventType", "default") != "default":
            continue
        if ev.get("attendeesOmitted"):
            continue
        guests = ev.get("attendees", [])
        mine = next((a for a in guests if a.get("self")), None)
        organized = ev.get("organizer", {}).get("self", False)
        if not organized and mine is not None and mine["responseStatus"] == "declined":
            continue
        others: dict[str, str] = {}
        for a in guests:
            if not a.get("self") and not a.get("resource"):
                others[normalize_email(a["email"]) or a["email"]] = a["responseStatus"]
        if not others or len(others) > max_size:
            continue
        start = _start(ev)
        table = last if start <= as_of else planned
        for who, response in others.items():
            if response == "declined":
                continue
            if who not in table or (start > table[who] if table is last else start < table[who]):
                table[who] = start
    return last, planned


# -- discovery and URL shapes ------------------------------------------------------------


def test_discovery_documents_and_url_shapes(cal: FakeCalendar, people: FakePeople) -> None:
    docs = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents")
    with open(os.path.join(docs, "calendar.v3.json")) as handle:
        calendar_doc = json.load(handle)
    with open(os.path.join(docs, "people.v1.json")) as handle:
        people_doc = json.load(handle)
    assert (calendar_doc["rootUrl"], calendar_doc["servicePath"]) == (
        "https://www.googleapis.com/",
        "calendar/v3/",
    )
    assert (people_doc["rootUrl"], people_doc["servicePath"]) == (
        "https://people.googleapis.com/",
        "",
    )
    # api_endpoint replaces rootUrl + servicePath: Calendar's must carry calendar/v3/.
    assert cal.endpoint == cal.root_url + "/calendar/v3/"
    svc = service(cal, "calendar", "v3")
    assert (
        svc.calendarList().list().uri
        == f"{cal.root_url}/calendar/v3/users/me/calendarList?alt=json"
    )
    uri = svc.events().list(calendarId=ME).uri
    assert uri.startswith(f"{cal.root_url}/calendar/v3/calendars/me%40example.com/events?")
    psvc = service(people, "people", "v1")
    uri = psvc.people().connections().list(resourceName="people/me", personFields="names").uri
    assert uri.startswith(f"{people.root_url}/v1/people/me/connections?")
    assert psvc.contactGroups().list().uri == f"{people.root_url}/v1/contactGroups?alt=json"
    # Like www.googleapis.com, the host without the servicePath is a bare HTML 404.
    bare = build("calendar", "v3", credentials=cal.credentials(), static_discovery=True,
                 client_options={"api_endpoint": cal.root_url})  # fmt: skip
    with pytest.raises(HttpError) as caught:
        bare.calendarList().list().execute()
    assert caught.value.resp.status == 404
    assert caught.value.resp["content-type"].startswith("text/html")
    assert svc.calendarList().list().execute()["items"][0]["id"] == ME


# -- calendar list ---------------------------------------------------------------------


def test_calendar_list_pages_roles_and_sync(
    generated: tuple[FakeCalendar, CalendarTruth],
) -> None:
    fake, truth = generated
    svc = service(fake, "calendar", "v3")
    first = svc.calendarList().list(maxResults=2).execute()
    assert "nextPageToken" in first and "nextSyncToken" not in first
    entries = first["items"]
    page = first
    while "nextPageToken" in page:
        page = svc.calendarList().list(maxResults=2, pageToken=page["nextPageToken"]).execute()
        entries += page["items"]
    assert "nextSyncToken" in page
    by_id = {e["id"]: e for e in entries}
    assert truth.calendars["hidden"] not in by_id  # hidden unless showHidden
    primary = by_id[ME]
    assert primary["primary"] is True and primary["accessRole"] == "owner"
    assert [e["id"] for e in entries if e.get("primary")] == [ME]
    assert by_id[truth.calendars["holidays"]]["accessRole"] == "reader"
    assert by_id[truth.calendars["team"]]["accessRole"] == "writer"
    hidden = svc.calendarList().list(showHidden=True).execute()["items"]
    assert truth.calendars["hidden"] in {e["id"] for e in hidden}
    readers = svc.calendarList().list(minAccessRole="writer").execute()["items"]
    assert truth.calendars["holidays"] not in {e["id"] for e in readers}
    # Incremental: only what changed, an unsubscribed calendar as deleted.
    user = fake.user(ME)
    user.add_calendar("Climbing", "c_climb@group.calendar.google.com")
    user.remove_calendar(truth.calendars["team"])
    changes = svc.calendarList().list(syncToken=page["nextSyncToken"]).execute()
    assert {e["id"]: e.get("deleted", False) for e in changes["items"]} == {
        "c_climb@group.calendar.google.com": False,
        truth.calendars["team"]: True,
    }
    user.remove_calendar("c_climb@group.calendar.google.com")
    user.calendars[truth.calendars["team"]].removed = False  # leave the module fixture intact


# -- events: paging, truth, recurrence ---------------------------------------------------


def test_full_listing_pages_and_matches_ground_truth(
    generated: tuple[FakeCalendar, CalendarTruth],
) -> None:
    fake, truth = generated
    svc = service(fake, "calendar", "v3")
    items, pages = list_all(svc, calendarId="primary", singleEvents=True, maxResults=100)
    assert len(pages) == 6
    assert all("nextSyncToken" not in p for p in pages[:-1]) and "nextSyncToken" in pages[-1]
    assert {i["id"] for i in items} == truth.listed_ids()
    assert len(items) == 600
    last, planned = evaluate(items, NOW)
    assert last == truth.last_meeting() and planned == truth.next_meeting()
    assert len(last) > 20 and len(planned) > 3
    # Pages may come back short (Google says so); a client must follow nextPageToken anyway.
    fake.short_pages = True
    try:
        short, pages = list_all(svc, calendarId="primary", singleEvents=True, maxResults=100)
    finally:
        fake.short_pages = False
    assert len(pages) > 6 and [i["id"] for i in short] == [i["id"] for i in items]
    holidays, _ = list_all(svc, calendarId=truth.calendars["holidays"], singleEvents=True)
    assert {i["id"] for i in holidays} == truth.listed_ids(truth.calendars["holidays"])
    # The default page is 250 events.
    first = svc.events().list(calendarId="primary", singleEvents=True).execute()
    assert len(first["items"]) == 250
    # Someone only ever in big, omitted or declined meetings is nobody's contact.
    everyone = {normalize_email(a)
                for i in items for a in (p["email"] for p in i.get("attendees", []))}  # fmt: skip
    assert set(last) < everyone
    # A second calendar's truth is its own.
    side, _ = list_all(svc, calendarId=truth.calendars["side"], singleEvents=True)
    assert evaluate(side, NOW)[0] == truth.last_meeting(calendars=[truth.calendars["side"]])


def test_recurring_series_exceptions_and_dst(
    generated: tuple[FakeCalendar, CalendarTruth],
) -> None:
    fake, truth = generated
    svc = service(fake, "calendar", "v3")
    raw, _ = list_all(svc, calendarId="primary", q="Team weekly")
    master = next(i for i in raw if "recurrence" in i)
    assert any(r.startswith("RRULE:FREQ=WEEKLY") and "UNTIL=" in r for r in master["recurrence"])
    assert any(r.startswith("EXDATE;TZID=America/New_York:") for r in master["recurrence"])
    exceptions = [i for i in raw if i.get("recurringEventId") == master["id"]]
    # singleEvents=false, showDeleted=false still lists a live series' cancelled instances.
    cancelled = [e for e in exceptions if e["status"] == "cancelled"]
    moved = [
        e for e in exceptions
        if e["status"] != "cancelled" and e["start"] != e["originalStartTime"]
    ]  # fmt: skip
    assert len(cancelled) == 1 and set(cancelled[0]) >= {"originalStartTime", "recurringEventId"}
    assert len(moved) == 1
    instances, _ = list_all(svc, calendarId="primary", singleEvents=True, q="Team weekly")
    assert cancelled[0]["id"] not in {i["id"] for i in instances}
    assert all(i["recurringEventId"] == master["id"] for i in instances)
    assert len(instances) == 52 - 2  # an EXDATE and a cancelled instance
    moved_instance = next(i for i in instances if i["id"] == moved[0]["id"])
    assert moved_instance["start"] != moved_instance["originalStartTime"]
    # 10:00 in New York is 15:00Z in winter and 14:00Z in summer.
    hours = {_start(i).hour for i in instances if i["id"] != moved[0]["id"]}
    assert hours == {14, 15}
    with_deleted, _ = list_all(svc, calendarId="primary", singleEvents=True, q="Team weekly",
                               showDeleted=True)  # fmt: skip
    gone = [i for i in with_deleted if i["status"] == "cancelled"]
    assert [g["id"] for g in gone] == [cancelled[0]["id"]]
    # A series deleted as a whole: its instances are cancelled; the ids are the truth's.
    all_deleted, _ = list_all(svc, calendarId="primary", singleEvents=True, showDeleted=True)
    assert {i["id"] for i in all_deleted} == truth.listed_ids(deleted=True)


def test_window_order_types_attendees_and_fields(
    generated: tuple[FakeCalendar, CalendarTruth],
) -> None:
    fake, truth = generated
    svc = service(fake, "calendar", "v3")
    lo, hi = NOW - timedelta(days=30), NOW + timedelta(days=30)
    window, _ = list_all(svc, calendarId="primary", singleEvents=True, orderBy="startTime",
                         timeMin=lo.isoformat(), timeMax=hi.isoformat())  # fmt: skip
    starts = [_start(i) for i in window]
    assert starts == sorted(starts) and window
    expected = {
        o.event_id for o in truth.occurrences
        if o.calendar_id == ME and not o.cancelled and lo - timedelta(days=8) < o.start < hi
    }  # fmt: skip
    assert {i["id"] for i in window} <= expected
    focus, _ = list_all(svc, calendarId="primary", singleEvents=True, eventTypes="focusTime")
    assert len(focus) == 20 and {i["eventType"] for i in focus} == {"focusTime"}
    places, _ = list_all(svc, calendarId="primary", singleEvents=True,
                         eventTypes=["workingLocation", "birthday"])  # fmt: skip
    kinds = {i["eventType"] for i in places}
    assert kinds == {"workingLocation", "birthday"}
    birthday = next(i for i in places if i["eventType"] == "birthday")
    assert "date" in birthday["start"] and birthday["birthdayProperties"]["type"] == "birthday"
    big, _ = list_all(svc, calendarId="primary", singleEvents=True, q="All hands",
                      maxAttendees=3)  # fmt: skip
    assert big[0]["attendeesOmitted"] is True
    assert [a["email"] for a in big[0]["attendees"]] == [ME]
    omitted, _ = list_all(svc, calendarId="primary", singleEvents=True, q="Omitted")
    assert omitted[0]["attendeesOmitted"] is True and len(omitted[0]["attendees"]) == 2
    alias, _ = list_all(svc, calendarId="primary", singleEvents=True, q="Alias invite")
    assert any(a.get("self") and a["email"] == ALIAS for a in alias[0]["attendees"])
    rooms = [a for i in window for a in i.get("attendees", []) if a.get("resource")]
    assert all(a["email"].endswith("@resource.calendar.google.com") for a in rooms)
    partial = svc.events().list(calendarId="primary", maxResults=5,
                                fields="items(id,status),nextPageToken").execute()  # fmt: skip
    assert set(partial) == {"items", "nextPageToken"}
    assert all(set(i) <= {"id", "status"} for i in partial["items"])
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId="primary", orderBy="startTime").execute()
    assert caught.value.resp.status == 400
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId="primary", timeMin=hi.isoformat(),
                          timeMax=lo.isoformat()).execute()  # fmt: skip
    assert error_body(caught.value)["errors"][0]["reason"] == "timeRangeEmpty"
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId="primary", timeMin="2026-01-01T00:00:00").execute()
    assert caught.value.resp.status == 400  # no offset
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId="nobody@example.com").execute()
    assert caught.value.resp.status == 404


# -- incremental sync --------------------------------------------------------------------


def test_incremental_sync_changes_cancellations_and_410(cal: FakeCalendar) -> None:
    svc = service(cal, "calendar", "v3")
    primary = cal.primary
    start = NOW - timedelta(days=20)
    series = primary.add_event("1:1", start, tz="Europe/Berlin",
                               recurrence=["RRULE:FREQ=WEEKLY;COUNT=6"],
                               attendees=[attendee(ME, organizer=True),
                                          attendee("ada@acme.example")])  # fmt: skip
    lunch = primary.add_event("Lunch", start, attendees=[attendee(ME),
                                                         attendee("bob@acme.example")])  # fmt: skip
    doomed = primary.add_event("Doomed", start + timedelta(hours=3))
    items, pages = list_all(svc, calendarId="primary", singleEvents=True, maxResults=3)
    assert len(items) == 8 and len(pages) == 3
    token = pages[-1]["nextSyncToken"]
    # Nothing changed: nothing comes back, and the same token.
    again = svc.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    assert again["items"] == [] and again["nextSyncToken"] == token

    added = primary.add_event("New", NOW + timedelta(days=2))
    primary.respond(lunch.id, "bob@acme.example", "declined")
    primary.delete(doomed.id)
    third = start + timedelta(weeks=2)
    primary.cancel_instance(series.id, third)
    changed, pages = list_all(svc, calendarId="primary", singleEvents=True, syncToken=token,
                              maxResults=2)  # fmt: skip
    assert len(pages) == 2 and "nextSyncToken" in pages[-1] and "nextSyncToken" not in pages[0]
    by_id = {i["id"]: i for i in changed}
    cancelled_instance = f"{series.id}_{third:%Y%m%dT%H%M%SZ}"
    assert set(by_id) == {added.id, lunch.id, doomed.id, cancelled_instance}
    assert by_id[doomed.id] == {"kind": "calendar#event", "etag": by_id[doomed.id]["etag"],
                                "id": doomed.id, "status": "cancelled"}  # fmt: skip
    assert by_id[cancelled_instance]["status"] == "cancelled"
    assert by_id[cancelled_instance]["recurringEventId"] == series.id
    got = svc.events().get(calendarId="primary", eventId=cancelled_instance).execute()
    assert got["status"] == "cancelled"
    one = svc.events().get(calendarId="primary", eventId=f"{series.id}_{start:%Y%m%dT%H%M%SZ}")
    assert one.execute()["originalStartTime"]["timeZone"] == "Europe/Berlin"
    bob = next(a for a in by_id[lunch.id]["attendees"] if a["email"] == "bob@acme.example")
    assert bob["responseStatus"] == "declined"
    # Deleting the series: every instance not already cancelled comes back cancelled.
    token = pages[-1]["nextSyncToken"]
    primary.delete(series.id)
    changed, _ = list_all(svc, calendarId="primary", singleEvents=True, syncToken=token)
    live = {i["id"] for i in items if i["id"].startswith(series.id)} - {cancelled_instance}
    assert {i["id"] for i in changed} == live and {i["status"] for i in changed} == {"cancelled"}
    # singleEvents=false: the master itself, cancelled.
    plain = svc.events().list(calendarId="primary", syncToken=token).execute()
    assert {i["id"] for i in plain["items"]} >= {series.id}

    # Filters a sync could not replay are refused, as is showDeleted=false.
    for bad in ({"timeMin": NOW.isoformat()}, {"q": "x"}, {"orderBy": "updated"},
                {"showDeleted": False}, {"updatedMin": NOW.isoformat()}):  # fmt: skip
        with pytest.raises(HttpError) as caught:
            svc.events().list(calendarId="primary", syncToken=token, **bad).execute()
        assert caught.value.resp.status == 400, bad
    # A full sync over a window still gets a token; a text search does not.
    windowed = svc.events().list(calendarId="primary", timeMin=NOW.isoformat()).execute()
    assert "nextSyncToken" in windowed
    assert "nextSyncToken" not in svc.events().list(calendarId="primary", q="New").execute()

    cal.expire_sync_tokens()
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId="primary", syncToken=token).execute()
    err = caught.value
    assert err.resp.status == 410
    assert error_body(err)["errors"][0] == {
        "domain": "calendar",
        "reason": "fullSyncRequired",
        "message": "Sync token is no longer valid, a full sync is required.",
        "locationType": "parameter",
        "location": "syncToken",
    }
    fresh = svc.events().list(calendarId="primary", singleEvents=True).execute()
    assert "nextSyncToken" in fresh
    assert cal.crashes == []


# -- faults, quota, counters ---------------------------------------------------------------


def test_rate_limit_storms_and_5xx(cal: FakeCalendar) -> None:
    cal.primary.add_event("x", NOW)
    svc = service(cal, "calendar", "v3")
    cal.storm(2, "429", retry_after=7)
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId="primary").execute()
    assert caught.value.resp.status == 429 and caught.value.resp["retry-after"] == "7"
    assert error_body(caught.value)["errors"][0]["reason"] == "rateLimitExceeded"
    # The client's own retry rides out the rest of the storm.
    assert no_sleep(svc.events().list(calendarId="primary")).execute(num_retries=3)["items"]
    for kind in ("rateLimitExceeded", "userRateLimitExceeded"):
        cal.storm(1, kind, methods={"events.list"})
        svc.calendarList().list().execute()  # not this method: untouched
        with pytest.raises(HttpError) as caught:
            svc.events().list(calendarId="primary").execute()
        assert caught.value.resp.status == 403 and "retry-after" not in caught.value.resp
        assert error_body(caught.value)["errors"][0] == {
            "domain": "usageLimits",
            "reason": kind,
            "message": "Rate Limit Exceeded" if kind == "rateLimitExceeded"
            else "User Rate Limit Exceeded",
        }  # fmt: skip
    cal.storm(4, "userRateLimitExceeded")
    assert no_sleep(svc.events().list(calendarId="primary")).execute(num_retries=5)
    cal.burst_5xx(2, status=500)
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId="primary").execute()
    assert caught.value.resp.status == 500
    assert error_body(caught.value)["errors"][0]["reason"] == "backendError"
    assert no_sleep(svc.events().list(calendarId="primary")).execute(num_retries=2)
    stats = cal.stats
    assert stats.rejected["429"] == 2 and stats.rejected["userRateLimitExceeded"] == 5
    assert stats.rejected["5xx"] == 2
    assert stats.attempts["events.list"] == stats.calls["events.list"] + 10
    assert stats.per_thousand("events.list") == 1000.0 * stats.attempts["events.list"] / 3


def test_per_user_quota(cal: FakeCalendar) -> None:
    cal.requests_per_minute = 120  # 2/s, a burst of 2
    svc = service(cal, "calendar", "v3")
    svc.calendarList().list().execute()
    svc.calendarList().list().execute()
    with pytest.raises(HttpError) as caught:
        svc.calendarList().list().execute()
    assert caught.value.resp.status == 403
    cal.clock.advance(1.0)
    svc.calendarList().list().execute()


def test_access_token_expiry_mid_run_refreshes(cal: FakeCalendar) -> None:
    for n in range(6):
        cal.primary.add_event(f"e{n}", NOW + timedelta(hours=n))
    creds = cal.credentials()
    svc = service(cal, "calendar", "v3", creds)
    first = svc.events().list(calendarId="primary", maxResults=2).execute()
    cal.oauth.expire_access_tokens()  # Google says 401; google-auth refreshes and retries
    second = svc.events().list(calendarId="primary", maxResults=2,
                               pageToken=first["nextPageToken"]).execute()  # fmt: skip
    assert len(second["items"]) == 2 and cal.oauth.stats.refreshes == 1
    assert cal.stats.rejected["401"] == 1
    # Expiry by age: the client still believes its token good for an hour.
    cal.clock.advance(3600)
    svc.calendarList().list().execute()
    assert cal.oauth.stats.refreshes == 2
    cal.expire_access_tokens_after(1)
    svc.calendarList().list().execute()
    svc.calendarList().list().execute()
    assert cal.oauth.stats.refreshes == 3
    # A stale token file refreshes before its first call.
    stale = cal.credentials(expired=True)
    service(cal, "calendar", "v3", stale).calendarList().list().execute()
    assert cal.oauth.stats.refreshes == 4 and stale.valid


def test_scope_insufficient_and_revoked_grant() -> None:
    with FakeCalendar(now=NOW, scopes=[GMAIL_METADATA]) as fake:
        svc = service(fake, "calendar", "v3")
        with pytest.raises(HttpError) as caught:
            no_sleep(svc.events().list(calendarId="primary")).execute(num_retries=3)
        err = caught.value
        assert err.resp.status == 403 and fake.stats.attempts["events.list"] == 1  # no retry
        body = error_body(err)
        assert body["message"] == "Request had insufficient authentication scopes."
        assert body["errors"][0]["reason"] == "insufficientPermissions"
        assert body["status"] == "PERMISSION_DENIED"
        assert body["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
        assert 'error="insufficient_scope"' in err.resp["www-authenticate"]
        # Asking the token endpoint for a scope never granted is refused.
        with pytest.raises(RefreshError, match="invalid_scope"):
            service(fake, "calendar", "v3",
                    fake.credentials(scopes=[CALENDAR_READONLY], expired=True)
                    ).calendarList().list().execute()  # fmt: skip
        # Re-consent with the calendar scope: a refreshed token works.
        fake.oauth.set_scopes(ME, [GMAIL_METADATA, CALENDAR_READONLY])
        creds = fake.credentials(expired=True)
        service(fake, "calendar", "v3", creds).calendarList().list().execute()
        fake.oauth.revoke(ME)
        with pytest.raises(RefreshError, match="invalid_grant"):
            service(fake, "calendar", "v3", creds).calendarList().list().execute()
        assert fake.oauth.stats.refused == {"invalid_scope": 1, "invalid_grant": 1}


def test_one_grant_for_calendar_and_people() -> None:
    oauth = GoogleOAuth()
    with (
        FakeCalendar(now=NOW, oauth=oauth) as calendar,
        FakePeople(now=NOW, oauth=oauth) as contacts,
    ):
        creds = calendar.credentials(expired=True)
        assert set(creds.scopes) == {CALENDAR_READONLY, CONTACTS_READONLY}
        assert creds.token_uri == calendar.token_uri  # the first fake started serves /token
        service(calendar, "calendar", "v3", creds).calendarList().list().execute()
        psvc = service(contacts, "people", "v1", creds)
        assert psvc.contactGroups().list().execute()["totalItems"] == 8
        # Revoking by the access token (over HTTP) revokes the whole grant.
        assert requests.post(calendar.revoke_uri, data={"token": creds.token}).status_code == 200
        again = requests.post(calendar.revoke_uri, data={"token": creds.token})
        assert again.status_code == 400 and again.json()["error"] == "invalid_token"
        with pytest.raises(RefreshError, match="invalid_grant"):
            psvc.contactGroups().list().execute()
        assert contacts.stats.rejected["401"] == 1


def test_installed_app_flow_grants_both_apis(monkeypatch: pytest.MonkeyPatch) -> None:
    """`keepwarm auth google`'s flow: one consent for the union of scopes, used by both."""
    import threading
    import urllib.request
    import webbrowser

    from google_auth_oauthlib.flow import InstalledAppFlow

    class Browser:
        def open(self, url: str, *args: Any, **kwargs: Any) -> bool:
            threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read()).start()
            return True

    monkeypatch.setattr(webbrowser, "get", lambda *a, **k: Browser())
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    oauth = GoogleOAuth()
    with (
        FakeCalendar(now=NOW, oauth=oauth, scopes=[GMAIL_METADATA]) as calendar,
        FakePeople(now=NOW, oauth=oauth, scopes=[GMAIL_METADATA]) as contacts,
    ):
        wanted = [GMAIL_METADATA, CALENDAR_READONLY, CONTACTS_READONLY]
        flow = InstalledAppFlow.from_client_config(calendar.client_secrets(), scopes=wanted)
        creds = flow.run_local_server(port=0, open_browser=True, timeout_seconds=10)
        assert creds.refresh_token and set(creds.granted_scopes or wanted) == set(wanted)
        service(calendar, "calendar", "v3", creds).calendarList().list().execute()
        service(contacts, "people", "v1", creds).contactGroups().list().execute()
        assert oauth.stats.code_exchanges == 1


# -- People API --------------------------------------------------------------------------


def test_people_person_fields_required_and_validated(people: FakePeople) -> None:
    svc = service(people, "people", "v1")
    for kw in ({}, {"personFields": "names,shoeSize"}):
        with pytest.raises(HttpError) as caught:
            svc.people().connections().list(resourceName="people/me", **kw).execute()
        body = error_body(caught.value)
        assert caught.value.resp.status == 400 and body["status"] == "INVALID_ARGUMENT"
    assert body["message"].startswith('Invalid personFields mask path: "shoeSize"')
    with pytest.raises(HttpError) as caught:
        svc.people().connections().list(resourceName="people/me").execute()
    assert error_body(caught.value)["message"].startswith("personFields mask is required.")
    with pytest.raises(HttpError) as caught:
        svc.people().connections().list(resourceName="people/me", personFields="names",
                                        pageSize=1001).execute()  # fmt: skip
    assert caught.value.resp.status == 400
    legacy = (
        svc.people()
        .connections()
        .list(resourceName="people/me", **{"requestMask_includeField": "person.names"})
        .execute()
    )
    assert legacy == {}  # an empty book: proto3 JSON omits the empty list and zero counts


def test_people_paging_sync_deletions_and_expiry(people: FakePeople) -> None:
    truth = generate_contacts(people, 30)
    svc = service(people, "people", "v1")

    def read(**kw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        items, pages, token = [], [], None
        while True:
            page = (
                svc.people()
                .connections()
                .list(resourceName="people/me", personFields=PERSON_FIELDS, pageToken=token, **kw)
                .execute()
            )
            pages.append(page)
            items += page.get("connections", [])
            token = page.get("nextPageToken")
            if not token:
                return items, pages

    everyone, pages = read(pageSize=7, requestSyncToken=True)
    assert len(pages) == 5 and len(everyone) == len(truth.contacts) == 32
    assert all("nextSyncToken" not in p for p in pages[:-1]) and "nextSyncToken" in pages[-1]
    assert pages[0]["totalItems"] == pages[0]["totalPeople"] == 32
    # Contact groups → tiers, emails and birthdays as the truth has them.
    groups = {g["resourceName"]: g for g in svc.contactGroups().list(pageSize=100).execute()[
        "contactGroups"]}  # fmt: skip
    tiers: dict[str, str] = {}
    for person in everyone:
        names = {groups[m["contactGroupMembership"]["contactGroupResourceName"]]["name"]
                 for m in person["memberships"]}  # fmt: skip
        assert "myContacts" in names
        found = sorted((TIER_GROUPS[n] for n in names if n in TIER_GROUPS),
                       key=["inner", "close", "network"].index)  # fmt: skip
        for email in person.get("emailAddresses", []):
            if found:
                tiers[normalize_email(email["value"]) or ""] = found[0]
        expected = truth.contacts[person["resourceName"]]
        got = person.get("birthdays", [{}])[0].get("date")
        if expected.birthday is None:
            assert got is None
        else:
            year, month, day = expected.birthday
            assert got == ({"year": year} if year else {}) | {"month": month, "day": day}
        assert person["metadata"]["sources"][0]["type"] == "CONTACT"
    assert tiers == truth.tiers()
    assert {t for t in tiers.values()} == {"inner", "close", "network"}
    # Not requesting a sync token gives none; no mask field leaks.
    plain = svc.people().connections().list(resourceName="people/me", personFields="names",
                                            pageSize=1000).execute()  # fmt: skip
    assert "nextSyncToken" not in plain
    assert all(set(p) <= {"resourceName", "etag", "names"} for p in plain["connections"])

    token = pages[-1]["nextSyncToken"]
    change = churn(people, truth)
    changed, sync_pages = read(syncToken=token, pageSize=3)
    assert "nextSyncToken" in sync_pages[-1]
    assert {p["resourceName"] for p in changed} == change.changed | change.deleted
    for person in changed:
        if person["resourceName"] in change.deleted:
            assert set(person) == {"resourceName", "etag", "metadata"}
            assert person["metadata"]["deleted"] is True
        else:
            assert not person.get("metadata", {}).get("deleted")
    token = sync_pages[-1]["nextSyncToken"]
    quiet, _ = read(syncToken=token)
    assert quiet == []
    # A page token only works with the parameters of its first call.
    with pytest.raises(HttpError):
        svc.people().connections().list(resourceName="people/me", personFields="names",
                                        pageToken=pages[0]["nextPageToken"]).execute()  # fmt: skip

    # Seven days after the full sync, every token descending from it has expired.
    people.clock.advance(7 * 86400 + 1)
    with pytest.raises(HttpError) as caught:
        read(syncToken=token)
    body = error_body(caught.value)
    assert caught.value.resp.status == 400 and body["message"] == EXPIRED_MESSAGE
    assert body["status"] == "FAILED_PRECONDITION"
    assert body["details"][0]["reason"] == "EXPIRED_SYNC_TOKEN"
    _, pages = read(requestSyncToken=True, pageSize=1000)
    people.expire_sync_tokens()
    with pytest.raises(HttpError) as caught:
        read(syncToken=pages[-1]["nextSyncToken"])
    assert error_body(caught.value)["message"] == EXPIRED_MESSAGE
    assert people.crashes == []


def test_contact_groups_paging_sync_and_members(people: FakePeople) -> None:
    truth = generate_contacts(people, 12)
    svc = service(people, "people", "v1")
    first = svc.contactGroups().list(pageSize=5).execute()
    assert len(first["contactGroups"]) == 5 and "nextSyncToken" not in first
    rest = svc.contactGroups().list(pageSize=5, pageToken=first["nextPageToken"]).execute()
    rest2 = svc.contactGroups().list(pageSize=5, pageToken=rest["nextPageToken"]).execute()
    groups = first["contactGroups"] + rest["contactGroups"] + rest2["contactGroups"]
    assert "nextSyncToken" in rest2 and first["totalItems"] == len(groups) == 14
    by_rn = {g["resourceName"]: g for g in groups}
    assert by_rn["contactGroups/myContacts"]["groupType"] == "SYSTEM_CONTACT_GROUP"
    assert by_rn["contactGroups/myContacts"]["formattedName"] == "My Contacts"
    assert by_rn["contactGroups/starred"]["memberCount"] == 1
    inner = by_rn[truth.groups["Inner circle"]]
    assert inner["groupType"] == "USER_CONTACT_GROUP" and inner["formattedName"] == "Inner circle"
    members = svc.contactGroups().get(resourceName=inner["resourceName"], maxMembers=50).execute()
    expected = {rn for rn, c in truth.contacts.items() if "Inner circle" in c.groups}
    assert set(members["memberResourceNames"]) == expected and len(expected) == 3
    assert inner["memberCount"] == len(expected)
    names_only = svc.contactGroups().list(groupFields="name").execute()["contactGroups"]
    assert all(set(g) == {"resourceName", "etag", "name", "formattedName"} for g in names_only)
    # Incremental: a renamed and a deleted group.
    book = people.contacts
    book.rename_group(truth.groups["Network"], "Wider network")
    book.delete_group(truth.groups["Book club"])
    changed = svc.contactGroups().list(syncToken=rest2["nextSyncToken"]).execute()
    by_rn = {g["resourceName"]: g for g in changed["contactGroups"]}
    assert set(by_rn) == {truth.groups["Network"], truth.groups["Book club"]}
    assert by_rn[truth.groups["Book club"]]["metadata"]["deleted"] is True
    assert by_rn[truth.groups["Network"]]["name"] == "Wider network"


def test_people_quota_errors(people: FakePeople) -> None:
    people.contacts.add_person("Ada Lovelace", ["ada@acme.example"])
    svc = service(people, "people", "v1")
    people.storm(1, retry_after=30)
    with pytest.raises(HttpError) as caught:
        svc.people().connections().list(resourceName="people/me", personFields="names").execute()
    body = error_body(caught.value)
    assert caught.value.resp.status == 429 and caught.value.resp["retry-after"] == "30"
    assert body["status"] == "RESOURCE_EXHAUSTED"
    assert body["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    people.burst_5xx(1)
    request = svc.people().connections().list(resourceName="people/me", personFields="names")
    assert no_sleep(request).execute(num_retries=2)["totalItems"] == 1
    assert people.stats.rejected == {"429": 1, "5xx": 1}


def test_bench_sized_calendar_is_quick_to_build_and_read() -> None:
    with FakeCalendar(now=NOW) as fake:
        truth = generate_calendar(fake, years=5, events=8000, seed=3)
        svc = service(fake, "calendar", "v3")
        items, pages = list_all(svc, calendarId="primary", singleEvents=True, maxResults=2500)
        assert len(pages) == 4 and len(items) == 8000
        assert {i["id"] for i in items} == truth.listed_ids()
        assert evaluate(items, NOW) == (truth.last_meeting(), truth.next_meeting())
        assert fake.stats.per_thousand("events.list") == 0.5
