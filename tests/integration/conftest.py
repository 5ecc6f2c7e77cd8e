"""Fixtures shared by the integration tests."""

from __future__ import annotations

import gc
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text


@pytest.fixture(params=["sqlite", "postgresql"])
def o2c_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(hub URL, SL URL): SQLite files, or two fresh PostgreSQL databases dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}", f"sqlite:///{tmp_path / 'sl.db'}"
        return
    url = os.environ.get("SLPAY_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("SLPAY_TEST_POSTGRES_URL is not set; the PostgreSQL run is skipped")
    base = f"slpay_o2c_{uuid.uuid4().hex[:10]}"
    names = [f"{base}_hub", f"{base}_sl"]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server = make_url(url)
    hub_url, sl_url = (server.set(database=n).render_as_string(hide_password=False) for n in names)
    try:
        yield hub_url, sl_url
    finally:
        left = _open_connections(admin, base)
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    # A connection still open here would be found by the garbage collector during some later
    # test (psycopg's ResourceWarning, an error under -W error): say which test left it.
    assert not left, f"connections left open to the test's databases: {left}"


def _open_connections(admin: Engine, base: str) -> list[tuple[str, str, str]]:
    """Connections of this process's pools to ``base``'s databases after the test (a grace
    period for background threads), as (database, state, last statement)."""
    gc.collect()
    deadline = time.monotonic() + 5
    while True:
        with admin.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT datname, state, query FROM pg_stat_activity"
                    " WHERE datname LIKE :base AND pid <> pg_backend_pid()"
                ),
                {"base": f"{base}%"},
            ).all()
        if not rows or time.monotonic() > deadline:
            return [(str(r[0]), str(r[1]), str(r[2])[:80]) for r in rows]
        time.sleep(0.1)
