"""Issue 10 item 11: the config reference in the repo (docs/config.md) lists every key of every
section and source, generated from the pydantic models; the README walks the first hour."""

from __future__ import annotations

import re
from pathlib import Path

from cli.configdoc import render, undocumented
from connectors.registry import sources

ROOT = Path(__file__).resolve().parents[1]


def test_docs_config_md_is_generated_from_the_models() -> None:
    assert (ROOT / "docs" / "config.md").read_text(encoding="utf-8") == render(), (
        "docs/config.md is stale: run .venv/bin/python -m cli.configdoc > docs/config.md"
    )


def test_every_key_has_a_description() -> None:
    assert undocumented() == [], "add these to cli.configdoc.DESCRIPTIONS"


def test_every_source_and_its_keys_are_in_the_reference() -> None:
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    for source in sources():
        assert f'### `kind = "{source.kind}"`' in text
        for key in source.settings.model_fields:
            assert f"| `{key}` |" in text


def test_readme_walks_the_first_hour() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    steps = [
        "pip install",
        "keepwarm init",
        "keepwarm doctor",
        "keepwarm sync",
        "keepwarm report",
        "keepwarm people",
        "docs/config.md",
    ]
    positions = [readme.find(step) for step in steps]
    assert all(p >= 0 for p in positions), dict(zip(steps, positions, strict=True))
    assert positions[:5] == sorted(positions[:5]), "the first hour's steps are in order"
    assert not re.search(r"cd deployments", readme)
