"""The digest by email: one multipart/alternative message (plain text + HTML) per recipient,
sent over SMTP (STARTTLS or implicit TLS) or through the Gmail API (`users.messages.send`)."""

from __future__ import annotations

import base64
import hashlib
import os
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate

from connectors.retry import Verdict
from delivery.render import html_format, plain_digest
from delivery.send.credentials import DeliveryConfigError, from_env_or_block
from delivery.send.retry import SendError
from models.config import Config, ConfigError, EmailDelivery
from models.report import Report

TIMEOUT_SECONDS = 30.0
Send = Callable[[], None]


def message_id(report: Report, sender: str, recipient: str) -> str:
    """One Message-ID per (report day, recipient): a resend of an uncertain delivery is the
    same message, which mailboxes that deduplicate by Message-ID (Gmail does) keep once."""
    domain = sender.rpartition("@")[2] or "keepwarm.invalid"
    digest = hashlib.sha256(f"{report.as_of}\0{recipient.lower()}".encode()).hexdigest()[:20]
    return f"<keepwarm.{report.as_of:%Y%m%d}.{digest}@{domain}>"


def build_message(report: Report, sender: str, recipient: str, timezone: str) -> EmailMessage:
    """Text part first, HTML second: clients show the last part they can render."""
    msg = EmailMessage()
    msg["Subject"] = plain_digest.subject(report, timezone)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(report, sender, recipient)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Keepwarm-Report-Date"] = report.as_of.isoformat()
    msg.set_content(plain_digest.render(report, timezone=timezone))
    msg.add_alternative(html_format.render(report, timezone=timezone), subtype="html")
    return msg


def _sender(settings: EmailDelivery, config: Config) -> str:
    sender = settings.sender or (config.me.emails[0] if config.me.emails else "")
    if not sender:
        raise DeliveryConfigError(
            f"{config.source_path or 'config'}: no sender for the email digest; set "
            '[report.email] sender = "you@example.com" (or list your address in [me] emails)'
        )
    return sender


def recipients(config: Config) -> list[str]:
    found = [r.strip() for r in config.report.email.recipients() if r.strip()]
    if not found:
        raise DeliveryConfigError(
            f"{config.source_path or 'config'}: nobody to email the digest to; set "
            '[report.email] to = "you@example.com"'
        )
    return found


def gmail_send_auth(account: str) -> str:
    """Sending needs gmail.send: plain `keepwarm auth gmail` would grant only reading."""
    return f"`keepwarm auth gmail {account} --send`"


def _for_sending(exc: Exception, account: str) -> str:
    """The connector's message, with its re-auth command swapped for the one that can send."""
    from connectors.gmail.client import reauth_hint

    return str(exc).replace(reauth_hint(account), f"run {gmail_send_auth(account)}")


def fix_hint(settings: EmailDelivery) -> str:
    if settings.via == "gmail":
        return (
            f"check that Gmail account {settings.gmail_account!r} is authorized with the "
            f"gmail.send scope ({gmail_send_auth(settings.gmail_account)})"
        )
    return (
        f"check [report.email] smtp_host/smtp_port ({settings.smtp_host}:{settings.smtp_port}), "
        f"starttls/ssl, and the credentials in ${settings.username_env} / "
        f"{settings.password_block or '$' + settings.password_env}"
    )


