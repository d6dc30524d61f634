"""Who becomes a person, under which name, and the user's own answers (snooze, ignore, log),
through the real store and report on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from models.config import RulesConfig
from models.people import log_contact, set_ignored, set_options, show_person, snooze
from models.records import Batch, Interaction, Participant
from models.report import build_report
from models.store import Store
from tests.builders import at, card, config, received, sent

RULES = RulesConfig()
AS_OF = date(2026, 11, 25)
NOW = at("2026-11-25T12:00:00")


def store_with(url: str, *batches: list[Interaction]) -> Store:
    store = Store(url)
    for records in batches:
        store.apply_batch("mail", "mbox", Batch(interactions=list(records)), RULES)
    return store


def named(sender: str, name: str, key: str, when: str, **flags: object) -> Interaction:
    base = received(key, when, sender, to_me=True, **flags)
    return replace(base, participants=(Participant("email", sender, "from", name),))


def people(store: Store) -> dict[str, str]:
    report = build_report(store, config(store.url), AS_OF, now=NOW)
    return {p.emails[0]: p.name for p in report.people if p.emails}


def test_a_newsletter_you_replied_to_is_never_a_person(store_url: str) -> None:
    news, bot, lister = "hello@letter.example", "carla@tickets.example", "ana@lists.example"
    store = store_with(
        store_url,
        [
            sent("r1", "2017-03-01T10:00:00", news),
            sent("r2", "2026-10-01T10:00:00", bot),
            sent("r3", "2026-10-02T10:00:00", lister),
        ],
    )
    assert set(people(store)) == {news, bot, lister}  # nothing known against them yet
    store.apply_batch(
        "mail",
        "mbox",
        Batch(
            interactions=[
                named(news, "The Digest Letter", "n1", "2017-02-01T08:00:00", newsletter=True),
                received("b1", "2026-09-01T08:00:00", bot, automated=True, to_me=True),
                # a person's post to a mailing list carries List-Id but names the list
                replace(
                    named(lister, "Ana", "l1", "2026-09-03T08:00:00", newsletter=True, bulk=True),
                    group_size=2,
                ),
            ]
        ),
        RULES,
    )
    assert set(people(store)) == {lister}
    store.close()


def test_the_name_someone_uses_for_themselves_wins(store_url: str) -> None:
    rita = "rita@gomez.example"
    store = store_with(store_url, [sent("s1", "2026-01-05T10:00:00", rita)])
    assert people(store)[rita] == "Rita"  # derived from the address, nothing better yet
    store.apply_batch(
        "mail",
        "mbox",
        Batch(
            interactions=[
                named(rita, "Rita Gomez", f"i{n}", f"2026-02-{n:02d}T09:00:00")
                for n in range(1, 29)
            ]
        ),
        RULES,
    )
    assert people(store)[rita] == "Rita Gomez"
    store.apply_batch(  # an older message with another spelling does not win
        "mail",
        "mbox",
        Batch(interactions=[named(rita, "R. G.", "old", "2025-01-01T09:00:00")]),
        RULES,
    )
    assert people(store)[rita] == "Rita Gomez"
    store.apply_batch("book", "vcard", Batch(cards=[card("r", "Rita Gómez-Ruiz", rita)]), RULES)
    assert people(store)[rita] == "Rita Gómez-Ruiz"  # the card beats correspondence
    set_options(store, rita, name="Rita")
    store.apply_batch(
        "mail",
        "mbox",
        Batch(interactions=[named(rita, "Rita G", "new", "2026-11-01T09:00:00")]),
        RULES,
    )
    assert people(store)[rita] == "Rita"  # a name you set by hand always wins
    store.close()


def test_a_person_first_met_through_their_own_mail_gets_their_own_name(store_url: str) -> None:
    kai = "kai@example.org"
    store = store_with(
        store_url,
        [named(kai, "Kai Müller", "k1", "2026-10-01T09:00:00")],
        [
            replace(
                sent("k2", "2026-10-02T09:00:00", kai),
                participants=(Participant("email", kai, "to", "kai"),),
            )
        ],
    )
    assert people(store)[kai] == "Kai Müller"
    store.close()


def test_snooze_ignore_and_log_are_facts_that_survive_resyncs(store_url: str) -> None:
    ines = "ines@example.com"
    history = [sent(f"w{n}", f"2026-0{n}-10T10:00:00", ines) for n in range(1, 8)]
    store = store_with(store_url, history)
    cfg = config(store_url)

    def entry() -> tuple[str, date | None, bool]:
        (person,) = build_report(store, cfg, AS_OF, now=NOW).people
        return person.status, person.snoozed_until, person.ignored

    assert entry()[0] == "cold"
    snooze(store, ines, date(2026, 12, 1))
    set_ignored(store, ines, True)
    log_contact(store, ines, "call", at("2026-11-24T18:00:00"), RULES)
    store.apply_batch("mail", "mbox", Batch(interactions=history), RULES)  # a re-sync
    assert entry() == ("warm", date(2026, 12, 1), True)
    report = build_report(store, cfg, AS_OF, now=NOW)
    assert report.people[0].last_contact is not None
    assert report.people[0].last_contact.channel == "call"
    view = show_person(store, ines)
    assert [a[1] for a in view.actions] == ["snooze", "ignore", "log"]
    assert "call on 2026-11-24 18:00 UTC" in view.actions[2][2]
    store.close()


def test_a_reply_is_owed_even_when_they_wrote_again_this_morning(store_url: str) -> None:
    paulo = "paulo@reis.example"
    history = [
        sent("hello", "2026-09-01T10:00:00", paulo),
        named(paulo, "Paulo Reis", "ask", "2026-11-15T09:00:00"),
        named(paulo, "Paulo Reis", "nudge", "2026-11-25T07:30:00"),  # this morning: too fresh
    ]
    store = store_with(store_url, history)
    report = build_report(store, config(store_url), AS_OF, now=NOW)
    (item,) = [i for i in report.digest.items if i.kind == "reply"]
    assert item.reason == "Paulo wrote to you on 15 Nov (10 days ago) and you have not answered."
    store.apply_batch(
        "mail", "mbox", Batch(interactions=[sent("re", "2026-11-20T10:00", paulo)]), RULES
    )
    report = build_report(store, config(store_url), AS_OF, now=NOW)
    assert not [i for i in report.digest.items if i.kind == "reply"]  # answered; today's is new
    store.close()
