"""Google Contacts: your contact groups' names, then your contacts as cards — a full read once
(with a sweep at the end), then changes by `syncToken`.

Each run reads `contactGroups.list` (one request) for the groups' current names. A group
renamed or deleted since the last run changes no member's record at Google, so it starts a
full round: every card is delivered again with its new categories. Otherwise:
`people.connections.list(personFields=…, pageSize=1000, requestSyncToken=true)` — with the
saved `syncToken` when there is one: changed contacts come back; deleted ones with
`metadata.deleted`, whose cards are removed. An expired token (People answers 400
FAILED_PRECONDITION EXPIRED_SYNC_TOKEN, seven days after the full read it descends from) starts
a full round whose last batch sweeps the cards it did not deliver.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.base import Window
from connectors.common.google import GoogleApi, GoogleReader, SyncTokenGone, new_round
from connectors.errors import FatalError
from connectors.gcontacts.cursor import CURSOR, ContactsState
from connectors.gcontacts.mapping import card_key, card_prefix, group_categories, person_card
from connectors.gcontacts.settings import GcontactsAccount
from models.records import Batch, Skip, Sweep

# `organizations` beyond the fields the design lists: it tells a company's card from a person's.
PERSON_FIELDS = "names,emailAddresses,phoneNumbers,birthdays,memberships,metadata,organizations"
GROUP_FIELDS = "name,groupType,metadata"
MAX_RESTARTS = 3


class GcontactsConnector(GoogleReader[GcontactsAccount]):
    """See the module docstring. A backfill window does not apply to an address book: it
    re-reads every contact (a full round)."""

    API_NAME = "people"
    API_VERSION = "v1"
    WHAT = "Google Contacts (People API)"

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        saved = CURSOR.decode(cursor, self.account)
        api = self._api()
        try:
            yield from self._read(api, saved, window is not None)
        finally:
            api.save_if_refreshed()

    def _groups(self, api: GoogleApi) -> dict[str, str]:
        entries: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            request = api.service.contactGroups().list(
                pageSize=1000, groupFields=GROUP_FIELDS, pageToken=token
            )
            page = api.call(request, "contactGroups.list") or {}
            entries += page.get("contactGroups") or []
            token = page.get("nextPageToken")
            if not token:
                return group_categories(entries)

    def _start(
        self, saved: ContactsState | None, groups: dict[str, str], backfill: bool
    ) -> tuple[ContactsState, str | None]:
        if saved is None or backfill:
            return ContactsState(new_round(), groups=groups), None
        if saved.phase == "full":
            return ContactsState(saved.round, "full", "", saved.page, saved.off, groups), None
        if saved.groups != groups:
            return ContactsState(new_round(), groups=groups), "contact groups changed: full re-read"
        if not saved.sync:
            return ContactsState(new_round(), groups=groups), "no sync token saved: full re-read"
        return ContactsState(saved.round, "sync", saved.sync, saved.page, saved.off, groups), None

    def _request(self, api: GoogleApi, state: ContactsState) -> Any:
        params: dict[str, Any] = {
            "resourceName": "people/me",
            "personFields": PERSON_FIELDS,
            "pageSize": self.config.page_size,
            "requestSyncToken": True,
        }
        if state.phase == "sync":
            params["syncToken"] = state.sync
        if state.page:
            params["pageToken"] = state.page
        return api.service.people().connections().list(**params)

    def _read(self, api: GoogleApi, saved: ContactsState | None, backfill: bool) -> Iterator[Batch]:
        groups = self._groups(api)
        state, note = self._start(saved, groups, backfill)
        notes: dict[str, int] = {note: 1} if note else {}
        restarts = 0
        while True:
            try:
                page = api.call(self._request(api, state), "people.connections.list") or {}
            except SyncTokenGone:
                if state.phase != "sync" or restarts >= MAX_RESTARTS:
                    raise FatalError(
                        self.account, "Google keeps expiring the contacts sync token; try later"
                    ) from None
                restarts += 1
                state = ContactsState(new_round(), groups=groups)
                notes["sync token expired: full re-read"] = 1
                continue
            people = page.get("connections") or []
            people = people[state.off :] if state.off < len(people) else []
            next_page = str(page.get("nextPageToken") or "")
            chunks = [
                people[i : i + self.batch_size] for i in range(0, len(people), self.batch_size)
            ] or [[]]
            done = state.off
            for n, chunk in enumerate(chunks):
                batch = self._batch(chunk, state)
                done += len(chunk)
                if n < len(chunks) - 1:
                    after = state.at(state.page, done)
                elif next_page:
                    after = state.at(next_page, 0)
                else:
                    token = str(page.get("nextSyncToken") or "")
                    if state.phase == "full":
                        batch.sweep = Sweep(card_prefix(self.account))
                    after = ContactsState(state.round, "sync", token or state.sync, "", 0, groups)
                batch.notes.update(notes)
                notes = {}
                batch.cursor = CURSOR.encode(after)
                yield batch
                state = after
            if not next_page:
                return

    def _batch(self, people: list[Any], state: ContactsState) -> Batch:
        batch = Batch(seen=len(people), round=state.round)
        for person in people:
            if not isinstance(person, dict):
                batch.skipped.append(Skip(f"{card_prefix(self.account)}?", "not a contact"))
                continue
            if (person.get("metadata") or {}).get("deleted"):
                rn = str(person.get("resourceName") or "")
                if rn:
                    batch.removed_keys.append(card_key(self.account, rn))
                continue
            card = person_card(person, account=self.account, me=self.me, groups=state.groups)
            if isinstance(card, Skip):
                batch.skipped.append(card)
            else:
                batch.cards.append(card)
        return batch
