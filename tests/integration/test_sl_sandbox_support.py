"""Shared fixtures and helpers for the SL sandbox and release tests (no tests here).

Each test gets a fresh sandbox company (``init_company``, current period May 2026): a SQLite
file, or - when SLPAY_TEST_POSTGRES_URL is set - a PostgreSQL schema named uniquely for this
test session (other engineers share that database), emptied between tests and dropped at the
end. slpay's documents are written with the real SL writer; SL users' acts with the sandbox.
"""

from __future__ import annotations

import os
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import (
    Application,
    CreditApplication,
    CustomerRef,
    MemoInput,
    OrderInput,
    OrderLine,
    PaymentInput,
    SLDocument,
)
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money
from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.engine import drop_schema, open_engine

PG_ENV = "SLPAY_TEST_POSTGRES_URL"
TODAY = date(2026, 5, 15)
NOW = datetime(2026, 5, 15, 14, 30, tzinfo=UTC)
PERIOD = "202605"
SETTINGS = SLSettings()
ACC = SETTINGS.accounts
CLEARING = (ACC.clearing_acct, ACC.clearing_sub)
AR = (ACC.ar_acct, ACC.ar_sub)
PREPAY = (ACC.prepay_acct, ACC.prepay_sub)
SALES = (ACC.sales_acct, ACC.sales_sub)
REFUNDS = (ACC.refunds_acct, ACC.refunds_sub)
LOSSES = (ACC.chargeback_loss_acct, ACC.chargeback_loss_sub)
_SESSION_SCHEMA = f"slb_test_{uuid.uuid4().hex[:10]}"


def money(value: str, currency: str = "USD") -> Money:
    return Money.of(value, currency)


@pytest.fixture(name="pg_session_url", scope="session")
def pg_session_url_fixture() -> Iterator[str]:
    """SLPAY_TEST_POSTGRES_URL; the session's schema is dropped at the end."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tests skipped")
    yield url
    drop_schema(url, _SESSION_SCHEMA)


@pytest.fixture(name="pg_company")
def pg_company_fixture(pg_session_url: str) -> Iterator[Engine]:
    """A fresh company in this session's PostgreSQL schema."""
    drop_schema(pg_session_url, _SESSION_SCHEMA)
    engine = open_engine(pg_session_url, schema=_SESSION_SCHEMA)
    try:
        init_company(engine, today=TODAY)
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(name="sqlite_company")
def sqlite_company_fixture(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(str(tmp_path / "sl.db"))
    init_company(engine, today=TODAY)
    yield engine
    engine.dispose()


@pytest.fixture(
    name="company", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def company_fixture(request: pytest.FixtureRequest) -> Engine:
    """A fresh sandbox company on SQLite, then on PostgreSQL."""
    name = "sqlite_company" if request.param == "sqlite" else "pg_company"
    engine: Engine = request.getfixturevalue(name)
    return engine


def writer(engine: Engine) -> SLWriter:
    w = SLWriter(engine, SETTINGS)
    w.install()
    return w


def _trim(row: Any) -> dict[str, Any]:
    return {k: v.rstrip() if isinstance(v, str) else v for k, v in row._mapping.items()}


def rows(engine: Engine, table: Any, *where: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [_trim(r) for r in conn.execute(select(table).where(*where)).all()]


def one(engine: Engine, table: Any, *where: Any) -> dict[str, Any]:
    found = rows(engine, table, *where)
    assert len(found) == 1, f"{len(found)} rows in {table.name}"
    return found[0]


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def ardoc(engine: Engine, doc_type: str, ref: str) -> dict[str, Any]:
    d = sl.ARDoc.c
    return one(engine, sl.ARDoc, d.DocType == doc_type, d.RefNbr == ref)


def batch(engine: Engine, module: str, batnbr: str) -> dict[str, Any]:
    b = sl.Batch.c
    return one(engine, sl.Batch, b.Module == module, b.BatNbr == batnbr)


def gl_lines(engine: Engine, module: str, batnbr: str) -> list[dict[str, Any]]:
    g = sl.GLTran.c
    return rows(engine, sl.GLTran, g.Module == module, g.BatNbr == batnbr)


def gl_net(engine: Engine, module: str, batnbr: str) -> dict[tuple[str, str], Decimal]:
    """Debit - credit per account/sub of one batch's GL lines (base currency)."""
    out: dict[tuple[str, str], Decimal] = {}
    for line in gl_lines(engine, module, batnbr):
        key = (line["Acct"], line["Sub"])
        amount = Decimal(repr(line["DrAmt"])) - Decimal(repr(line["CrAmt"]))
        out[key] = (out.get(key, Decimal(0)) + amount).quantize(Decimal("0.01"))
    return {k: v for k, v in out.items() if v}


def order(
    w: SLWriter,
    key: str,
    amount: str,
    *,
    cust_id: str = "C00001",
    currency: str = "USD",
    qty: str = "1",
) -> SLDocument:
    """A one-line sales order of ``qty`` × ``amount``/``qty`` as slpay writes it."""
    price = (Decimal(amount) / Decimal(qty)).quantize(Decimal("0.01"))
    return w.write_order(
        OrderInput(
            key=f"{key}:order",
            cust_ord_nbr=f"WEB-{key}",
            customer=CustomerRef(cust_id=cust_id),
            lines=(OrderLine("SKU-1", "Widget", Decimal(qty), money(str(price), currency)),),
            date=NOW,
        )
    )


def capture(
    w: SLWriter,
    key: str,
    amount: str,
    *,
    cust_id: str = "C00001",
    currency: str = "USD",
    ord_nbr: str = "",
    applies_to: tuple[tuple[str, str], ...] = (),
) -> SLDocument:
    """A card capture: a PP, or a PA applied to (DocType, RefNbr) documents."""
    return w.write_payment(
        PaymentInput(
            key=f"{key}:capture",
            customer=CustomerRef(cust_id=cust_id),
            amount=money(amount, currency),
            date=NOW,
            cyber_id=f"{zlib.crc32(key.encode()):022d}",
            order_nbr=ord_nbr,
            applications=tuple(Application(t, r) for t, r in applies_to),  # type: ignore[arg-type]
        )
    )


def memo(
    w: SLWriter,
    key: str,
    doc_type: str,
    amount: str,
    line: tuple[str, str],
    *,
    cust_id: str = "C00001",
    currency: str = "USD",
) -> SLDocument:
    """An 08.010 CM or DM with its line on ``line`` (account, sub)."""
    return w.write_memo(
        MemoInput(
            key=f"{key}:{doc_type}",
            doc_type=doc_type,  # type: ignore[arg-type]
            customer=CustomerRef(cust_id=cust_id),
            amount=money(amount, currency),
            date=NOW,
            line_acct=line[0],
            line_sub=line[1],
        )
    )


def apply(
    w: SLWriter, key: str, credit: tuple[str, str], target: tuple[str, str], cust_id: str = "C00001"
) -> SLDocument:
    """Apply a released credit (DocType, RefNbr) to a released document."""
    return w.apply_credit(
        CreditApplication(
            key=f"{key}:apply",
            cust_id=cust_id,
            credit_type=credit[0],  # type: ignore[arg-type]
            credit_ref=credit[1],
            targets=(Application(target[0], target[1]),),  # type: ignore[arg-type]
            date=NOW,
        )
    )
