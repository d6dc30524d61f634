"""A local stand-in for Slack: an incoming webhook and chat.postMessage on 127.0.0.1.

Records every JSON body it accepts; `script` holds status codes to answer before
succeeding (404 like a removed webhook, 429 with Retry-After, 500).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class SlackState:
    posted: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, int]] = field(default_factory=list)  # (path, answered status)
    script: list[int] = field(default_factory=list)
    token: str = "xoxb-test-token"
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: SlackState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, body: bytes, ctype: str, **headers: str) -> None:
            with state.lock:
                state.requests.append((self.path, status))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                scripted = state.script.pop(0) if state.script else None
            api = self.path.startswith("/api/")
            if scripted == 429:
                self._answer(429, b"rate_limited", "text/plain", Retry_After="0")
                return
            if scripted is not None and scripted != 200:
                text = {404: b"no_service", 500: b"internal error"}.get(scripted, b"error")
                self._answer(scripted, text, "text/plain")
                return
            if api:
                self._api(raw)
            else:
                self._webhook(raw)

        def _webhook(self, raw: bytes) -> None:
            if not self.path.startswith("/services/"):
                self._answer(404, b"no_service", "text/plain")
                return
            body = json.loads(raw)
            with state.lock:
                state.posted.append(body)
            self._answer(200, b"ok", "text/plain")

        def _api(self, raw: bytes) -> None:
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                self._json({"ok": False, "error": "invalid_auth"})
                return
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("application/json"):
                body = json.loads(raw)
            else:
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                if isinstance(body.get("blocks"), str):
                    body["blocks"] = json.loads(body["blocks"])
            with state.lock:
                state.posted.append(body)
            self._json({"ok": True, "channel": body.get("channel"), "ts": "1.000"})

        def _json(self, data: dict[str, Any]) -> None:
            self._answer(200, json.dumps(data).encode(), "application/json")

    return Handler


class FakeSlack:
    def __init__(self) -> None:
        self.state = SlackState()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def webhook_url(self) -> str:
        return f"{self.base}/services/T000/B000/XXXX"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
