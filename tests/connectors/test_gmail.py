"""The Gmail connector against the loopback fake, through the real google client libraries."""

from __future__ import annotations

import json
import mailbox as stdlib_mailbox
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import Me, Window
from connectors.errors import AuthError
from connectors.gmail.connector import GmailConnector
from connectors.gmail.settings import GmailAccount, GmailQuota
from connectors.mbox.settings import MboxAccount
from connectors.source import BuildOptions
from models.config import RulesConfig
from models.records import Interaction
from models.schema import InteractionRow, ParticipantRow
from models.store import Store
from tests.connectors.contract import ConnectorContract
from tests.fakes.gmail_server import (
    ME,
    Clock,
    FakeGmail,
    Generated,
    generate_mailbox,
    last_contact_table,
)

RULES = RulesConfig()
FAST = {"units_per_second": 1e7, "costs": "2026"}


def account_for(fake: FakeGmail, tmp: Path, *, expired: bool = False, **quota: Any) -> GmailAccount:
    token = tmp / "token.json"
    token.write_text(json.dumps(fake.authorized_user_info(expired=expired)))
    return GmailAccount(
        name="personal",
        kind="gmail",
        address=ME,
        api_endpoint=fake.endpoint,
        token_file=str(token),
        quota=GmailQuota(**(quota or FAST)),
    )


def connector(fake: FakeGmail, tmp: Path, batch_size: int = 100, **kw: Any) -> GmailConnector:
    account = account_for(fake, tmp, **kw)
    return GmailConnector(
        account,
        Me(frozenset({ME})),
        batch_size=batch_size,
        sleep=fake.clock.sleep,
        clock=fake.clock.now,
    )


def sync(store: Store, conn: GmailConnector, window: Window | None = None) -> int:
    state = store.sync_state(conn.account)
    count = 0
    for batch in conn.batches(state.cursor if state else None, window):
        store.apply_batch(conn.account, "gmail", batch, RULES)
        count += 1
    return count


def store_table(store: Store) -> dict[str, int]:
    with store.session() as session:
        rows = session.execute(select(InteractionRow)).scalars().all()
        parts = session.execute(select(ParticipantRow)).scalars().all()
        by_id: dict[int, list[Any]] = {}
        for p in parts:
            by_id.setdefault(p.interaction_id, []).append(
                SimpleNamespace(value=p.value, role=p.role)
            )
        records = [
            SimpleNamespace(
                bulk=r.bulk,
                automated=r.automated,
                direction=r.direction,
                group_size=r.group_size,
                participants=by_id.get(r.id, []),
                occurred_at=r.occurred_at.replace(tzinfo=UTC),
            )
            for r in rows
        ]
    return last_contact_table(records)


def row_count(store: Store) -> int:
    with store.session() as session:
        return len(session.execute(select(InteractionRow.key)).all())


@pytest.fixture
def fake() -> Iterator[FakeGmail]:
    with FakeGmail(units_per_second=None, clock=Clock(virtual=True)) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    yield s
    s.close()


# -- the shared connector contract --------------------------------------------------------

_FAKES: dict[str, FakeGmail] = {}


def _shared(name: str, bad: bool) -> FakeGmail:
    if name not in _FAKES:
        server = FakeGmail(units_per_second=None, clock=Clock(virtual=True)).start()
        generate_mailbox(server, 300, seed=3)
        if bad:
            server.mailbox.add(
                [("To", ME), ("Subject", "no sender")],
                1_740_000_000_000,
                ["INBOX", "CATEGORY_PERSONAL"],
            )
        _FAKES[name] = server
    return _FAKES[name]


class TestGmailContract(ConnectorContract):
    source = "gmail"
    access_fix = "keepwarm auth gmail personal"

    def make_connector_without_access(self, tmp_path: Path) -> GmailConnector:
        conn = connector(_shared("good", False), tmp_path)
        conn.config.token_path().unlink()
        return conn

    def make_connector(self, tmp_path: Path) -> GmailConnector:
        return connector(_shared("good", False), tmp_path, batch_size=40)

    def make_connector_with_bad_record(self, tmp_path: Path) -> GmailConnector:
        return connector(_shared("bad", True), tmp_path, batch_size=40)


# -- done-when: backfill + nightly give the expected last-contact table ------------------------


def _arrive_during(fake: FakeGmail, truth: Generated) -> None:
    """Mail that lands while the backfill runs: must be caught by the next nightly sync."""
    done = {"n": 0}

    def hook(method: str) -> None:
        done["n"] += 1
        if done["n"] == 5:
            late = 1_770_000_000_000
            fake.mailbox.add(
                [("From", "late@people.example"), ("To", ME)], late, ["INBOX", "CATEGORY_PERSONAL"]
            )
            fake.mailbox.add([("From", ME), ("To", "reply@people.example")], late + 1, ["SENT"])
            truth.counts(["late@people.example"], late)
            truth.counts(["reply@people.example"], late + 1)

    fake.faults.on_call = hook


