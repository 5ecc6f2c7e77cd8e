"""Databases for the hub-store and webhook-ingest tests: a SQLite file, and PostgreSQL.

PostgreSQL comes from ``SLPAY_TEST_POSTGRES_URL`` (skipped, saying so, when unset). Other
engineers' tests share that database, so each test module gets its own uniquely named schema
(set as the connection's ``search_path``) and drops it at the end. Test modules import the
``*_fixture`` functions; pytest knows them by their ``name``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from slpay.store import make_engine, migrate
from slpay.store.schema import metadata

PG_ENV = "SLPAY_TEST_POSTGRES_URL"


def postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tests skipped")
    return url


def clear(engine: Engine) -> None:
    """Delete every row of the hub's tables (faster than migrating a fresh database)."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


def sqlite_store(path: Path) -> Engine:
    engine = make_engine(path)
    migrate(engine)
    return engine


@pytest.fixture(scope="module", name="pg_store")
def pg_store_fixture() -> Iterator[Engine]:
    """A migrated PostgreSQL schema of its own, dropped afterwards."""
    url = postgres_url()
    schema = f"slpay_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module", name="sqlite_module_store")
def sqlite_module_store_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = sqlite_store(tmp_path_factory.mktemp("hub") / "hub.db")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"], name="store")
def store_fixture(request: pytest.FixtureRequest) -> Engine:
    """The migrated store, empty, on each dialect in turn."""
    name = "sqlite_module_store" if request.param == "sqlite" else "pg_store"
    engine: Engine = request.getfixturevalue(name)
    clear(engine)
    return engine
