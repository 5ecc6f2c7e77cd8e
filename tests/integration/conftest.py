"""Fixtures shared by the integration tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text


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
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
