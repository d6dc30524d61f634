"""Shared fixtures: a fresh store on SQLite (and on PostgreSQL when CI provides one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

# ../shared beside the repo holds DESIGN.md and the real-world corpus the parsers must survive;
# a clone elsewhere finds it through KEEPWARM_SHARED (.ci/run sets it from a local origin).
SHARED = Path(os.environ.get("KEEPWARM_SHARED") or Path(__file__).resolve().parents[2] / "shared")
CORPUS = SHARED / "corpus"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _pg_database() -> Iterator[str]:
    base = os.environ.get("KEEPWARM_TEST_PG_URL")
    if not base:
        if os.environ.get("KEEPWARM_REQUIRE_PG"):
            pytest.fail("KEEPWARM_REQUIRE_PG is set but KEEPWARM_TEST_PG_URL is not")
        pytest.skip("no PostgreSQL: set KEEPWARM_TEST_PG_URL (CI does)")
    import psycopg

    admin = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"kw_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'keepwarm.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'keepwarm.db'}"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One ephemeral Prefect API per test session (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
