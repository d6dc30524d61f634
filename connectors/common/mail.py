"""Turning one message's headers into an Interaction — shared by mbox, Gmail and Outlook mail.

One place decides direction, participants, group size and the bulk/automated flags, so the
same message read through Takeout or through the API yields the same record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from connectors.base import Me
from models.identity import is_noreply, parse_addresses
from models.records import Direction, Interaction, Participant, Role, Skip

# Gmail labels that mean "not a personal conversation" (the Primary tab is CATEGORY_PERSONAL).
BULK_LABELS = frozenset(
    {
        "CATEGORY_PROMOTIONS",
        "CATEGORY_SOCIAL",
        "CATEGORY_UPDATES",
        "CATEGORY_FORUMS",
        "SPAM",
        "TRASH",
    }
)
# Takeout's X-Gmail-Labels spells the same labels for people.
_TAKEOUT_LABELS = {
    "category promotions": "CATEGORY_PROMOTIONS",
    "category social": "CATEGORY_SOCIAL",
    "category updates": "CATEGORY_UPDATES",
    "category forums": "CATEGORY_FORUMS",
    "category personal": "CATEGORY_PERSONAL",
    "promotions": "CATEGORY_PROMOTIONS",
    "social": "CATEGORY_SOCIAL",
    "updates": "CATEGORY_UPDATES",
    "forums": "CATEGORY_FORUMS",
    "spam": "SPAM",
    "trash": "TRASH",
    "sent": "SENT",
    "inbox": "INBOX",
    "draft": "DRAFT",
    "drafts": "DRAFT",
}
MAIL_HEADERS = (
    "From",
    "To",
    "Cc",
    "Bcc",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "Precedence",
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "Subject",
)


def takeout_labels(header: str | None) -> set[str]:
    """`X-Gmail-Labels: Sent,Category Updates,Important` → Gmail API label ids."""
    if not header:
        return set()
    labels = set()
    for raw in header.split(","):
        name = raw.strip().strip('"').lower()
        labels.add(_TAKEOUT_LABELS.get(name, name.upper()))
    return labels


# Of BULK_LABELS, those that say what the sender is (spam and trash say what you did with it).
NEWSLETTER_LABELS = BULK_LABELS - {"SPAM", "TRASH"}


def is_bulk(headers: Mapping[str, str], labels: Iterable[str] = ()) -> bool:
    """Mailing lists, newsletters and marketing: List-Id/Unsubscribe, Precedence, labels."""
    if any(label in BULK_LABELS for label in labels):
        return True
    return has_newsletter_markers(headers)


def has_newsletter_markers(headers: Mapping[str, str], labels: Iterable[str] = ()) -> bool:
    """Headers (or Gmail category tabs) that a mass mailing carries and a person's mail does
    not: how a newsletter you once replied to is told from a correspondent."""
    if any(label in NEWSLETTER_LABELS for label in labels):
        return True
    if headers.get("list-id") or headers.get("list-unsubscribe"):
        return True
    precedence = (headers.get("precedence") or "").strip().lower()
    return precedence in {"bulk", "list", "junk"}


def is_automated(headers: Mapping[str, str], sender: str | None) -> bool:
    """Machine-sent: Auto-Submitted other than "no", or a noreply-style sender."""
    auto = (headers.get("auto-submitted") or "").strip().lower()
    if auto and auto != "no":
        return True
    return bool(sender and is_noreply(sender))


def mail_interaction(
    *,
    key: str,
    source: str,
    account: str,
    headers: Mapping[str, str],
    occurred_at: datetime,
    me: Me,
    labels: Iterable[str] = (),
    thread_id: str | None = None,
    where: str = "",
) -> Interaction | Skip:
    """`headers` maps lower-case header names to their (joined) values."""
    label_set = set(labels)
    if "DRAFT" in label_set:
        return Skip(where or key, "draft, never sent")
    senders = parse_addresses(headers.get("from"))
    to = parse_addresses(headers.get("to"))
    cc = parse_addresses(headers.get("cc"))
    bcc = parse_addresses(headers.get("bcc"))
    sender = senders[0][1] if senders else None
    from_me = "SENT" in label_set or (sender is not None and sender in me.emails)
    if sender is None and not from_me:
        return Skip(where or key, "no usable From address")
    participants: list[Participant] = []
    seen: set[tuple[str, str]] = set()

    def add(entries: list[tuple[str, str]], role: Role) -> None:
        for name, address in entries:
            if address in me.emails or (address, role) in seen:
                continue
            seen.add((address, role))
            participants.append(Participant("email", address, role, name or None))

    add(senders[:1], "from")
    add(to, "to")
    add(cc, "cc")
    add(bcc, "bcc")
    direction: Direction
    if from_me:
        direction = "outbound"
        others = {p.value for p in participants if p.role != "from"}
        participants = [p for p in participants if p.role != "from"]
        group_size = len(others)
    else:
        direction = "inbound"
        others = {p.value for p in participants}
        group_size = len(others)
    addressed_to_me = any(a in me.emails for _, a in to + cc)
    to_me = not from_me and any(a in me.emails for _, a in to)
    bulk = is_bulk(headers, label_set)
    automated = not from_me and is_automated(headers, sender)
    if me.emails and not from_me and not addressed_to_me:
        # Reached you through a list, an alias you did not configure, or Bcc: not a
        # conversation with you (DESIGN.md: "you in To or Cc").
        bulk = True
    subject = headers.get("subject") if me.store_subjects else None
    return Interaction(
        key=key,
        source=source,
        account=account,
        occurred_at=occurred_at,
        channel="email",
        direction=direction,
        participants=tuple(participants),
        group_size=group_size,
        bulk=bulk,
        automated=automated,
        subject=subject,
        thread_id=thread_id,
        to_me=to_me,
        newsletter=not from_me and has_newsletter_markers(headers, label_set),
    )
