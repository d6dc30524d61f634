"""The `kind = "gcal"` account: which calendars, how far back and ahead, where the grant lives."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from connectors.common.google_account import CALENDAR_READONLY, GoogleAccount


class GcalAccount(GoogleAccount):
    """`calendars`: "primary", calendar ids, calendar names as your calendar list shows them,
    or "*" for every calendar you own. `api_endpoint` is the host (like Gmail's): the Calendar
    service path `/calendar/v3/` is added to it. `page_size` is events.list's maxResults."""

    kind: Literal["gcal"]
    api_endpoint: str = "https://www.googleapis.com"
    calendars: list[str] = Field(default_factory=lambda: ["primary"])
    lookback_days: int = Field(default=5 * 365, gt=0)
    lookahead_days: int = Field(default=90, ge=0)
    page_size: int = Field(default=2500, ge=1, le=2500)

    @field_validator("calendars")
    @classmethod
    def _some(cls, calendars: list[str]) -> list[str]:
        cleaned = [c.strip() for c in calendars if c.strip()]
        if not cleaned:
            raise ValueError('list at least one calendar ("primary", an id, a name, or "*")')
        return cleaned

    def needed_scopes(self) -> tuple[str, ...]:
        # calendar.readonly, not calendar.events.readonly: listing your calendars (to find
        # "primary"'s id, your names and "*") needs calendarList, which the latter lacks.
        return (CALENDAR_READONLY,)

    def service_endpoint(self) -> str:
        """client_options["api_endpoint"] replaces rootUrl + servicePath, so it carries both."""
        return f"{self.api_endpoint.rstrip('/')}/calendar/v3/"
