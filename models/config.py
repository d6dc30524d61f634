"""The config file (`config.toml`), validated with errors that say what to fix."""

from __future__ import annotations

import os
import tomllib
from functools import cache, reduce
from operator import or_
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SerializeAsAny,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from connectors.registry import sources
from models.identity import normalize_email
from models.paths import config_home, default_store_url, expand
from models.settings import AccountSettings, Strict


class ConfigError(Exception):
    """Bad or missing configuration: exit status 2, message names the file and the fix."""


class StoreConfig(Strict):
    url: str = Field(default_factory=default_store_url)

    @field_validator("url")
    @classmethod
    def _expand_sqlite_home(cls, url: str) -> str:
        prefix = "sqlite:///"
        if url.startswith(prefix) and url[len(prefix) :].startswith("~"):
            return prefix + str(expand(url[len(prefix) :]))
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError(
                f"{url!r}: use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
            )
        return url


def valid_address(raw: str) -> str:
    """An address a person typed into the config, checked by email-validator (international
    domains and local parts welcome), without a DNS look-up."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{raw!r} is not an email address: {exc}") from None
    return raw.strip()


class MeConfig(Strict):
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    default_region: str = "US"

    @field_validator("emails")
    @classmethod
    def _normalize(cls, emails: list[str]) -> list[str]:
        out: list[str] = []
        for raw in emails:
            value = normalize_email(valid_address(raw))
            if value is None:
                raise ValueError(f"{raw!r} is not an email address")
            out.append(value)
        return out

    @field_validator("default_region")
    @classmethod
    def _region(cls, region: str) -> str:
        import phonenumbers

        if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"{region!r} is not a region phone numbers know; use a two-letter country "
                "code such as US, GB, DE, FR"
            )
        return region.upper()


@cache
def _accounts_adapter(settings: tuple[type[AccountSettings], ...]) -> TypeAdapter[object]:
    """A discriminated union on `kind` of the registered sources' settings: a mistake is
    reported under the entry and its kind (`accounts.0.gmail.address: Field required`), an
    unknown kind with the kinds there are."""
    union: Any = reduce(or_, settings)  # built at run time: no static type to give it
    return TypeAdapter(list[Annotated[union, Field(discriminator="kind")]])


class CadenceConfig(Strict):
    tiers: dict[str, int] = Field(
        default_factory=lambda: {"inner": 14, "close": 30, "friends": 90, "network": 180}
    )
    default_days: int = Field(default=180, gt=0)


class RulesConfig(Strict):
    """Thresholds of DESIGN.md's "What counts as contact"."""

    max_email_group: int = Field(default=10, gt=0)
    max_meeting_size: int = Field(default=8, gt=0)
    store_subjects: bool = False


class EmailDelivery(Strict):
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

    @field_validator("to")
    @classmethod
    def _addresses(cls, to: str | list[str]) -> str | list[str]:
        for address in [to] if isinstance(to, str) else to:
            if address:
                valid_address(address)
        return to

    @field_validator("sender")
    @classmethod
    def _sender(cls, sender: str) -> str:
        if sender:
            from email.utils import parseaddr

            valid_address(parseaddr(sender)[1] or sender)
        return sender


class SlackDelivery(Strict):
    webhook_url_env: str = "KEEPWARM_SLACK_WEBHOOK"
    webhook_url_block: str = ""
    bot_token_env: str = "KEEPWARM_SLACK_BOT_TOKEN"
    channel: str = ""
    api_url: str = "https://slack.com/api/"
    hide_addresses: bool = False


class ReportConfig(Strict):
    deliver: list[Literal["email", "slack"]] = Field(default_factory=list)
    email: EmailDelivery = EmailDelivery()
    slack: SlackDelivery = SlackDelivery()
    limit: int = Field(default=10, gt=0)
    timezone: str = "UTC"
    nightly_cron: str = "0 6 * * *"
    delivery_attempts: int = Field(default=3, gt=0)
    delivery_backoff_seconds: float = 2.0

    @field_validator("timezone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{zone!r} is not an IANA time zone; use e.g. UTC, Europe/Berlin, America/New_York"
            ) from None
        return zone

    @field_validator("nightly_cron")
    @classmethod
    def _cron(cls, cron: str) -> str:
        from datetime import datetime

        from cronsim import CronSim, CronSimError

        try:
            CronSim(cron, datetime(2026, 1, 1))
        except CronSimError as exc:
            raise ValueError(
                f'{cron!r} is not a cron expression ({exc}); five fields, e.g. "0 6 * * *" '
                "for 06:00 every day"
            ) from None
        return cron


class SyncConfig(Strict):
    """How long one account's sync may take (DESIGN.md's sync loop, ingest.sync)."""

    deadline_minutes: float = Field(default=120, gt=0)
    stall_minutes: float = Field(default=15, gt=0)


class DigestConfig(Strict):
    """The morning digest's judgment (DESIGN.md "The morning digest"); every number a knob."""

    budget: int = Field(default=7, gt=0, le=50)
    repeat_after_days: int = Field(default=7, ge=0)
    dormant_after_days: int = Field(default=365, gt=0)
    reply_after_days: int = Field(default=2, ge=0)
    reply_within_days: int = Field(default=30, gt=0)
    new_after_days: int = Field(default=3, ge=0)
    new_within_days: int = Field(default=30, gt=0)
    planned_within_days: int = Field(default=14, ge=0)
    established_contact_days: int = Field(default=4, gt=0)
    reconnect_contact_days: int = Field(default=10, gt=0)
    # Off unless set: DESIGN.md keeps warm people out of the digest, and a birthday nudge
    # for a friend you saw last week is a choice the user makes, not a default.
    birthday_within_days: int | None = Field(default=None, ge=0)
    # Off unless set, for the same reason: `fading` names warm people (see models.digest).
    fading_after_rhythms: float | None = Field(default=None, gt=1)


class Config(Strict):
    store: StoreConfig = StoreConfig()
    me: MeConfig = MeConfig()
    accounts: list[SerializeAsAny[AccountSettings]] = Field(default_factory=list)
    cadence: CadenceConfig = CadenceConfig()
    rules: RulesConfig = RulesConfig()
    report: ReportConfig = ReportConfig()
    digest: DigestConfig = DigestConfig()
    sync: SyncConfig = SyncConfig()
    source_path: str = ""

    @field_validator("accounts", mode="wrap")
    @classmethod
    def _by_kind(cls, value: object, _handler: ValidatorFunctionWrapHandler) -> object:
        """Each entry is validated by the settings model of the source its `kind` names."""
        settings = tuple(source.settings for source in sources())
        return _accounts_adapter(settings).validate_python(value)

    @field_validator("accounts")
    @classmethod
    def _unique_names(cls, accounts: list[AccountSettings]) -> list[AccountSettings]:
        names = [a.name for a in accounts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"account names must be unique; repeated: {', '.join(dupes)}")
        return accounts

    def account(self, name: str) -> AccountSettings:
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
            f"{config_path}: config file not found; create one with `keepwarm init` "
            "(docs/config.md lists every key) or pass --config PATH"
        )
    if config_path.is_dir():
        raise ConfigError(f"{config_path}: is a directory; pass the config file inside it")
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read it: {exc.strerror or exc}") from exc
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
