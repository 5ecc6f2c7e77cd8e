"""Migrations: they create exactly the tables the code uses, and are idempotent."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from _hub_db import pg_store_fixture  # noqa: F401 - fixture
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

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


def _insert(engine: Engine, source: str, key: str) -> None:
    from datetime import UTC, datetime

    from slpay.store.schema import inbox

    with engine.begin() as conn:
        conn.execute(
            inbox.insert().values(
                dedupe_key=key, organization_id="org", event_type="sl.card_refund",
                resource_id="C1:CM1", source=source, received_at=datetime.now(UTC), payload={},
            )
        )  # fmt: skip


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_inbox_accepts_the_origins_of_work_and_refuses_an_unknown_one(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if dialect == "sqlite":
        engine = make_engine(tmp_path / "hub.db")
        migrate(engine)
    else:
        engine = request.getfixturevalue("pg_store")
    run = uuid.uuid4().hex[:8]
    for source in ("webhook", "api", "sweep", "sl", "report", "operator", "shipping"):
        _insert(engine, source, f"{run}-{source}")
    with pytest.raises(IntegrityError):
        _insert(engine, "email", f"{run}-email")


def test_sqlite_upgrade_from_0001_keeps_rows_and_downgrade_maps_new_origins_to_api(
    tmp_path: Path,
) -> None:
    from alembic import command

    from slpay.store.migrate import _config

    engine = make_engine(tmp_path / "hub.db")
    cfg = _config()

    def to(revision: str, *, down: bool = False) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, revision)

    to("0001")
    _insert(engine, "webhook", "old-row")
    with pytest.raises(IntegrityError):
        _insert(engine, "sl", "too-early")
    to("head")
    _insert(engine, "sl", "new-row")
    to("0001", down=True)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT dedupe_key, source FROM inbox")).all())
    assert rows == {"old-row": "webhook", "new-row": "api"}
    engine.dispose()
