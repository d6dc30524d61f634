"""A fake of the Google People API v1 (contacts and contact groups) on 127.0.0.1, for the real
google-api-python-client.

people.v1's discovery document has rootUrl `https://people.googleapis.com/` and an empty
servicePath, and its paths start with `v1/`: build the client with
`client_options={"api_endpoint": fake.endpoint}` (the bare `http://127.0.0.1:PORT/`).

Modelled faithfully:
- `people.connections.list` for `resourceName=people/me`: `personFields` required (400
  INVALID_ARGUMENT "personFields mask is required…" without it; the legacy
  `requestMask.includeField` spelling accepted too; unknown paths refused), `pageSize` (100 by
  default, 1–1000), `pageToken` (other parameters must match the first call), `sortOrder`,
  `requestSyncToken=true` → `nextSyncToken` on the last page, `syncToken` incremental (only
  persons changed since, deleted ones as `{resourceName, etag, metadata: {sources, deleted:
  true}}`), sync tokens that expire 7 days after the full sync they descend from (or by switch)
  → 400 FAILED_PRECONDITION "Sync token is expired. Clear local cache and retry call without
  the sync token." with ErrorInfo reason EXPIRED_SYNC_TOKEN, `totalPeople`/`totalItems`;
- person resources: `resourceName` (`people/c…`), `etag`, `metadata.sources` (CONTACT, plus
  PROFILE when the contact is a Google user), `names`, `emailAddresses`, `phoneNumbers`
  (`canonicalForm`), `birthdays` (`date` with or without `year`), `organizations`,
  `memberships` (`contactGroupMembership.contactGroupId` / `contactGroupResourceName`; every
  contact is in `contactGroups/myContacts`), each field entry with its `metadata`
  (`primary`, `source`); proto3-JSON style (empty lists and zero counts omitted);
- `contactGroups.list` (`pageSize` 30 by default, up to 1000, paging, `groupFields`,
  `syncToken`/`nextSyncToken`, deleted groups with `metadata.deleted`), system groups
  (`contactGroups/myContacts`, `starred`, `friends`, `family`, `coworkers`, `chatBuddies`,
  `all`, `blocked`; SYSTEM_CONTACT_GROUP, `formattedName` localized) and user groups
  (USER_CONTACT_GROUP, `formattedName` = `name`), `memberCount`; `contactGroups.get` with
  `maxMembers` → `memberResourceNames`; `people.get` of a contact;
- the same faults as the Calendar fake (429 RESOURCE_EXHAUSTED by default, 403 variants, 5xx,
  401, scope-insufficient 403) and counters.

Not modelled: writes through the API (use the Python mutators), `otherContacts`, directory
(`people.listDirectoryPeople`), `searchContacts` and its warm-up, photos, the extra quota on the
first page of a full sync, propagation delay of writes into sync results, `sources` other
than contacts, and the exact wording of errors for out-of-range `pageSize` or mismatched page
tokens (400 INVALID_ARGUMENT here).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.fakes.google_common import (
    ApiError,
    Call,
    GoogleFake,
    Route,
    SimClock,
    decode_token,
    encode_token,
    rfc3339,
    rpc_error,
)
from tests.fakes.google_oauth import GoogleOAuth

CONTACTS = "https://www.googleapis.com/auth/contacts"
CONTACTS_READONLY = "https://www.googleapis.com/auth/contacts.readonly"
PEOPLE_SCOPES = frozenset({CONTACTS, CONTACTS_READONLY})
SYNC_TOKEN_TTL = 7 * 86400.0  # "Sync tokens expire 7 days after the full sync."
EXPIRED_MESSAGE = "Sync token is expired. Clear local cache and retry call without the sync token."
PERSON_FIELDS = frozenset(
    [
        "addresses",
        "ageRanges",
        "biographies",
        "birthdays",
        "calendarUrls",
        "clientData",
        "coverPhotos",
        "emailAddresses",
        "events",
        "externalIds",
        "genders",
        "imClients",
        "interests",
        "locales",
        "locations",
        "memberships",
        "metadata",
        "miscKeywords",
        "names",
        "nicknames",
        "occupations",
        "organizations",
        "phoneNumbers",
        "photos",
        "relations",
        "sipAddresses",
        "skills",
        "urls",
        "userDefined",
    ]
)
GROUP_FIELDS = frozenset({"clientData", "groupType", "memberCount", "metadata", "name"})
SYSTEM_GROUPS = (
    ("myContacts", "My Contacts"),
    ("starred", "Starred"),
    ("friends", "Friends"),
    ("family", "Family"),
    ("coworkers", "Coworkers"),
    ("chatBuddies", "Chat contacts"),
    ("all", "All Contacts"),
    ("blocked", "Blocked"),
)
FORMATTED_TYPES = {
    "home": "Home",
    "work": "Work",
    "mobile": "Mobile",
    "other": "Other",
    "main": "Main",
    "homeFax": "Home Fax",
    "workFax": "Work Fax",
}


@dataclass
class StoredPerson:
    resource_name: str
    fields: dict[str, list[dict[str, Any]]]  # Google field name → entries (without metadata)
    groups: list[str]  # contact group resource names (myContacts implied)
    seq: int
    updated: datetime
    profile_id: str | None = None  # a Google account behind the contact: adds a PROFILE source
    deleted: bool = False

    @property
    def source_id(self) -> str:
        return self.resource_name.split("/", 1)[1].lstrip("c")

    def etag(self) -> str:
        return "%" + _hash(f"{self.resource_name}:{self.seq}", 24)


@dataclass
class StoredGroup:
    resource_name: str
    name: str
    formatted_name: str
    group_type: str  # USER_CONTACT_GROUP | SYSTEM_CONTACT_GROUP
    seq: int
    updated: datetime
    deleted: bool = False

    @property
    def group_id(self) -> str:
        return self.resource_name.split("/", 1)[1]


@dataclass
class ContactBook:
    """One user's contacts and groups, with a change counter behind the sync tokens."""

    fake: FakePeople
    address: str
    persons: dict[str, StoredPerson] = field(default_factory=dict)
    groups: dict[str, StoredGroup] = field(default_factory=dict)
    seq: int = 1
    generation: int = 0  # bumped by expire_sync_tokens()
    created: int = 0  # persons ever added (numbers their resource names)

    def __post_init__(self) -> None:
        for gid, formatted in SYSTEM_GROUPS:
            self._put_group(f"contactGroups/{gid}", gid, formatted, "SYSTEM_CONTACT_GROUP")

    def _next(self) -> tuple[int, datetime]:
        self.seq += 1
        return self.seq, self.fake.clock.wall()

    def _put_group(self, rn: str, name: str, formatted: str, kind: str) -> StoredGroup:
        seq, now = self._next()
        group = StoredGroup(rn, name, formatted, kind, seq, now)
        self.groups[rn] = group
        return group

    # -- groups --------------------------------------------------------------------------

    def add_group(self, name: str) -> StoredGroup:
        with self.fake.lock:
            rn = "contactGroups/" + _hash(f"{self.address}:group:{name}:{self.seq}", 14)
            return self._put_group(rn, name, name, "USER_CONTACT_GROUP")

    def group(self, name_or_rn: str) -> StoredGroup:
        """A group by resource name, system id (`starred`) or user group name."""
        found = self.groups.get(name_or_rn) or self.groups.get(f"contactGroups/{name_or_rn}")
        if found is None:
            found = next(
                (g for g in self.groups.values() if g.name == name_or_rn and not g.deleted), None
            )
        if found is None:
            raise KeyError(name_or_rn)
        return found

    def rename_group(self, rn: str, name: str) -> None:
        with self.fake.lock:
            group = self.group(rn)
            group.name = group.formatted_name = name
            group.seq, group.updated = self._next()

    def delete_group(self, rn: str) -> None:
        """Delete a user group; its members leave it (they change, as at Google)."""
        with self.fake.lock:
            group = self.group(rn)
            group.deleted = True
            group.seq, group.updated = self._next()
            for person in self.persons.values():
                if group.resource_name in person.groups:
                    person.groups.remove(group.resource_name)
                    person.seq, person.updated = self._next()

    # -- persons -------------------------------------------------------------------------

    def add_person(
        self,
        name: str | None = None,
        emails: Iterable[str] = (),
        phones: Iterable[str | tuple[str, str]] = (),
        *,
        birthday: tuple[int | None, int, int] | None = None,
        groups: Iterable[str] = (),
        starred: bool = False,
        organization: str | None = None,
        profile: bool = False,
        given: str | None = None,
        family: str | None = None,
        **fields: list[dict[str, Any]],
    ) -> StoredPerson:
        """A contact. `phones` are display strings or (value, canonical E.164) pairs;
        `birthday` is (year or None, month, day); `groups` names or resource names."""
        with self.fake.lock:
            self.created += 1
            n = self.created
            rn = "people/c" + str(int(_hash(f"{self.address}:{n}", 15), 16))
            data = _fields(name, emails, phones, birthday, organization, given, family)
            data.update(fields)
            members = [self.group(g).resource_name for g in groups]
            if starred:
                members.append("contactGroups/starred")
            seq, now = self._next()
            person = StoredPerson(rn, data, members, seq, now)
            if profile:
                person.profile_id = str(100000000000000000000 + n)
            self.persons[rn] = person
            return person

    def update_person(
        self,
        rn: str,
        *,
        name: str | None = None,
        emails: Iterable[str] | None = None,
        phones: Iterable[str | tuple[str, str]] | None = None,
        birthday: tuple[int | None, int, int] | None = None,
        groups: Iterable[str] | None = None,
        starred: bool | None = None,
        **fields: list[dict[str, Any]],
    ) -> StoredPerson:
        """Change a contact (only what is given); the next incremental sync reports it."""
        with self.fake.lock:
            person = self.persons[rn]
            fresh = _fields(name, emails or (), phones or (), birthday, None, None, None)
            if name is not None:
                person.fields["names"] = fresh["names"]
            if emails is not None:
                person.fields["emailAddresses"] = fresh.get("emailAddresses", [])
            if phones is not None:
                person.fields["phoneNumbers"] = fresh.get("phoneNumbers", [])
            if birthday is not None:
                person.fields["birthdays"] = fresh["birthdays"]
            person.fields.update(fields)
            if groups is not None:
                keep = [g for g in person.groups if g == "contactGroups/starred"]
                person.groups = [self.group(g).resource_name for g in groups] + keep
            if starred is not None:
                person.groups = [g for g in person.groups if g != "contactGroups/starred"]
                if starred:
                    person.groups.append("contactGroups/starred")
            person.seq, person.updated = self._next()
            return person

    def delete_person(self, rn: str) -> None:
        with self.fake.lock:
            person = self.persons[rn]
            person.deleted = True
            person.seq, person.updated = self._next()

    def expire_sync_tokens(self) -> None:
        """Every sync token handed out so far answers 400 FAILED_PRECONDITION."""
        with self.fake.lock:
            self.generation += 1

    def members(self, rn: str) -> list[StoredPerson]:
        live = [p for p in self.persons.values() if not p.deleted]
        if rn in ("contactGroups/myContacts", "contactGroups/all"):
            return live
        return [p for p in live if rn in p.groups]


