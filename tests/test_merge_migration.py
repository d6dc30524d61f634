"""Migration 0007 (merge records) creates exactly what models.schema declares, on both
backends, and a store at 0006 upgrades to it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from models.schema import Base
from models.store import Store


def test_merge_record_table_matches_the_schema(store_url: str) -> None:
    store = Store(store_url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() == "0007"
            diffs = [
                d for d in compare_metadata(context, Base.metadata) if "merge_record" in repr(d)
            ]
        assert diffs == []
        columns = {c["name"] for c in inspect(store.engine).get_columns("merge_record")}
        assert columns == {"id", "kept_id", "merged_id", "snapshot", "created_at", "undone_at"}
    finally:
        store.close()
