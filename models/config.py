"""The config file (`config.toml`), validated with errors that say what to fix."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.identity import normalize_email
from models.paths import config_home, default_store_url, expand


class ConfigError(Exception):
    """Bad or missing configuration: exit status 2, message names the file and the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreConfig(_Strict):
    url: str = Field(default_factory=default_store_url)

    @field_validator("url")
    @classmethod
    def _expand_sqlite_home(cls, url: str) -> str:
        prefix = "sqlite:///"
        if url.startswith(prefix) and url[len(prefix) :].startswith("~"):
            return prefix + str(expand(url[len(prefix) :]))
        return url


class MeConfig(_Strict):
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    default_region: str = "US"

    @field_validator("emails")
    @classmethod
    def _normalize(cls, emails: list[str]) -> list[str]:
        out: list[str] = []
        for raw in emails:
            value = normalize_email(raw)
            if value is None:
                raise ValueError(f"{raw!r} is not an email address")
            out.append(value)
        return out


class _Account(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")


class FileAccount(_Account):
    path: str

    def resolved_path(self) -> Path:
        return expand(self.path)


class VcardAccount(FileAccount):
    kind: Literal["vcard"]


class MboxAccount(FileAccount):
    kind: Literal["mbox"]


class IcsAccount(FileAccount):
    kind: Literal["ics"]
    lookback_days: int = 5 * 365
    lookahead_days: int = 90


class GmailQuota(_Strict):
    units_per_second: float = 100.0
    costs: Literal["2026", "legacy"] = "2026"


class GmailAccount(_Account):
    kind: Literal["gmail"]
    address: str
    api_endpoint: str = "https://gmail.googleapis.com"
    token_file: str = ""
    client_secrets_file: str = ""
    scope: Literal["metadata", "readonly"] = "metadata"
    quota: GmailQuota = GmailQuota()
    lookback_days: int = 10 * 365

    def token_path(self) -> Path:
        if self.token_file:
            return expand(self.token_file)
        return config_home() / "keepwarm" / "tokens" / f"{self.name}.json"


class OutlookAccount(_Account):
    kind: Literal["outlook"]
    authority: str = "https://login.microsoftonline.com/common"
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    client_id: str = ""
    mode: Literal["delegated", "app"] = "delegated"
    token_cache: str = ""
    tenant_id: str = ""
    client_secret_env: str = "KEEPWARM_GRAPH_SECRET"
    client_secret_block: str = ""
    users: list[str] = Field(default_factory=list)
    lookback_days: int = 5 * 365
    lookahead_days: int = 90
    include_mail: bool = False

    def token_cache_path(self) -> Path:
        if self.token_cache:
            return expand(self.token_cache)
        return config_home() / "keepwarm" / "tokens" / f"{self.name}.msal.json"


Account = Annotated[
    VcardAccount | MboxAccount | IcsAccount | GmailAccount | OutlookAccount,
    Field(discriminator="kind"),
]


class CadenceConfig(_Strict):
    tiers: dict[str, int] = Field(
        default_factory=lambda: {"inner": 14, "close": 30, "friends": 90, "network": 180}
    )
    default_days: int = Field(default=180, gt=0)


class RulesConfig(_Strict):
    """Thresholds of DESIGN.md's "What counts as contact"."""

    max_email_group: int = Field(default=10, gt=0)
    max_meeting_size: int = Field(default=8, gt=0)
    store_subjects: bool = False


class EmailDelivery(_Strict):
    to: str | list[str] = ""
    sender: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 587
    starttls: bool = True
    ssl: bool = False
    username_env: str = "KEEPWARM_SMTP_USER"
    password_env: str = "KEEPWARM_SMTP_PASSWORD"
    password_block: str = ""
    via: Literal["smtp", "gmail"] = "smtp"
    gmail_account: str = ""

    def recipients(self) -> list[str]:
        return [self.to] if isinstance(self.to, str) else list(self.to)


class SlackDelivery(_Strict):
    webhook_url_env: str = "KEEPWARM_SLACK_WEBHOOK"
    webhook_url_block: str = ""
    bot_token_env: str = "KEEPWARM_SLACK_BOT_TOKEN"
    channel: str = ""
    api_url: str = "https://slack.com/api/"
    hide_addresses: bool = False


class ReportConfig(_Strict):
    deliver: list[Literal["email", "slack"]] = Field(default_factory=list)
    email: EmailDelivery = EmailDelivery()
    slack: SlackDelivery = SlackDelivery()
    limit: int = Field(default=10, gt=0)
    timezone: str = "UTC"
    nightly_cron: str = "0 6 * * *"
    delivery_attempts: int = Field(default=3, gt=0)
    delivery_backoff_seconds: float = 2.0


class Config(_Strict):
    store: StoreConfig = StoreConfig()
    me: MeConfig = MeConfig()
    accounts: list[Account] = Field(default_factory=list)
    cadence: CadenceConfig = CadenceConfig()
    rules: RulesConfig = RulesConfig()
    report: ReportConfig = ReportConfig()
    source_path: str = ""

    @field_validator("accounts")
    @classmethod
    def _unique_names(cls, accounts: list[Any]) -> list[Any]:
        names = [a.name for a in accounts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"account names must be unique; repeated: {', '.join(dupes)}")
        return accounts

    def account(self, name: str) -> Any:
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none"
        raise ConfigError(
            f"{self.source_path or 'config'}: no account named {name!r} (known: {known}); "
            "add an [[accounts]] entry with that name"
        )


def default_config_path() -> Path:
    env = os.environ.get("KEEPWARM_CONFIG")
    if env:
        return expand(env)
    return config_home() / "keepwarm" / "config.toml"


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate; every failure is a ConfigError naming the file and the key."""
    config_path = expand(str(path)) if path else default_config_path()
    if not config_path.exists():
        raise ConfigError(
            f"{config_path}: config file not found; create it (see README 'Connect your "
            "accounts') or pass --config PATH"
        )
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    return config_from_dict(data, str(config_path))


def config_from_dict(data: dict[str, Any], source: str = "config") -> Config:
    try:
        return Config.model_validate({**data, "source_path": source})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"  {where}: {err['msg']}")
        raise ConfigError(f"{source}: invalid config:\n" + "\n".join(problems)) from exc
