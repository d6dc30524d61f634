"""docs/config.md, generated from the config's pydantic models (so it lists every key, with
its type and default) and the descriptions below. Regenerate after adding a key or a source:

    .venv/bin/python -m cli.configdoc > docs/config.md

tests/test_config_doc.py fails while docs/config.md differs from what this prints."""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from connectors.registry import sources
from models.config import (
    CadenceConfig,
    DigestConfig,
    EmailDelivery,
    MeConfig,
    ReportConfig,
    RulesConfig,
    SlackDelivery,
    StoreConfig,
    SyncConfig,
)

SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("store", StoreConfig, "Where keepwarm keeps what it learned."),
    ("me", MeConfig, "Who you are: your addresses never become people and decide direction."),
    ("cadence", CadenceConfig, "How often you want to be in touch, by tier."),
    ("rules", RulesConfig, "What counts as contact (README 'What counts as contact')."),
    ("report", ReportConfig, "The morning report and its schedule."),
    ("report.email", EmailDelivery, 'Email delivery (`deliver = ["email"]`).'),
    ("report.slack", SlackDelivery, 'Slack delivery (`deliver = ["slack"]`).'),
    ("digest", DigestConfig, "The digest's judgment: who is worth acting on today."),
    ("sync", SyncConfig, "Limits on one account's sync."),
]

