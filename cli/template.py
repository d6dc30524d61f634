"""The config `keepwarm init` writes: valid TOML as it is, and every commented-out block is
valid too once uncommented (lines starting `#` directly followed by a key or table are code;
`# ` starts prose). tests/test_init_doctor.py uncomments each block and validates it."""

from __future__ import annotations

TEMPLATE = """\
# keepwarm config. Every key, its default and meaning: docs/config.md in the keepwarm repo.
# Uncomment a block by removing the single '#' in front of each of its lines.
# Check it with `keepwarm doctor`.

[store]
# SQLite (created 0600) or PostgreSQL: url = "postgresql+psycopg://user@host:5432/keepwarm"
url = "{store_url}"

[me]
# Your own addresses: they never become people, and they decide who wrote to whom.
emails = [{emails}]
# For phone numbers written without a country code (a two-letter region: US, GB, DE, …).
default_region = "{region}"

# ---- Accounts: uncomment one block per source (names must be unique) ----------------

# An address book export: a .vcf file or a folder of them (tiers from CATEGORIES).
#[[accounts]]
#name = "phone"
#kind = "vcard"
#path = "~/Contacts/export.vcf"

# A mail export: Google Takeout's mbox, any mbox, or a folder of .eml files.
#[[accounts]]
#name = "takeout"
#kind = "mbox"
#path = "~/Takeout/Mail/All mail Including Spam and Trash.mbox"

# A calendar export (.ics) from Google, Outlook or Thunderbird.
#[[accounts]]
#name = "calendar"
#kind = "ics"
#path = "~/Downloads/calendar.ics"

# Gmail through the API (metadata only). Then: keepwarm auth gmail personal
#[[accounts]]
#name = "personal"
#kind = "gmail"
#address = "me@example.com"
#client_secrets_file = "~/.config/keepwarm/google-client.json"
#token_file = "~/.config/keepwarm/tokens/personal.json"
#scope = "metadata"

# Outlook / Microsoft 365, your own calendar (device-code login). Then: keepwarm auth outlook work
#[[accounts]]
#name = "work"
#kind = "outlook"
#client_id = "00000000-0000-0000-0000-000000000000"
#mode = "delegated"

# Outlook, an organisation's calendars with one app token (client credentials).
# The secret comes from the environment variable named by client_secret_env.
#[[accounts]]
#name = "firm"
#kind = "outlook"
#mode = "app"
#client_id = "00000000-0000-0000-0000-000000000000"
#tenant_id = "00000000-0000-0000-0000-000000000000"
#client_secret_env = "KEEPWARM_GRAPH_SECRET"
#users = ["ada@firm.example", "bo@firm.example"]
#include_mail = false

# ---- How often to talk to whom ------------------------------------------------------

[cadence]
# Days between contacts, by tier (a vCard CATEGORIES value, or `keepwarm people set --tier`).
tiers = {{ inner = 14, close = 30, friends = 90, network = 180 }}
default_days = 180

# ---- The morning report --------------------------------------------------------------

[report]
timezone = "{timezone}"
# When `keepwarm serve` (or a deployment) runs the nightly job: cron, in the time zone above.
nightly_cron = "0 6 * * *"
limit = 10
# deliver = ["email"]

# Email delivery over SMTP; the user name and password come from these environment variables.
#[report.email]
#to = "me@example.com"
#smtp_host = "smtp.example.com"
#smtp_port = 587
#starttls = true
#username_env = "KEEPWARM_SMTP_USER"
#password_env = "KEEPWARM_SMTP_PASSWORD"

# Slack delivery through an incoming webhook, read from this environment variable.
#[report.slack]
#webhook_url_env = "KEEPWARM_SLACK_WEBHOOK"

# ---- Syncs ---------------------------------------------------------------------------

[sync]
# An account's sync fails (others go on) past this many minutes, or when its source
# delivers nothing for stall_minutes.
deadline_minutes = 120
stall_minutes = 15
"""


def render(*, store_url: str, emails: list[str], region: str = "US", timezone: str = "UTC") -> str:
    quoted = ", ".join(f'"{e}"' for e in emails)
    return TEMPLATE.format(store_url=store_url, emails=quoted, region=region, timezone=timezone)


def blocks(text: str) -> list[str]:
    """The commented-out code blocks of a template, uncommented (for tests and docs)."""
    found: list[str] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("#") and not line.startswith("# ") and line != "#":
            current.append(line[1:])
        elif current:
            found.append("\n".join(current) + "\n")
            current = []
    return found
