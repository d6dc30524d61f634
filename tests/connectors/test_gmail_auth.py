"""`keepwarm auth gmail`: the installed-app flow against the fake's consent + token endpoints."""

from __future__ import annotations

import json
import stat
import threading
import urllib.request
import webbrowser
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import FatalError
from connectors.gmail.auth import run_auth
from connectors.gmail.client import load_credentials
from connectors.gmail.settings import GmailAccount
from tests.fakes.gmail_server import ME, FakeGmail


class _Browser:
    """Stands in for the user: opens the consent URL, which redirects back to the flow."""

    def open(self, url: str, *args: Any, **kwargs: Any) -> bool:
        threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read()).start()
        return True


def test_auth_writes_a_0600_token_that_refreshes_against_the_same_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeGmail() as fake:
        secrets = tmp_path / "client.json"
        secrets.write_text(json.dumps(fake.client_secrets()))
        account = GmailAccount(
            name="personal",
            kind="gmail",
            address=ME,
            api_endpoint=fake.endpoint,
            token_file=str(tmp_path / "tokens" / "personal.json"),
            client_secrets_file=str(secrets),
        )
        monkeypatch.setattr(webbrowser, "get", lambda *a, **k: _Browser())
        monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake is plain-http loopback
        path = run_auth(account, send=True)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        saved = json.loads(path.read_text())
        assert saved["token_uri"] == fake.token_uri
        assert "https://www.googleapis.com/auth/gmail.send" in saved["scopes"]
        creds = load_credentials(account)
        assert creds.token_uri == fake.token_uri  # not replaced by Google's


def test_missing_client_secrets_names_the_fix(tmp_path: Path) -> None:
    account = GmailAccount(name="p", kind="gmail", address=ME, token_file=str(tmp_path / "t"))
    with pytest.raises(FatalError, match="client_secrets_file"):
        run_auth(account)