DESCRIPTIONS: dict[str, str] = {
    "store.url": "`sqlite:///PATH` (file created 0600, directory 0700) or "
    "`postgresql+psycopg://USER@HOST:PORT/DB` (needs `pip install 'keepwarm[postgres]'`).",
    "me.emails": "Your addresses and aliases (Gmail adds the aliases its API reports).",
    "me.phones": "Your phone numbers, so they never become people.",
    "me.default_region": "Two-letter region for phone numbers written without a country code.",
    "cadence.tiers": "Days between contacts per tier; a tier comes from vCard CATEGORIES or "
    "Google contact groups of the same name, or `keepwarm people set --tier`.",
    "cadence.default_days": "Cadence of people with no tier, override or inferred rhythm.",
    "rules.max_email_group": "Mail you sent to more recipients than this is not contact.",
    "rules.max_meeting_size": "Meetings with more attendees (not counting you and rooms) are "
    "not contact.",
    "rules.store_subjects": "Keep subject lines in the store (off: metadata only).",
    "report.deliver": "Channels the nightly job delivers to: `email`, `slack`.",
    "report.limit": "Rows of the table kept with a delivered report (the email and Slack "
    "carry the digest: `[digest] budget` people).",
    "report.timezone": "IANA time zone of `--as-of` days, the digest's dates and the nightly cron.",
    "report.nightly_cron": "When `keepwarm serve` and the `nightly` deployment run (five-field "
    "cron, in `timezone`).",
    "report.delivery_attempts": "Tries per channel before a delivery fails.",
    "report.delivery_backoff_seconds": "First wait between delivery tries (doubles each time).",
    "report.email.to": "Recipient address, or a list of them.",
    "report.email.sender": "From address (default: the first of `[me] emails`).",
    "report.email.smtp_host": "SMTP server.",
    "report.email.smtp_port": "SMTP port (587 with STARTTLS, 465 with `ssl`).",
    "report.email.starttls": "Upgrade the connection with STARTTLS.",
    "report.email.ssl": "Connect with TLS from the start (port 465).",
    "report.email.username_env": "Environment variable holding the SMTP user name.",
    "report.email.password_env": "Environment variable holding the SMTP password.",
    "report.email.password_block": "Or: a Prefect Secret block holding the password.",
    "report.email.via": "`smtp`, or `gmail` to send through a Gmail account's API.",
    "report.email.gmail_account": 'With `via = "gmail"`: the gmail account to send from '
    "(authorize it with `keepwarm auth gmail NAME --send`).",
    "report.slack.webhook_url_env": "Environment variable holding an incoming-webhook URL.",
    "report.slack.webhook_url_block": "Or: a Prefect Secret block holding the webhook URL.",
    "report.slack.bot_token_env": "Environment variable holding a bot token (with `channel`).",
    "report.slack.channel": "Channel to post to with the bot token.",
    "report.slack.api_url": "Slack Web API base URL (overridable for tests and proxies).",
    "report.slack.hide_addresses": "Leave email addresses out of Slack messages.",
    "digest.budget": "Most people named in one digest.",
    "digest.repeat_after_days": "Someone delivered is not named again for this many days "
    "(except a reply you owe).",
    "digest.dormant_after_days": "Silent longer than this (and 4× the cadence) is dormant.",
    "digest.reply_after_days": "A personal mail to you is a reply owed after this many days…",
    "digest.reply_within_days": "…and until this many days.",
    "digest.new_after_days": "A first contact this many days ago is worth a follow-up…",
    "digest.new_within_days": "…until this many days.",
    "digest.planned_within_days": "A meeting planned within this many days keeps someone out "
    "of the digest.",
    "digest.established_contact_days": "Contact days in two years that make a tie established.",
    "digest.reconnect_contact_days": "Contact days within 12 months that make a past tie strong.",
    "digest.fading_after_rhythms": (
        "Off unless set (e.g. 3). Names a warm tie silent for more than this many times its "
        "own rhythm this year (median gap between contact days, with 6+ contact days), "
        "before the cadence is crossed."
    ),
    "digest.birthday_within_days": (
        "Off unless set. Birthdays (vCard BDAY, Google Contacts) this many days ahead are "
        "named, for people you are in touch with (0 = on the day); warm people included."
    ),
    "sync.deadline_minutes": "An account's sync that runs longer fails (at a batch boundary; "
    "stored batches are kept; other accounts go on).",
    "sync.stall_minutes": "An account whose source delivers no batch for this long fails.",
    # every [[accounts]] entry
    "name": "Unique name of the account (letters, digits, `.`, `_`, `-`); keys its sync state.",
    "kind": "Which source reads it.",
    "path": "The export: a file or a folder of them (`~` and `$VARS` expanded).",
    "lookback_days": "How far back a full read goes.",
    "lookahead_days": "How far ahead planned meetings are read.",
    "address": "The mailbox address.",
    "api_endpoint": "API base URL (overridable for proxies and tests).",
    "token_file": "Where `keepwarm auth` stores the token (0600); default "
    "`~/.config/keepwarm/tokens/NAME.json`.",
    "client_secrets_file": 'Your Google OAuth client JSON (a "Desktop app" client).',
    "scope": "`metadata` (headers only, never bodies) or `readonly`.",
    "quota": '`{ units_per_second = 100, costs = "2026" }` or `costs = "legacy"` with 250.',
    "authority": "Microsoft login authority (tenant or `common`).",
    "graph_endpoint": "Microsoft Graph base URL (national clouds, tests).",
    "client_id": "Application (client) ID of your Entra app registration (required).",
    "mode": "`delegated` (your calendar, device-code login) or `app` (an organisation's "
    "calendars, client credentials).",
    "token_cache": "msal token cache file (0600); default "
    "`~/.config/keepwarm/tokens/NAME.msal.json`.",
    "tenant_id": "App mode: the directory (tenant) ID.",
    "client_secret_env": "App mode: environment variable holding the client secret.",
    "client_secret_block": "App mode: or a Prefect Secret block holding it.",
    "users": "App mode: the mailboxes whose calendars to read.",
    "include_mail": "Also read Sent Items / Inbox headers (Mail.ReadBasic).",
    "calendars": "Calendars to read: ids, names as your calendar list shows them, `primary` "
    "(yours) or `*` (all you own and can see).",
    "accounts.gcal.page_size": "Events per `events.list` page (Google allows up to 2,500).",
    "accounts.gcontacts.page_size": "Contacts per `people.connections.list` page (up to 1,000).",
}