def test_backfill_then_nightly_gives_the_expected_table(
    fake: FakeGmail, store: Store, tmp_path: Path
) -> None:
    truth = generate_mailbox(fake, 800)
    _arrive_during(fake, truth)
    sync(store, connector(fake, tmp_path))
    fake.faults.on_call = None
    sync(store, connector(fake, tmp_path))
    assert store_table(store) == truth.expected
    state = store.sync_state("personal")
    assert state is not None and "me.work@example.org" in state.aliases
    assert "me.work@example.org" not in store_table(store)


def test_unchanged_mailbox_costs_at_most_three_requests(
    fake: FakeGmail, store: Store, tmp_path: Path
) -> None:
    generate_mailbox(fake, 200)
    sync(store, connector(fake, tmp_path))
    before = fake.stats.http_requests
    sync(store, connector(fake, tmp_path))
    assert fake.stats.http_requests - before <= 3


def test_quota_spent_is_the_cost_model_of_the_plan(fake: FakeGmail, tmp_path: Path) -> None:
    truth = generate_mailbox(fake, 1500)
    conn = connector(fake, tmp_path)
    interactions = [i for b in conn.batches(None) for i in b.interactions]
    assert last_contact_table(interactions) == truth.expected
    box = fake.mailbox
    sent = {m.thread_id for m in box.messages.values() if "SENT" in m.labels}
    primary = [m for m in box.messages.values() if "CATEGORY_PERSONAL" in m.labels]
    other_threads = {m.thread_id for m in primary} - sent
    model = 1 + 1 + 1 + 10 * (len(sent) // 500 + 1) + 10 * len(sent)
    model += 5 * (len(primary) // 500 + 1) + 10 * len(other_threads)
    assert fake.stats.units == model
    naive = 5 * (len(box.messages) // 500 + 1) + 20 * len(box.messages)
    assert fake.stats.units * 4 <= naive


@pytest.mark.parametrize("fault", ["429", "403", "5xx", "history", "token"])
def test_faults_end_in_the_same_table_without_duplicates(
    fault: str, store: Store, tmp_path: Path
) -> None:
    clock = Clock(virtual=True)
    limited = fault in ("429", "403")
    with FakeGmail(units_per_second=50 if limited else None, burst_seconds=1, clock=clock) as fake:
        truth = generate_mailbox(fake, 600)
        if fault == "403":
            fake.faults.rate_limit_status = 403
        calls = {"n": 0}

        def strike(method: str) -> None:
            calls["n"] += 1
            if calls["n"] in (10, 60) and fault == "token":
                fake.expire_tokens()
            if calls["n"] in (2, 20, 90) and fault == "5xx":
                fake.faults.errors_5xx = 5 if calls["n"] == 2 else 40  # a burst of 503s

        fake.faults.on_call = strike
        rate = 1e6 if limited else 1e7
        conn = connector(fake, tmp_path, expired=(fault == "token"), units_per_second=rate)
        sync(store, conn)
        rows = row_count(store)
        if fault == "history":
            fake.mailbox.add(
                [("From", "new@people.example"), ("To", ME)],
                1_770_000_000_000,
                ["INBOX", "CATEGORY_PERSONAL"],
            )
            truth.counts(["new@people.example"], 1_770_000_000_000)
            fake.mailbox.expire_history()
            sync(store, conn)
            assert row_count(store) == rows + 1
        assert store_table(store) == truth.expected
        if limited:
            assert fake.stats.rejected["rate"] > 0
        if fault == "5xx":
            assert fake.stats.rejected["5xx"] >= 80
        if fault == "token":
            assert fake.stats.refreshes >= 2
            saved = json.loads((tmp_path / "token.json").read_text())
            assert saved["token_uri"] == fake.token_uri


def test_revoked_grant_names_the_fix(fake: FakeGmail, tmp_path: Path) -> None:
    generate_mailbox(fake, 50)
    conn = connector(fake, tmp_path, expired=True)
    fake.revoke()
    with pytest.raises(AuthError, match="keepwarm auth gmail personal") as info:
        list(conn.batches(None))
    assert "ya29" not in str(info.value) and "refresh" not in str(info.value).split("(")[0]


def test_resume_mid_backfill_then_finish(fake: FakeGmail, store: Store, tmp_path: Path) -> None:
    truth = generate_mailbox(fake, 700)
    conn = connector(fake, tmp_path, batch_size=50)
    for n, batch in enumerate(conn.batches(None)):
        store.apply_batch("personal", "gmail", batch, RULES)
        if n == 1:
            break  # the run dies here
    state = store.sync_state("personal")
    assert state is not None and state.cursor and "backfill" in state.cursor
    sync(store, connector(fake, tmp_path, batch_size=50))
    assert store_table(store) == truth.expected


def test_window_reads_only_that_window(fake: FakeGmail, tmp_path: Path) -> None:
    generate_mailbox(fake, 600)
    since = datetime(2025, 4, 1, tzinfo=UTC)
    until = datetime(2025, 7, 1, tzinfo=UTC)
    conn = connector(fake, tmp_path)
    got = [i for b in conn.batches(None, Window(since, until)) for i in b.interactions]
    full = [i for b in connector(fake, tmp_path).batches(None) for i in b.interactions]
    inside = {i.key for i in full if since <= i.occurred_at < until}
    assert {i.key for i in got} == inside and inside


def test_legacy_costs_choose_messages_get_for_single_messages(
    fake: FakeGmail, tmp_path: Path
) -> None:
    truth = generate_mailbox(fake, 800)
    conn = connector(fake, tmp_path, units_per_second=1e7, costs="legacy")
    fake.costs = {**fake.costs, "messages.get": 5}
    interactions = [i for b in conn.batches(None) for i in b.interactions]
    assert last_contact_table(interactions) == truth.expected
    assert fake.stats.calls["messages.get"] > 0


def test_quota_pacing_keeps_under_the_limit(tmp_path: Path) -> None:
    clock = Clock(virtual=True)
    with FakeGmail(units_per_second=100, burst_seconds=5, clock=clock) as fake:
        truth = generate_mailbox(fake, 600)
        start = clock.now()
        conn = connector(fake, tmp_path, units_per_second=100, costs="2026")
        interactions = [i for b in conn.batches(None) for i in b.interactions]
        elapsed = clock.now() - start
        assert last_contact_table(interactions) == truth.expected
        assert fake.stats.rejected["rate"] == 0
        assert fake.stats.units / elapsed >= 0.9 * 100 * (1 - 500 / fake.stats.units)


# -- Takeout and the API agree -------------------------------------------------------------


def _facts(interactions: list[Interaction]) -> set[tuple[Any, ...]]:
    return {
        (
            int(i.occurred_at.timestamp()),
            i.direction,
            i.group_size,
            i.bulk,
            i.automated,
            tuple(sorted((p.value, p.role) for p in i.participants)),
        )
        for i in interactions
    }


def test_takeout_and_api_agree(fake: FakeGmail, tmp_path: Path) -> None:
    pytest.importorskip("connectors.mbox")
    from connectors.mbox import build as build_mbox

    generate_mailbox(fake, 400, drafts=False)
    path = tmp_path / "All mail.mbox"
    box = stdlib_mailbox.mbox(str(path))
    names = {
        "SENT": "Sent",
        "INBOX": "Inbox",
        "CATEGORY_PERSONAL": "Category Personal",
        "CATEGORY_PROMOTIONS": "Category Promotions",
        "CATEGORY_UPDATES": "Category Updates",
        "CATEGORY_SOCIAL": "Category Social",
        "CATEGORY_FORUMS": "Category Forums",
    }
    for m in fake.mailbox.messages.values():
        text = m.rfc822()
        labels = ",".join(names[label] for label in m.labels)
        box.add(f"X-Gmail-Labels: {labels}\r\n{text}")
    box.flush()
    box.close()
    me = Me(frozenset({ME, "me.work@example.org"}))
    api = [i for b in connector(fake, tmp_path).batches(None) for i in b.interactions]
    mbox_account = MboxAccount(name="takeout", kind="mbox", path=str(path))
    takeout = [
        i
        for b in build_mbox(mbox_account, me, BuildOptions()).batches(None)
        for i in b.interactions
    ]
    counting_api = {f for f in _facts(api) if not (f[3] or f[4])}
    counting_takeout = {f for f in _facts(takeout) if not (f[3] or f[4])}
    assert counting_api == counting_takeout
    seconds = {k: v // 1000 for k, v in last_contact_table(api).items()}
    assert seconds == {k: v // 1000 for k, v in last_contact_table(takeout).items()}


# -- the nightly sync applies deletions and moves to Trash/Spam ------------------------------


def _personal(fake: FakeGmail, sender: str, ms: int) -> str:
    headers = [("From", sender), ("To", ME), ("Subject", "hi")]
    return fake.mailbox.add(headers, ms, ["INBOX", "CATEGORY_PERSONAL"]).id


def test_nightly_removes_deleted_and_unflags_trashed_mail(
    fake: FakeGmail, store: Store, tmp_path: Path
) -> None:
    truth = generate_mailbox(fake, 300)
    when = 1_760_000_000_000
    gone = _personal(fake, "gone@people.example", when)
    binned = _personal(fake, "binned@people.example", when + 1)
    junk = _personal(fake, "junk@people.example", when + 2)
    sync(store, connector(fake, tmp_path))
    table = store_table(store)
    assert {"gone@people.example", "binned@people.example", "junk@people.example"} <= set(table)
    rows = row_count(store)

    fake.mailbox.delete(gone)
    fake.mailbox.trash(binned)
    fake.mailbox.spam(junk)
    fake.mailbox.modify(truth_message(fake), remove=["UNREAD", "INBOX"])  # archived: no fetch
    before = fake.stats.http_requests
    sync(store, connector(fake, tmp_path))
    assert fake.stats.http_requests - before <= 3  # sendAs + history.list + one batch
    assert fake.stats.calls["messages.get"] == 2  # only the trashed and the spam message

    assert row_count(store) == rows - 1
    with store.session() as session:
        keys = set(session.scalars(select(InteractionRow.key)))
        changed = [f"gmail:personal:{binned}", f"gmail:personal:{junk}"]
        flags = {
            key: bulk
            for key, bulk in session.execute(
                select(InteractionRow.key, InteractionRow.bulk).where(
                    InteractionRow.key.in_(changed)
                )
            )
        }
    assert f"gmail:personal:{gone}" not in keys
    assert flags == {f"gmail:personal:{binned}": True, f"gmail:personal:{junk}": True}
    assert store_table(store) == truth.expected

    # Taken back out of the Trash: it counts again.
    fake.mailbox.modify(binned, remove=["TRASH"])
    sync(store, connector(fake, tmp_path))
    assert store_table(store)["binned@people.example"] == when + 1


def truth_message(fake: FakeGmail) -> str:
    """Some message with ordinary labels, for label changes that do not matter."""
    return next(m.id for m in fake.mailbox.messages.values() if "INBOX" in m.labels)


def test_irrelevant_label_changes_keep_the_nightly_at_three_requests(
    fake: FakeGmail, store: Store, tmp_path: Path
) -> None:
    generate_mailbox(fake, 200)
    sync(store, connector(fake, tmp_path))
    for message in list(fake.mailbox.messages.values())[:30]:
        fake.mailbox.modify(message.id, add=["STARRED"], remove=["UNREAD"])
    before, units = fake.stats.http_requests, fake.stats.units
    sync(store, connector(fake, tmp_path))
    assert fake.stats.http_requests - before <= 3
    assert fake.stats.units - units == 1 + 2  # sendAs.list + one history.list page


def test_nightly_resumed_mid_run_still_applies_deletions(
    fake: FakeGmail, store: Store, tmp_path: Path
) -> None:
    truth = generate_mailbox(fake, 200)
    when = 1_760_000_000_000
    old = [_personal(fake, f"old{n}@people.example", when + n) for n in range(3)]
    sync(store, connector(fake, tmp_path))
    new = [_personal(fake, f"new{n}@people.example", when + 10 + n) for n in range(4)]
    for n in range(4):
        truth.counts([f"new{n}@people.example"], when + 10 + n)
    flash = _personal(fake, "flash@people.example", when + 20)
    fake.mailbox.delete(flash)  # arrived and deleted between two runs: never fetched
    for mid in old[:2]:
        fake.mailbox.delete(mid)
    fake.mailbox.trash(old[2])
    fake.mailbox.trash(new[0])
    truth.expected.pop("new0@people.example")
    state = store.sync_state("personal")
    assert state is not None
    for n, batch in enumerate(connector(fake, tmp_path, batch_size=2).batches(state.cursor)):
        assert not batch.removed_keys  # deletions wait for the run's last batch
        store.apply_batch("personal", "gmail", batch, RULES)
        if n == 0:
            break  # the run dies here
    state = store.sync_state("personal")
    assert state is not None and state.cursor and '"off"' in state.cursor
    fetched = fake.stats.calls["messages.get"]
    sync(store, connector(fake, tmp_path, batch_size=2))
    assert (
        fake.stats.calls["messages.get"] - fetched == 3
    )  # new2, new3, old2 (flash is not fetched)
    with store.session() as session:
        keys = set(session.scalars(select(InteractionRow.key)))
    assert not {f"gmail:personal:{mid}" for mid in [*old[:2], flash]} & keys
    assert {f"gmail:personal:{mid}" for mid in [old[2], *new]} <= keys
    assert store_table(store) == truth.expected