def _classify(exc: Exception, where: str, *, sending: bool = False) -> SendError:
    """SMTP 4xx and a refused connection may pass later; 5xx, auth and TLS failures will not.
    A connection that drops or times out while the message is being handed over (`sending`)
    may have delivered it: uncertain, never resent blindly."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendError(f"{where}: login refused ({exc.smtp_code})", transient=False)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendError(f"{where}: {exc} (server lacks STARTTLS/AUTH?)", transient=False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return SendError(
            f"{where}: recipient refused {codes}", transient=all(400 <= c < 500 for c in codes)
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return SendError(
            f"{where}: SMTP {exc.smtp_code} {text}".strip(),
            transient=400 <= exc.smtp_code < 500,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SendError(f"{where}: TLS certificate rejected: {exc}", transient=False)
    if sending:
        return SendError(
            f"{where}: {type(exc).__name__} while handing the message over: {exc}",
            verdict=Verdict.UNCERTAIN,
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError | socket.timeout):
        return SendError(f"{where}: {type(exc).__name__}: {exc}", transient=True)
    return SendError(f"{where}: {type(exc).__name__}: {exc}", verdict=Verdict.UNCERTAIN)


def smtp_sender(settings: EmailDelivery) -> Callable[[EmailMessage], None]:
    """Resolve credentials now (a config error fails before anything is reserved)."""
    user = os.environ.get(settings.username_env, "") if settings.username_env else ""
    password = from_env_or_block(
        settings.password_env, settings.password_block, "SMTP password", "report.email"
    )
    if user and not password:
        raise DeliveryConfigError(
            f"SMTP user is set in ${settings.username_env} but no password: set "
            f"${settings.password_env} or [report.email] password_block"
        )
    where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"

    def send(msg: EmailMessage) -> None:
        context = ssl.create_default_context()
        sending = False
        try:
            client: smtplib.SMTP
            if settings.ssl:
                client = smtplib.SMTP_SSL(
                    settings.smtp_host,
                    settings.smtp_port,
                    timeout=TIMEOUT_SECONDS,
                    context=context,
                )
            else:
                client = smtplib.SMTP(
                    settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS
                )
            with client:
                client.ehlo()
                if settings.starttls and not settings.ssl:
                    client.starttls(context=context)
                    client.ehlo()
                if user and password:
                    client.login(user, password)
                sending = True
                refused = client.send_message(msg)
                sending = False
        except Exception as exc:
            raise _classify(exc, where, sending=sending) from exc
        if refused:
            raise SendError(f"{where}: recipient refused {refused}", transient=False)

    return send


def gmail_sender(settings: EmailDelivery, config: Config) -> Callable[[EmailMessage], None]:
    """users.messages.send through connectors.gmail's client (needs the gmail.send scope)."""
    if not settings.gmail_account:
        raise DeliveryConfigError(
            'via = "gmail" needs [report.email] gmail_account = "<name of a gmail account>"'
        )
    try:
        account = config.account(settings.gmail_account)
    except ConfigError as exc:  # a typo here must not stop the other channels
        raise DeliveryConfigError(f"[report.email] gmail_account: {exc}") from exc
    from connectors.gmail.settings import GmailAccount

    if not isinstance(account, GmailAccount):
        raise DeliveryConfigError(
            f"[report.email] gmail_account {settings.gmail_account!r} is not a gmail account"
        )
    from connectors.errors import AuthError, ConnectorError, RetriableError, UncertainError
    from connectors.gmail.client import GmailClient
    from connectors.retry import ONCE

    try:
        client = GmailClient(account)
    except ConnectorError as exc:
        raise DeliveryConfigError(_for_sending(exc, account.name)) from exc

    def send(msg: EmailMessage) -> None:
        raw = base64.urlsafe_b64encode(msg.as_bytes()).decode("ascii")
        request = client.users.messages().send(userId="me", body={"raw": raw})
        try:
            # One attempt: this send's retries are delivery's (delivery.send.retry).
            client.call("messages.send", request, policy=ONCE)
        except AuthError as exc:
            raise SendError(
                f"Gmail API: {_for_sending(exc, account.name)}", transient=False
            ) from exc
        except UncertainError as exc:
            raise SendError(f"Gmail API: {exc}", verdict=Verdict.UNCERTAIN) from exc
        except RetriableError as exc:
            raise SendError(f"Gmail API: {exc}", transient=True) from exc
        except ConnectorError as exc:
            raise SendError(f"Gmail API: {exc}", transient=False) from exc
        except Exception as exc:
            raise SendError(
                f"Gmail API: {type(exc).__name__}: {exc}", verdict=Verdict.UNCERTAIN
            ) from exc

    return send


def jobs(report: Report, config: Config) -> list[tuple[str, Send]]:
    """(recipient, send) pairs: one email per recipient, so each has its own ledger row."""
    settings = config.report.email
    sender = _sender(settings, config)
    to = recipients(config)
    transport = gmail_sender(settings, config) if settings.via == "gmail" else smtp_sender(settings)
    timezone = config.report.timezone
    out: list[tuple[str, Send]] = []
    for recipient in to:

        def send(recipient: str = recipient) -> None:
            try:
                message = build_message(report, sender, recipient, timezone)
            except Exception as exc:  # nothing left: a bug, not a delivery that may have happened
                raise SendError(
                    f"the digest could not be built: {type(exc).__name__}: {exc}", transient=False
                ) from exc
            transport(message)

        out.append((recipient.lower(), send))
    return out
