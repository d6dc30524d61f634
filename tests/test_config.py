"""The config contract: DESIGN.md's own example validates, and mistakes name the key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from models.config import ConfigError, config_from_dict, load_config
from tests.conftest import CORPUS

DESIGN = CORPUS.parent / "DESIGN.md"


@pytest.mark.skipif(not DESIGN.exists(), reason="shared/DESIGN.md not beside the repo")
def test_design_example_config_validates() -> None:
    block = re.search(r"```toml\n(.*?)```", DESIGN.read_text(encoding="utf-8"), re.S)
    assert block is not None
    config = config_from_dict(tomllib.loads(block.group(1)))
    kinds = [a.kind for a in config.accounts]
    assert kinds == ["gmail", "outlook", "vcard"]
    assert config.accounts[0].quota.units_per_second == 100
    assert config.cadence.tiers["close"] == 30
    assert config.report.deliver == ["email"]
    assert config.me.emails == ["me@example.com", "me.work@example.org"]


def test_unknown_keys_and_bad_values_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[cadence]\ndefault_days = 0\n[report]\ndeliverr = ["email"]\n')
    with pytest.raises(ConfigError) as failure:
        load_config(path)
    message = str(failure.value)
    assert str(path) in message
    assert "cadence.default_days" in message and "report.deliverr" in message


def test_duplicate_account_names_are_refused() -> None:
    accounts = [{"name": "a", "kind": "vcard", "path": "x"}] * 2
    with pytest.raises(ConfigError, match="unique"):
        config_from_dict({"accounts": accounts})


def test_sqlite_home_is_expanded() -> None:
    config = config_from_dict({"store": {"url": "sqlite:///~/kw.db"}})
    assert "~" not in config.store.url and config.store.url.endswith("/kw.db")
