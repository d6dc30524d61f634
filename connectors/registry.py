"""Which connector reads which `kind` of account; imported lazily so a CLI call pays
only for the sources it uses."""

from __future__ import annotations

import importlib
from typing import Any

from connectors.base import Connector, Me

_MODULES = {
    "vcard": "connectors.vcard",
    "mbox": "connectors.mbox",
    "ics": "connectors.ics",
    "gmail": "connectors.gmail",
    "outlook": "connectors.outlook",
}


def build_connector(account: Any, me: Me) -> Connector:
    """Each connector module exposes `build(account, me) -> Connector`."""
    module = importlib.import_module(_MODULES[account.kind])
    connector: Connector = module.build(account, me)
    return connector
