"""What `prefect deploy` reads from keepwarm's own config (one source of truth): the build
steps of the repo root's prefect.yaml run `python -m deployments.values NAME`, and the
deployments take the printed value.

    python -m deployments.values cron       # [report] nightly_cron
    python -m deployments.values timezone   # [report] timezone
    python -m deployments.values config     # the config file's absolute path
    python -m deployments.values home       # the project root (workers run flows from it)

The config is found as every command finds it: $KEEPWARM_CONFIG, else
$XDG_CONFIG_HOME/keepwarm/config.toml. A config mistake exits 2 naming file and key, so the
deploy stops before registering anything wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path

from models.config import ConfigError, load_config

HOME = Path(__file__).resolve().parents[1]


def value(name: str) -> str:
    if name == "home":
        return str(HOME)
    config = load_config()
    return {
        "cron": config.report.nightly_cron,
        "timezone": config.report.timezone,
        "config": str(Path(config.source_path).resolve()),
    }[name]


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("cron", "timezone", "config", "home"):
        print("usage: python -m deployments.values cron|timezone|config|home", file=sys.stderr)
        return 2
    try:
        print(value(argv[0]))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
