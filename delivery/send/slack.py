"""The digest to Slack: an incoming webhook (WebhookClient) or a bot token + channel
(chat.postMessage), one or more Block Kit messages per digest.

Unlike prefect-slack's webhook task, a non-2xx answer (a revoked webhook's 404 included)
is a failure here. A 429 is a transient failure carrying its Retry-After, retried (and the
wait obeyed) by the one retry layer (delivery.send.retry); slack_sdk's own retry handlers are
off so the attempts do not multiply. If a later message of a split digest fails, a retry
resumes after the last message that went out, so nobody sees part 1 twice.

slack_sdk logs the webhook URL (a secret) and the message body at DEBUG: its loggers are held
at WARNING whatever the root logger's level (`quiet_loggers`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from connectors.retry import Verdict, header, retry_after
from delivery.render import slack_format
from delivery.send.credentials import DeliveryConfigError, from_env_or_block
from delivery.send.retry import SendError
from models.config import Config, SlackDelivery
from models.report import Report

TIMEOUT_SECONDS = 30
_TRANSIENT_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}
Send = Callable[[], None]
Post = Callable[[dict[str, Any]], None]


def _transient_status(status: int) -> bool:
    return status == 429 or status >= 500


def quiet_loggers() -> None:
    """Keep slack_sdk's DEBUG lines (webhook URL, token-bearing requests, the digest body) out
    of every log, even with the root logger at DEBUG."""
    for name in SECRET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


SECRET_LOGGERS = ("slack_sdk", "slack")
quiet_loggers()


def _unreachable(exc: Exception) -> SendError:
    """No answer: refused before anything was sent (transient), else it may have gone out."""
    refused = isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower()
    verdict = Verdict.TRANSIENT if refused else Verdict.UNCERTAIN
    return SendError(f"Slack: {type(exc).__name__}: {exc}", verdict=verdict)


def _status_error(what: str, status: int, headers: Any, detail: str, transient: bool) -> SendError:
    return SendError(
        f"{what} answered HTTP {status} {detail}".strip(),
        transient=transient,
        retry_after=retry_after(header(headers, "Retry-After")) if status == 429 else None,
    )


def webhook_post(url: str) -> Post:
    client = WebhookClient(url, timeout=TIMEOUT_SECONDS, retry_handlers=[])

    def post(message: dict[str, Any]) -> None:
        try:
            response = client.send_dict(message)
        except Exception as exc:  # connection refused / reset / timeout
            raise _unreachable(exc) from exc
        if not 200 <= response.status_code < 300:
            raise _status_error(
                "Slack webhook",
                response.status_code,
                response.headers,
                repr(response.body),
                _transient_status(response.status_code),
            )

    return post


def bot_post(token: str, channel: str, api_url: str) -> Post:
    client = WebClient(
        token=token,
        base_url=api_url if api_url.endswith("/") else api_url + "/",
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[],
    )

    def post(message: dict[str, Any]) -> None:
        try:
            client.chat_postMessage(channel=channel, text=message["text"], blocks=message["blocks"])
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            raise _status_error(
                f"chat.postMessage to {channel}",
                status,
                exc.response.headers,
                str(error or exc),
                _transient_status(status) or error in _TRANSIENT_ERRORS,
            ) from exc
        except Exception as exc:
            raise _unreachable(exc) from exc

    return post


def fix_hint(settings: SlackDelivery) -> str:
    if settings.channel:
        return (
            f"check the bot token in ${settings.bot_token_env} (scope chat:write) and that the "
            f"bot is a member of {settings.channel}"
        )
    where = (
        f"Prefect Secret block {settings.webhook_url_block!r}"
        if settings.webhook_url_block
        else f"${settings.webhook_url_env}"
    )
    return (
        f"check that {where} holds a live incoming-webhook URL (Slack answers 404 "
        "for a removed webhook; create a new one under your Slack app's Incoming Webhooks)"
    )


def _target(config: Config) -> tuple[str, Post]:
    settings = config.report.slack
    if settings.channel:
        token = from_env_or_block(settings.bot_token_env, "", "Slack bot token", "report.slack")
        if not token:
            raise DeliveryConfigError(
                f"[report.slack] channel = {settings.channel!r} needs a bot token in "
                f"${settings.bot_token_env} (scope chat:write)"
            )
        return settings.channel, bot_post(token, settings.channel, settings.api_url)
    url = from_env_or_block(
        settings.webhook_url_env, settings.webhook_url_block, "Slack webhook URL", "report.slack"
    )
    if not url:
        raise DeliveryConfigError(
            f"no Slack webhook URL: set ${settings.webhook_url_env} (or [report.slack] "
            "webhook_url_block), or set [report.slack] channel and a bot token"
        )
    # The URL is a secret: the ledger names its source and a short fingerprint instead.
    source = settings.webhook_url_block or f"${settings.webhook_url_env}"
    fingerprint = hashlib.sha256(url.encode()).hexdigest()[:10]
    return f"webhook {source} #{fingerprint}", webhook_post(url)


def jobs(report: Report, config: Config) -> list[tuple[str, Send]]:
    recipient, post = _target(config)
    messages = slack_format.messages(
        report,
        timezone=config.report.timezone,
        hide_addresses=config.report.slack.hide_addresses,
    )
    posted = [0]  # messages already delivered in this run: retries resume after them

    def send() -> None:
        while posted[0] < len(messages):
            post(messages[posted[0]])
            posted[0] += 1

    return [(recipient, send)]
