"""The Google sources' config as users read it: DESIGN.md's gcal/gcontacts block and README's
"Connect Google" and "Connect Outlook" examples validate (and are valid TOML as written)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from connectors.gcal.settings import GcalAccount
from connectors.gcontacts.settings import GcontactsAccount
from connectors.gmail.settings import GmailAccount
from models.config import ConfigError, config_from_dict
from tests.conftest import CORPUS

DESIGN = CORPUS.parent / "DESIGN.md"
README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(text: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", text, re.S)


@pytest.mark.skipif(not DESIGN.exists(), reason="shared/DESIGN.md not beside the repo")
def test_design_google_sources_block_validates() -> None:
    block = next(b for b in _blocks(DESIGN.read_text(encoding="utf-8")) if 'kind = "gcal"' in b)
    config = config_from_dict(tomllib.loads(block))
    calendar, contacts = config.accounts
    assert isinstance(calendar, GcalAccount) and calendar.calendars == ["primary"]
    assert calendar.service_endpoint() == "https://www.googleapis.com/calendar/v3/"
    assert isinstance(contacts, GcontactsAccount)
    assert calendar.token_path() == contacts.token_path()


def test_readme_connect_sections_validate() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Connect Google") : text.index("## What counts as contact")]
    blocks = _blocks(section)
    assert len(blocks) == 3
    google = config_from_dict(tomllib.loads(blocks[0]))
    gmail, gcal, gcontacts = google.accounts
    assert isinstance(gmail, GmailAccount) and isinstance(gcal, GcalAccount)
    assert isinstance(gcontacts, GcontactsAccount)
    assert gmail.token_path() == gcal.token_path() == gcontacts.token_path()
    assert google.cadence.tiers["Inner circle"] == 14
    for block in blocks[1:]:
        assert config_from_dict(tomllib.loads(block)).accounts[0].kind == "outlook"


def test_gcal_settings_mistakes_name_the_key() -> None:
    accounts = [{"name": "c", "kind": "gcal", "calendars": []}]
    with pytest.raises(ConfigError, match=r"accounts\.0\.gcal\.calendars"):
        config_from_dict({"accounts": accounts})
    accounts = [{"name": "c", "kind": "gcontacts", "page_size": 5000}]
    with pytest.raises(ConfigError, match=r"accounts\.0\.gcontacts\.page_size"):
        config_from_dict({"accounts": accounts})
