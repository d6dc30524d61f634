"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it accepts.

`fail_next` answers the next DATA commands with a temporary 451, like a greylisting or
overloaded relay; TLS (STARTTLS or implicit) and AUTH are switched on with trustme certs.
A refused login is answered 535, as a real server does; `logins` records each AUTH.
"""

from __future__ import annotations

import asyncio
import email
import socket
import ssl
from dataclasses import dataclass, field
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Recorder:
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    fail_next: int = 0
    attempts: int = 0
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (mechanism, accepted)
    # Seconds to sit on the reply after a message was accepted (and recorded): a client
    # that times out or is killed meanwhile cannot know that it arrived.
    delay_reply: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            return "451 4.3.0 Temporary failure, try again later"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        if self.delay_reply:
            await asyncio.sleep(self.delay_reply)
        return "250 OK"


def _free_port() -> int:
    """aiosmtpd's Controller needs a concrete port (it connects to itself to check)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeSmtp:
    """Context manager: `port` is where it listens; `recorder.messages` what arrived."""

    def __init__(
        self,
        *,
        starttls_context: ssl.SSLContext | None = None,
        implicit_tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.recorder = Recorder()
        kwargs: dict[str, Any] = {}
        if starttls_context is not None:
            kwargs.update(tls_context=starttls_context, require_starttls=True)
        if implicit_tls_context is not None:
            kwargs["ssl_context"] = implicit_tls_context
        if credentials is not None:
            user, password = credentials

            def check(
                server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
            ) -> AuthResult:
                ok = isinstance(auth_data, LoginPassword) and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                ) == (user, password)
                self.recorder.logins.append((mechanism, ok))
                # handled=False: aiosmtpd itself answers 535. Its default (handled=True) means
                # "the authenticator already replied", so a refusal got no reply at all and
                # the client sat in its read timeout.
                return AuthResult(success=ok, handled=False)

            kwargs.update(
                authenticator=check,
                auth_required=True,
                auth_require_tls=starttls_context is not None,
            )
        self.port = _free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> FakeSmtp:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def server_tls(tmp_path: Path) -> tuple[ssl.SSLContext, str]:
    """A server TLS context for 127.0.0.1 from a throwaway CA, and that CA's PEM file."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server, str(ca_file)
