"""Secrets for delivery: an environment variable, or a Prefect Secret block by name.

Prefect is imported only when a block is configured, so env-var users never pay for it.
"""

from __future__ import annotations

import os
from typing import Any


class DeliveryConfigError(Exception):
    """Delivery cannot even be attempted: the message names the setting to fix."""


def from_env_or_block(env: str, block: str, what: str, setting: str) -> str | None:
    """The secret from Prefect block `block` if named, else env var `env`; None if unset."""
    if block:
        try:
            from prefect.blocks.system import Secret

            secret: Any = Secret.load(block)  # sync in a sync context
            value = secret.get()
        except Exception as exc:
            raise DeliveryConfigError(
                f"could not load the Prefect Secret block {block!r} holding the {what} "
                f"({setting}): {exc}; create it with `prefect block create secret` or "
                "clear the setting to use the environment variable"
            ) from exc
        return str(value) if value else None
    value = os.environ.get(env, "") if env else ""
    return value or None
