"""Reconciliation's hub tables come from the store's migrations, also on a database where an
earlier slpay created them itself on first use."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from slpay.reconcile import state
from slpay.store import make_engine, migrate
from slpay.store.migrate import current_revision, head_revision
from slpay.store.schema import metadata


def test_migrations_create_the_reconciliation_tables(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "hub.db")
    migrate(engine)
    assert {"recon_settled", "recon_days"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_tables_created_on_first_use_by_an_earlier_version_upgrade_cleanly(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "hub.db")
    migrate(engine)
    with engine.begin() as conn:  # the database as the previous version left it
        conn.execute(text("INSERT INTO recon_days VALUES ('2026-05-15', 'reconciled', '{}', "
                          "'2026-05-16 06:00:00+00:00')"))  # fmt: skip
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert list(compare_metadata(MigrationContext.configure(conn), metadata)) == []
        assert conn.execute(text("SELECT status FROM recon_days")).scalar() == "reconciled"
    engine.dispose()


def test_documents_settled_on_another_day_are_found_by_key_block_by_block(
    o2c_databases: tuple[str, str],
) -> None:
    """A day's SL documents are checked against earlier settlements per fetched block, by key:
    nothing of the earlier days' volume is loaded (SQLite and PostgreSQL)."""
    hub_url, _ = o2c_databases
    engine = make_engine(hub_url)
    migrate(engine)
    monday, tuesday = date(2026, 5, 11), date(2026, 5, 12)
    with engine.begin() as conn:
        state.record_settled(conn, monday, "USD", ["a:capture", "b:refund"])
        state.record_settled(conn, tuesday, "USD", ["c:capture"])
    keys = ["a:capture", "b:refund", "c:capture", "d:capture"]
    with engine.connect() as conn:
        assert state.settled_elsewhere(conn, tuesday, keys) == {"a:capture", "b:refund"}
        assert state.settled_elsewhere(conn, tuesday, keys, chunk=1) == {"a:capture", "b:refund"}
        # Re-running Monday: its own documents are not "elsewhere", Tuesday's are.
        assert state.settled_elsewhere(conn, monday, keys) == {"c:capture"}
        assert state.settled_elsewhere(conn, monday, []) == set()
    engine.dispose()
