"""Google test plumbing shared by the gcal, gcontacts, auth and end-to-end tests: a token file
as `keepwarm auth google` leaves it, and a Gmail fake that trusts the shared OAuth server, so
one grant (one token file) serves Gmail, Calendar and People as one Google account's would."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.fakes.gmail_server import SCOPE_METADATA, FakeGmail
from tests.fakes.google_oauth import GoogleOAuth


def write_token(path: Path, info: dict[str, Any]) -> Path:
    """The authorized-user JSON, owner-only from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(info, handle)
    return path


GMAIL_SCOPES = frozenset(
    {
        SCOPE_METADATA,
        "https://www.googleapis.com/auth/gmail.readonly",
        "https://www.googleapis.com/auth/gmail.modify",
        "https://mail.google.com/",
    }
)


class SharedGmail(FakeGmail):
    """The Gmail fake, but its bearer tokens are the shared `GoogleOAuth`'s (checked for a
    Gmail scope), and its /token and consent endpoints are that server's too."""

    def __init__(self, oauth: GoogleOAuth, address: str = "me@example.com", **kw: Any) -> None:
        super().__init__(address, **kw)
        self.oauth = oauth
        oauth.ensure_grant(address, [SCOPE_METADATA])

    def _authorized(self, headers: dict[str, str]) -> bool:
        from tests.fakes.google_oauth import AuthFailure

        auth = headers.get("authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        try:
            self.oauth.check(bearer, GMAIL_SCOPES)
        except AuthFailure:
            return False
        return True

    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        served = self.oauth.handle(method, parts.path, parts.query, headers, body)
        if served is not None:
            return served
        return super().handle(method, url, headers, body)