def _hash(text: str, length: int) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def _fields(
    name: str | None,
    emails: Iterable[str],
    phones: Iterable[str | tuple[str, str]],
    birthday: tuple[int | None, int, int] | None,
    organization: str | None,
    given: str | None,
    family: str | None,
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    if name:
        parts = name.split()
        given = given if given is not None else parts[0]
        family = family if family is not None else (" ".join(parts[1:]) or None)
        entry: dict[str, Any] = {"displayName": name}
        if family:
            entry["familyName"] = family
        if given:
            entry["givenName"] = given
        entry["displayNameLastFirst"] = f"{family}, {given}" if family else name
        entry["unstructuredName"] = name
        out["names"] = [entry]
    mails = list(emails)
    if mails:
        kinds = ["home", "work", "other"]
        out["emailAddresses"] = [
            {"value": m, "type": kinds[i % 3], "formattedType": FORMATTED_TYPES[kinds[i % 3]]}
            for i, m in enumerate(mails)
        ]
    numbers = list(phones)
    if numbers:
        entries = []
        for i, phone in enumerate(numbers):
            value, canonical = phone if isinstance(phone, tuple) else (phone, None)
            kind = "mobile" if i == 0 else "home"
            item: dict[str, Any] = {"value": value}
            if canonical:
                item["canonicalForm"] = canonical
            item |= {"type": kind, "formattedType": FORMATTED_TYPES[kind]}
            entries.append(item)
        out["phoneNumbers"] = entries
    if birthday is not None:
        year, month, day = birthday
        when: dict[str, int] = {"month": month, "day": day}
        if year is not None:
            when = {"year": year, **when}
        out["birthdays"] = [{"date": when}]
    if organization:
        out["organizations"] = [{"name": organization, "type": "work",
                                 "formattedType": "Work"}]  # fmt: skip
    return out


class FakePeople(GoogleFake):
    """The server. Use as a context manager; pass `endpoint` as the client's api_endpoint."""

    service = "people.googleapis.com"
    prefix = "/"
    quota_kind = "429"

    def __init__(
        self,
        address: str = "me@example.com",
        *,
        now: datetime | None = None,
        oauth: GoogleOAuth | None = None,
        clock: SimClock | None = None,
        scopes: Iterable[str] = (CONTACTS_READONLY,),
        requests_per_minute: float | None = None,
        sync_token_ttl: float = SYNC_TOKEN_TTL,
    ) -> None:
        self.books: dict[str, ContactBook] = {}
        self.sync_token_ttl = sync_token_ttl
        clock = clock or (oauth.clock if oauth else SimClock(now))
        super().__init__(
            oauth=oauth,
            clock=clock,
            requests_per_minute=requests_per_minute,
            default_scopes=tuple(scopes),
            address=address,
        )
        self.book(address)

    def book(self, address: str) -> ContactBook:
        key = address.lower()
        with self.lock:
            found = self.books.get(key)
            if found is None:
                found = self.books[key] = ContactBook(self, key)
            return found

    @property
    def contacts(self) -> ContactBook:
        """The default user's contact book."""
        return self.book(self.address)

    def expire_sync_tokens(self) -> None:
        for book in self.books.values():
            book.expire_sync_tokens()

    # -- routes and errors -------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route("GET", r"v1/(people/[^/]+)/connections", "people.connections.list",
                  "google.people.v1.PeopleService.ListConnections", PEOPLE_SCOPES,
                  self._connections),
            Route("GET", r"v1/contactGroups", "contactGroups.list",
                  "google.people.v1.ContactGroupService.ListContactGroups", PEOPLE_SCOPES,
                  self._groups_list),
            Route("GET", r"v1/(contactGroups/[^/]+)", "contactGroups.get",
                  "google.people.v1.ContactGroupService.GetContactGroup", PEOPLE_SCOPES,
                  self._groups_get),
            Route("GET", r"v1/(people/[^/]+)", "people.get",
                  "google.people.v1.PeopleService.GetPerson", PEOPLE_SCOPES, self._people_get),
        ]  # fmt: skip

    def bad_request(self, message: str) -> ApiError:
        return rpc_error(400, message, reason="badRequest", rpc_status="INVALID_ARGUMENT")

    def _expired(self) -> ApiError:
        return rpc_error(
            400,
            EXPIRED_MESSAGE,
            rpc_status="FAILED_PRECONDITION",
            reason="failedPrecondition",
            info_reason="EXPIRED_SYNC_TOKEN",
            info_domain="people.googleapis.com",
        )

    def _not_found(self) -> ApiError:
        return rpc_error(404, "Requested entity was not found.", reason="notFound")

    def rate_error(self, kind: str, retry_after: float | None) -> ApiError:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        message = (
            "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
            "minute per user' of service 'people.googleapis.com' for consumer "
            "'project_number:123456789012'."
        )
        info = {
            "quota_metric": "people.googleapis.com/read_requests",
            "quota_limit": "ReadRequestsPerMinutePerUser",
            "quota_location": "global",
            "service": "people.googleapis.com",
            "consumer": "projects/123456789012",
        }
        if kind == "429":
            return rpc_error(429, message, reason="rateLimitExceeded",
                             info_reason="RATE_LIMIT_EXCEEDED", metadata=info,
                             headers=headers)  # fmt: skip
        return rpc_error(403, message, reason=kind, rpc_status="PERMISSION_DENIED",
                         info_reason="RATE_LIMIT_EXCEEDED", metadata=info,
                         headers=headers)  # fmt: skip

    def server_error(self, status: int) -> ApiError:
        if status == 500:
            return rpc_error(500, "Internal error encountered.", reason="backendError")
        return rpc_error(status, "The service is currently unavailable.", reason="backendError")

    # -- rendering -----------------------------------------------------------------------

    def _person(self, book: ContactBook, person: StoredPerson, mask: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"resourceName": person.resource_name, "etag": person.etag()}
        contact_source = {
            "type": "CONTACT",
            "id": person.source_id,
            "etag": "#" + _hash(f"{person.resource_name}:{person.seq}:src", 16),
            "updateTime": rfc3339(person.updated),
        }
        sources = [contact_source]
        if person.profile_id:
            sources.append({"type": "PROFILE", "id": person.profile_id,
                            "etag": "#" + _hash(person.profile_id, 16)})  # fmt: skip
        if person.deleted:
            out["metadata"] = {"sources": sources, "deleted": True, "objectType": "PERSON"}
            return out
        if "metadata" in mask:
            meta: dict[str, Any] = {"sources": sources, "objectType": "PERSON"}
            out["metadata"] = meta
        ref = {"type": "CONTACT", "id": person.source_id}
        for key in sorted(mask - {"metadata", "memberships"}):
            entries = person.fields.get(key) or []
            if entries:
                out[key] = [
                    {"metadata": {**({"primary": True} if i == 0 else {}), "source": dict(ref)},
                     **entry}
                    for i, entry in enumerate(entries)
                ]  # fmt: skip
        if "memberships" in mask:
            groups = ["contactGroups/myContacts", *person.groups]
            live = [book.groups[g] for g in groups if g in book.groups]
            out["memberships"] = [
                {
                    "metadata": {"source": dict(ref)},
                    "contactGroupMembership": {
                        "contactGroupId": g.group_id,
                        "contactGroupResourceName": g.resource_name,
                    },
                }
                for g in live
                if not g.deleted
            ]
        return out

    def _group(self, book: ContactBook, group: StoredGroup, mask: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resourceName": group.resource_name,
            "etag": "#" + _hash(f"{group.resource_name}:{group.seq}", 16),
        }
        if group.deleted:
            out["metadata"] = {"updateTime": rfc3339(group.updated), "deleted": True}
            return out
        if "metadata" in mask:
            out["metadata"] = {"updateTime": rfc3339(group.updated)}
        if "groupType" in mask:
            out["groupType"] = group.group_type
        if "name" in mask:
            out["name"] = group.name
            out["formattedName"] = group.formatted_name
        if "memberCount" in mask:
            count = len(book.members(group.resource_name))
            if count:
                out["memberCount"] = count
        return out

    # -- handlers --------------------------------------------------------------------------

    def _person_mask(self, call: Call) -> set[str]:
        raw = call.one("personFields")
        if raw is None and call.one("requestMask.includeField"):
            raw = ",".join(
                _camel(p.strip().removeprefix("person."))
                for p in str(call.one("requestMask.includeField")).split(",")
            )
        if not raw:
            raise self.bad_request(
                "personFields mask is required. Please specify one or more valid paths. Valid "
                "paths are documented at https://developers.google.com/people/api/rest/v1/"
                "people/get."
            )
        mask = {p.strip() for p in raw.split(",") if p.strip()}
        for path in sorted(mask):
            if path not in PERSON_FIELDS:
                raise self.bad_request(
                    f'Invalid personFields mask path: "{path}". Valid paths are documented at '
                    "https://developers.google.com/people/api/rest/v1/people.connections/list."
                )
        return mask

    def _page_size(self, call: Call, default: int) -> int:
        raw = call.one("pageSize")
        try:
            size = int(raw) if raw else 0
        except ValueError:
            raise self.bad_request(
                f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\""
            ) from None
        if size < 0 or size > 1000:
            raise self.bad_request("Page size must be between 0 and 1000.")
        return size or default

    def _sync_since(self, book: ContactBook, call: Call) -> tuple[int, float] | None:
        """(change number, full-sync time) of a given syncToken, or None for a full read."""
        sync = call.one("syncToken")
        if sync is None:
            return None
        token = decode_token(sync)
        if token is None or token.get("u") != book.address or "s" not in token:
            raise self.bad_request("Request contains an invalid argument.")
        if int(token.get("g", -1)) != book.generation:
            raise self._expired()
        if self.clock.now() - float(token["t"]) > self.sync_token_ttl:
            raise self._expired()
        return int(token["s"]), float(token["t"])

    def _paging(
        self, call: Call, book: ContactBook, keys: tuple[str, ...], full_time: float | None
    ) -> tuple[int, int, float]:
        """(offset, snapshot change number, full-sync time) for this page."""
        fingerprint = _hash("&".join(f"{k}={call.query.get(k)}" for k in keys), 16)
        page_token = call.one("pageToken")
        if not page_token:
            return 0, book.seq, full_time if full_time is not None else self.clock.now()
        token = decode_token(page_token)
        if token is None or token.get("f") != fingerprint:
            raise self.bad_request("Request contains an invalid argument.")
        return int(token["o"]), int(token["s"]), float(token["t"])

    def _connections(self, call: Call, resource: str) -> dict[str, Any]:
        if resource != "people/me":
            raise self.bad_request("Only people/me is valid.")
        book = self.book(call.user)
        mask = self._person_mask(call)
        size = self._page_size(call, 100)
        since = self._sync_since(book, call)
        keys = ("personFields", "requestMask.includeField", "sortOrder", "sources",
                "syncToken", "requestSyncToken")  # fmt: skip
        offset, snapshot, full_time = self._paging(call, book, keys, since[1] if since else None)
        if since is not None:
            people = [p for p in book.persons.values() if p.seq > since[0]]
        else:
            people = [p for p in book.persons.values() if not p.deleted]
        order = call.one("sortOrder") or "LAST_MODIFIED_ASCENDING"
        if order == "LAST_MODIFIED_ASCENDING":
            people.sort(key=lambda p: (p.seq, p.resource_name))
        elif order == "LAST_MODIFIED_DESCENDING":
            people.sort(key=lambda p: (-p.seq, p.resource_name))
        else:
            part = "givenName" if order == "FIRST_NAME_ASCENDING" else "familyName"
            people.sort(key=lambda p: (_name_part(p, part), p.resource_name))
        page = people[offset : offset + size]
        out: dict[str, Any] = {}
        if page:
            out["connections"] = [self._person(book, p, mask) for p in page]
        if offset + size < len(people):
            fingerprint = _hash("&".join(f"{k}={call.query.get(k)}" for k in keys), 16)
            out["nextPageToken"] = encode_token(
                {"o": offset + size, "f": fingerprint, "s": snapshot, "t": full_time}
            )
        elif since is not None or call.flag("requestSyncToken"):
            out["nextSyncToken"] = encode_token(
                {"u": book.address, "s": snapshot, "t": full_time, "g": book.generation}
            )
        if people:
            out["totalPeople"] = len(people)
            out["totalItems"] = len(people)
        self.stats.items["people.connections.list"] += len(page)
        return out

    def _group_mask(self, call: Call) -> set[str]:
        raw = call.one("groupFields")
        if not raw:
            return {"metadata", "groupType", "memberCount", "name"}
        mask = {p.strip() for p in raw.split(",") if p.strip()}
        for path in sorted(mask):
            if path not in GROUP_FIELDS:
                raise self.bad_request(f'Invalid groupFields mask path: "{path}".')
        return mask

    def _groups_list(self, call: Call) -> dict[str, Any]:
        book = self.book(call.user)
        mask = self._group_mask(call)
        size = self._page_size(call, 30)
        since = self._sync_since(book, call)
        keys = ("groupFields", "syncToken")
        offset, snapshot, full_time = self._paging(call, book, keys, since[1] if since else None)
        if since is not None:
            groups = [g for g in book.groups.values() if g.seq > since[0]]
        else:
            groups = [g for g in book.groups.values() if not g.deleted]
        page = groups[offset : offset + size]
        out: dict[str, Any] = {}
        if page:
            out["contactGroups"] = [self._group(book, g, mask) for g in page]
        if groups:
            out["totalItems"] = len(groups)
        if offset + size < len(groups):
            fingerprint = _hash("&".join(f"{k}={call.query.get(k)}" for k in keys), 16)
            out["nextPageToken"] = encode_token(
                {"o": offset + size, "f": fingerprint, "s": snapshot, "t": full_time}
            )
        else:
            out["nextSyncToken"] = encode_token(
                {"u": book.address, "s": snapshot, "t": full_time, "g": book.generation}
            )
        self.stats.items["contactGroups.list"] += len(page)
        return out

    def _groups_get(self, call: Call, rn: str) -> dict[str, Any]:
        book = self.book(call.user)
        group = book.groups.get(rn)
        if group is None or group.deleted:
            raise self._not_found()
        out = self._group(book, group, self._group_mask(call))
        wanted = int(call.one("maxMembers") or 0)
        if wanted:
            members = [p.resource_name for p in book.members(rn)][:wanted]
            if members:
                out["memberResourceNames"] = members
        return out

    def _people_get(self, call: Call, rn: str) -> dict[str, Any]:
        book = self.book(call.user)
        mask = self._person_mask(call)
        person = book.persons.get(rn)
        if person is None or person.deleted:
            raise self._not_found()
        return self._person(book, person, mask)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(w.title() for w in rest)


def _name_part(person: StoredPerson, part: str) -> str:
    names = person.fields.get("names") or [{}]
    return str(names[0].get(part, "")).lower()
