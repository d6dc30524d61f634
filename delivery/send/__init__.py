"""Deliver the digest exactly once per (report day, channel, recipient).

Each send is reserved in the ledger first, retried with backoff while the failure is
transient, and recorded as sent or failed. Any recipient still failing at the end raises
DeliveryError naming the channel, the recipient and the fix — the report itself stays
available with `keepwarm report`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from connectors.retry import Verdict
from delivery.send import email, ledger, slack
from delivery.send.credentials import DeliveryConfigError
from delivery.send.retry import GaveUp, SendError, with_retries
from models.config import Config
from models.report import Report
from models.store import Store

log = logging.getLogger(__name__)
CHANNELS = ("email", "slack")
Status = Literal["sent", "already_sent", "uncertain", "failed"]


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    channel: str
    recipient: str
    status: Status
    attempts: int = 0
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class DeliveryError(Exception):
    """At least one recipient did not get the digest after all retries."""

    def __init__(self, failures: list[DeliveryOutcome], outcomes: list[DeliveryOutcome]) -> None:
        super().__init__("\n".join(f.detail for f in failures))
        self.failures = failures
        self.outcomes = outcomes

    @property
    def config_only(self) -> bool:
        """Nothing was sent or tried: every failure is a setting missing from the config
        (a config mistake, exit 2), not a send that failed after its retries."""
        return all(f.attempts == 0 for f in self.failures)


def _jobs(channel: str, report: Report, config: Config) -> list[tuple[str, Callable[[], None]]]:
    if channel == "email":
        return email.jobs(report, config)
    if channel == "slack":
        return slack.jobs(report, config)
    raise DeliveryConfigError(f"unknown delivery channel {channel!r}; use one of {CHANNELS}")


def _fix(channel: str, config: Config) -> str:
    if channel == "email":
        return email.fix_hint(config.report.email)
    return slack.fix_hint(config.report.slack)


def _send_one(
    channel: str,
    recipient: str,
    send: Callable[[], None],
    report: Report,
    config: Config,
    store: Store,
    force: bool,
    sleep: Callable[[float], None] | None,
    resend_uncertain: bool = False,
) -> DeliveryOutcome:
    day = report.as_of
    claim = ledger.reserve(
        store, day, channel, recipient, force=force, resend_uncertain=resend_uncertain
    )
    if claim.state == "already_sent":
        return DeliveryOutcome(
            channel,
            recipient,
            "already_sent",
            0,
            f"the {day} digest already went to {recipient} by {channel} ({_when(claim.since)}); "
            "use --force to send it again",
        )
    if claim.state == "in_flight":
        detail = (
            f"a {channel} delivery of the {day} digest to {recipient} started "
            f"{_when(claim.since)} and never confirmed (a crashed or concurrent run): it may or "
            "may not have arrived. Not resending; check, then resend to the uncertain "
            f"recipients only: `keepwarm report --deliver {channel} --resend-uncertain` "
            "(--force resends to everyone)"
        )
        log.warning("%s", detail)
        return DeliveryOutcome(channel, recipient, "uncertain", 0, detail)
    options: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
    try:
        attempts = with_retries(
            send,
            attempts=config.report.delivery_attempts,
            backoff_seconds=config.report.delivery_backoff_seconds,
            **options,
        )
    except GaveUp as exc:
        if exc.verdict is Verdict.UNCERTAIN:
            ledger.finish(store, claim.row_id, "uncertain", exc.attempts, exc.cause)
            detail = (
                f"{channel} delivery of the {day} digest to {recipient} is uncertain: "
                f"{exc.cause} — it may or may not have arrived. Check, then resend to the "
                f"uncertain recipients only: `keepwarm report --deliver {channel} "
                "--resend-uncertain`"
            )
            log.warning("%s", detail)
            return DeliveryOutcome(channel, recipient, "uncertain", exc.attempts, detail)
        ledger.finish(store, claim.row_id, "failed", exc.attempts, exc.cause)
        plural = "attempt" if exc.attempts == 1 else "attempts"
        return DeliveryOutcome(
            channel,
            recipient,
            "failed",
            exc.attempts,
            f"{channel} delivery of the {day} digest to {recipient} failed after "
            f"{exc.attempts} {plural}: {exc.cause}. Fix: {_fix(channel, config)}; then rerun "
            f"`keepwarm report --deliver {channel}` (the report is still available with "
            "`keepwarm report`)",
        )
    ledger.finish(store, claim.row_id, "sent", attempts)
    return DeliveryOutcome(channel, recipient, "sent", attempts)


def _when(moment: datetime | None) -> str:
    return f"at {moment:%Y-%m-%d %H:%M} UTC" if moment else "earlier"


def deliver(
    report: Report,
    config: Config,
    store: Store,
    channels: list[str],
    *,
    force: bool = False,
    sleep: Callable[[float], None] | None = None,
    resend_uncertain: bool = False,
) -> list[DeliveryOutcome]:
    """Send the digest on each channel; raises DeliveryError if anyone still failed.

    `resend_uncertain` resends to the recipients whose delivery is uncertain (a run died
    mid-send, or the connection dropped after the message went out) and to nobody else."""
    outcomes: list[DeliveryOutcome] = []
    for channel in dict.fromkeys(channels):
        try:
            jobs = _jobs(channel, report, config)
        except DeliveryConfigError as exc:
            outcomes.append(
                DeliveryOutcome(
                    channel,
                    "-",
                    "failed",
                    0,
                    f"{channel} delivery: {exc} (the report is still available: keepwarm report)",
                )
            )
            continue
        for recipient, send in jobs:
            outcomes.append(
                _send_one(
                    channel, recipient, send, report, config, store, force, sleep, resend_uncertain
                )
            )
    if any(o.status in ("sent", "already_sent") for o in outcomes):
        # Who this digest named: the next days' digests rotate past them.
        store.record_digest(report.as_of, [(item.id, item.kind) for item in report.digest.items])
    uncertain = [o for o in outcomes if o.status == "uncertain"]
    if uncertain:
        who = ", ".join(f"{o.channel} → {o.recipient}" for o in uncertain)
        log.warning(
            "uncertain deliveries (may or may not have arrived): %s; resend to these only with "
            "`keepwarm report --deliver CHANNEL --resend-uncertain`",
            who,
        )
    failures = [o for o in outcomes if o.status == "failed"]
    if failures:
        raise DeliveryError(failures, outcomes)
    return outcomes


__all__ = [
    "CHANNELS",
    "DeliveryConfigError",
    "DeliveryError",
    "DeliveryOutcome",
    "SendError",
    "deliver",
]
