"""Shared fixtures and helpers for the SL writer tests (no tests here).

Test modules import the ``*_fixture`` functions; pytest knows them by their ``name``. Each test
gets a fresh SL sandbox company (``init_company``): a SQLite file, or - when
``SLPAY_TEST_POSTGRES_URL`` is set - a uniquely named PostgreSQL schema (other engineers share
that database) that is dropped afterwards. The company's current period is May 2026, so tests
use fixed dates and never depend on the clock.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, insert, inspect, select, text

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.db import create_sl_engine
from slpay.connectors.dynamics_sl.rows import Audit, full_row
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.connectors.dynamics_sl.xref import slpay_metadata, slpay_xref
from slpay.sandbox.sl.company import init_company

PG_ENV = "SLPAY_TEST_POSTGRES_URL"
TODAY = date(2026, 5, 15)
NOW = datetime(2026, 5, 15, 14, 30, tzinfo=UTC)
LAST_MONTH = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)
NEXT_MONTH = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
PERIOD = "202605"
SETTINGS = SLSettings()
ACC = SETTINGS.accounts


def postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tests skipped")
    return url


def sqlite_company(path: Path) -> Engine:
    engine = create_sl_engine(str(path / "sl.db"))
    init_company(engine, today=TODAY)
    return engine


@pytest.fixture(name="sqlite_template", scope="session")
def sqlite_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ready company file, made once; each test works on a copy (much faster than init)."""
    folder = tmp_path_factory.mktemp("sl_template")
    engine = sqlite_company(folder)
    SLWriter(engine).install()
    engine.dispose()
    return folder / "sl.db"


@pytest.fixture(name="pg_schema", scope="session")
def pg_schema_fixture() -> Iterator[Engine]:
    """One PostgreSQL schema (unique name) with SL's and slpay's tables, for the session."""
    url = postgres_url()
    schema = f"slpay_slw_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_sl_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        sl.metadata.create_all(engine)
        slpay_metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(name="pg_company")
def pg_company_fixture(pg_schema: Engine) -> Engine:
    """A fresh company in the session's schema: every table emptied, then seeded again."""
    names = ", ".join(f'"{t.name}"' for t in [*sl.metadata.sorted_tables,
                                              *slpay_metadata.sorted_tables])  # fmt: skip
    with pg_schema.begin() as conn:
        conn.execute(text(f"TRUNCATE TABLE {names} RESTART IDENTITY"))
    init_company(pg_schema, today=TODAY)
    return pg_schema


@pytest.fixture(name="company", params=["sqlite", "postgres"])
def company_fixture(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """A fresh sandbox company on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, tmp_path / "sl.db")
        engine = create_sl_engine(str(tmp_path / "sl.db"))
        yield engine
        engine.dispose()
    else:
        yield request.getfixturevalue("pg_company")


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def counts(engine: Engine) -> dict[str, int]:
    """Rows in every table a write could touch (to prove that nothing was written)."""
    tables = [sl.Batch, sl.ARDoc, sl.ARTran, sl.GLTran, sl.Customer, sl.SOHeader, sl.SOLine,
              sl.Snote]  # fmt: skip
    out = {t.name: count(engine, t) for t in tables}
    # The writer creates slpay_xref on first use.
    out["slpay_xref"] = count(engine, slpay_xref) if inspect(engine).has_table("slpay_xref") else 0
    return out


def one(engine: Engine, table: Any, *where: Any) -> dict[str, Any]:
    """The single row matching ``where``, text right-trimmed."""
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(*where)).all()
    assert len(rows) == 1, f"{len(rows)} rows in {table.name}"
    return {k: v.rstrip() if isinstance(v, str) else v for k, v in rows[0]._mapping.items()}


def rows(engine: Engine, table: Any, *where: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.execute(select(table).where(*where)).all()
    return [{k: v.rstrip() if isinstance(v, str) else v for k, v in r._mapping.items()}
            for r in found]  # fmt: skip


def released_invoice(
    engine: Engine,
    cust_id: str,
    ref_nbr: str,
    amount: str,
    *,
    cury: str = "USD",
    rate: float = 1.0,
    doc_type: str = "IN",
    ord_nbr: str = "",
    rlsed: int = 1,
) -> None:
    """An IN (or DM) as SL's sales journal + release leave it: released, open balance."""
    value = float(Decimal(amount))
    base = float(Decimal(amount) * Decimal(str(rate)))
    audit = Audit(user="SL", now=datetime(2026, 5, 15, 9, 0), prog="40690")  # noqa: DTZ001
    with engine.begin() as conn:
        conn.execute(insert(sl.ARDoc).values(full_row(sl.ARDoc, audit, {
            "CustId": cust_id, "DocType": doc_type, "RefNbr": ref_nbr, "BatNbr": "900001",
            "BatSeq": 1, "CpnyID": "DEMO", "DocDate": datetime(2026, 5, 10),  # noqa: DTZ001
            "PerPost": PERIOD, "CuryOrigDocAmt": value, "OrigDocAmt": base,
            "CuryDocBal": value, "DocBal": base, "Rlsed": rlsed, "OpenDoc": 1, "DocClass": "N",
            "BankAcct": ACC.ar_acct, "BankSub": ACC.ar_sub, "CuryId": cury, "CuryRate": rate,
            "CuryMultDiv": "M", "OrdNbr": ord_nbr, "Terms": "00",
        })))  # fmt: skip