ENV_VARS = [
    ("KEEPWARM_CONFIG", "The config file (else `$XDG_CONFIG_HOME/keepwarm/config.toml`)."),
    (
        "KEEPWARM_SMTP_USER / KEEPWARM_SMTP_PASSWORD",
        "SMTP login (names set by `[report.email] username_env / password_env`).",
    ),
    ("KEEPWARM_SLACK_WEBHOOK", "Slack incoming-webhook URL (`[report.slack] webhook_url_env`)."),
    ("KEEPWARM_SLACK_BOT_TOKEN", "Slack bot token (`[report.slack] bot_token_env`)."),
    ("KEEPWARM_GRAPH_SECRET", "Outlook app-mode client secret (`client_secret_env`)."),
    (
        "PREFECT_API_URL",
        "A Prefect server: `sync` then runs as a recorded flow run; workers "
        "and `prefect deploy` need it.",
    ),
]


def _default(field: Any) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, str):
        if value.startswith("sqlite:///"):
            return "`sqlite:///~/.local/share/keepwarm/keepwarm.db`"
        return f'`"{value}"`' if value else '`""`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {v}" for k, v in value.items())
        return f"`{{ {inner} }}`"
    return f"`{value}`"


def _type(field: Any) -> str:
    text = str(field.annotation).replace("typing.", "").replace("<class '", "")
    text = text.replace("'>", "").replace("connectors.gmail.settings.", "")
    return text.replace("|", "\\|")


def _table(model: type[BaseModel], prefix: str, skip: tuple[str, ...] = ()) -> list[str]:
    rows = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        meaning = DESCRIPTIONS.get(f"{prefix}{name}") or DESCRIPTIONS.get(name, "")
        rows.append(f"| `{name}` | {_type(field)} | {_default(field)} | {meaning} |")
    return rows


def render() -> str:
    lines = [
        "# keepwarm configuration reference",
        "",
        "Generated from the config's models by `python -m cli.configdoc` (a test keeps it in",
        "step). The config is TOML, at `$KEEPWARM_CONFIG`, else",
        "`$XDG_CONFIG_HOME/keepwarm/config.toml` (every command also takes `--config PATH`).",
        "`keepwarm init` writes a commented one; `keepwarm doctor` checks it. Unknown keys are",
        "errors; every mistake is reported with the file and the key. Secrets never go in the",
        "file: they come from environment variables (or Prefect Secret blocks).",
        "",
    ]
    for name, model, about in SECTIONS:
        nested = {"email", "slack"} if name == "report" else set()
        lines += [f"## `[{name}]`", "", about, ""]
        lines += _table(model, f"{name}.", tuple(nested))
        lines.append("")
    lines += [
        "## `[[accounts]]`",
        "",
        "One entry per account; `kind` picks the source, and each source takes the keys below.",
        "",
    ]
    for source in sources():
        lines += [f'### `kind = "{source.kind}"`', ""]
        lines += _table(source.settings, f"accounts.{source.kind}.")
        lines.append("")
    lines += ["## Environment variables", "", "| variable | meaning |", "| --- | --- |"]
    lines += [f"| `{var}` | {meaning} |" for var, meaning in ENV_VARS]
    return "\n".join(lines) + "\n"


def undocumented() -> list[str]:
    """Keys with no description (a new key or source needs one in DESCRIPTIONS)."""
    missing = []
    for name, model, _ in SECTIONS:
        for key in model.model_fields:
            if name == "report" and key in ("email", "slack"):
                continue
            if f"{name}.{key}" not in DESCRIPTIONS:
                missing.append(f"{name}.{key}")
    for source in sources():
        for key in source.settings.model_fields:
            if key not in DESCRIPTIONS and f"accounts.{source.kind}.{key}" not in DESCRIPTIONS:
                missing.append(f"accounts.{source.kind}.{key}")
    return missing


if __name__ == "__main__":
    sys.stdout.write(render())
