"""Migrations: they create exactly the tables the code uses, and are idempotent."""

from __future__ import annotations

from pathlib import Path

from _hub_db import pg_store_fixture  # noqa: F401 - fixture
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from slpay.store import make_engine, migrate
from slpay.store.migrate import current_revision, head_revision
from slpay.store.schema import metadata


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def test_sqlite_migration_matches_the_code_schema_and_runs_twice(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "hub.db")
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert _differences(engine) == []
    engine.dispose()


def test_sqlite_store_is_wal_with_full_sync(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "hub.db")
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (mode, sync) == ("wal", 2)  # 2 = FULL
    engine.dispose()


def test_postgres_migration_matches_the_code_schema_and_runs_twice(pg_store: Engine) -> None:
    migrate(pg_store)
    assert current_revision(pg_store) == head_revision()
    assert _differences(pg_store) == []
