"""Every statement the SL connector issues compiles for SQL Server (the production database).

The writer runs a representative session on SQLite while an event listener captures each
statement object; each is then compiled with SQLAlchemy's ``mssql`` dialect. The numbering
reads must carry SQL Server's ``WITH (UPDLOCK, HOLDLOCK)`` hint (SQLAlchemy compiles
``FOR UPDATE`` to nothing on mssql).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.dialects import mssql, postgresql
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.ddl import ExecutableDDLElement
from test_sl_writer_support import ACC, NOW, released_invoice, sqlite_company

from slpay.connectors.dynamics_sl.models import (
    Application,
    CreditApplication,
    CustomerRef,
    JournalInput,
    JournalLine,
    MemoInput,
    NoteInput,
    OrderChange,
    OrderInput,
    OrderLine,
    PaymentInput,
)
from slpay.connectors.dynamics_sl.reader import SLReader
from slpay.connectors.dynamics_sl.ti_export import export_batch
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money

SQLITE_ONLY = ("BEGIN IMMEDIATE", "PRAGMA")


def _capture(engine: Engine) -> list[tuple[Any, Any]]:
    seen: list[tuple[Any, Any]] = []

    def before(conn: Any, stmt: Any, multiparams: Any, params: Any, options: Any) -> None:
        seen.append((stmt, multiparams))

    event.listen(engine, "before_execute", before)
    return seen


def _session(engine: Engine) -> None:
    """Every kind of write and read the connector does."""
    usd = lambda v: Money.of(v, "USD")  # noqa: E731
    w = SLWriter(engine)
    order = w.write_order(OrderInput("o:auth", "WEB-1", CustomerRef(email="n@x.example"),
                                     (OrderLine("W", "Widget", Decimal(1), usd("10")),), NOW,
                                     auth_nbr="123456", label="Open"))  # fmt: skip
    w.change_order(OrderChange("o:review", order.ord_nbr, admin_hold=True, label="On Hold"))
    w.write_payments([
        PaymentInput("p1:capture", CustomerRef(cust_id=order.cust_id), usd("10"), NOW,
                     order_nbr=order.ord_nbr),
        PaymentInput("p2:capture", CustomerRef(email="m@x.example"), usd("5"), NOW),
    ])  # fmt: skip
    released_invoice(engine, "C00001", "IN1", "40.00")
    pa = w.write_payment(PaymentInput("p3:capture", CustomerRef(cust_id="C00001"), usd("15"),
                                      NOW, applications=(Application("IN", "IN1"),)))  # fmt: skip
    memos = w.write_memos([
        MemoInput("r:cm", "CM", CustomerRef(cust_id="C00001"), usd("3"), NOW, ACC.refunds_acct,
                  ACC.refunds_sub),
        MemoInput("r:dm", "DM", CustomerRef(cust_id="C00001"), usd("3"), NOW, ACC.clearing_acct,
                  ACC.clearing_sub),
    ])  # fmt: skip
    with engine.begin() as conn:  # as SL's release would leave them
        conn.exec_driver_sql('UPDATE "ARDoc" SET "Rlsed" = 1')
    w.apply_credit(CreditApplication("r:apply", "C00001", "CM", memos[0].ref_nbr,
                                     (Application("DM", memos[1].ref_nbr),), NOW))  # fmt: skip
    w.write_journal(JournalInput("s:1", NOW, (
        JournalLine(ACC.bank_acct, ACC.bank_sub, usd("10")),
        JournalLine(ACC.clearing_acct, ACC.clearing_sub, usd("-10")),
    )))  # fmt: skip
    w.add_note(NoteInput("n:1", "ARDoc", {"CustId": "C00001", "DocType": "PA",
                                          "RefNbr": pa.ref_nbr}, "hello"))  # fmt: skip
    w.lookup("p1:capture")
    w.find_customer(email="n@x.example")
    SLReader(engine).poll()
    with engine.connect() as conn:
        export_batch(conn, "AR", pa.bat_nbr)
        export_batch(conn, "GL", "000001")


def _compile(stmt: ClauseElement, multiparams: Any, dialect: Any) -> str:
    if isinstance(stmt, ExecutableDDLElement):
        return str(stmt.compile(dialect=dialect))
    keys = None
    if multiparams and isinstance(multiparams[0], dict):
        keys = list(multiparams[0])
    elif multiparams and isinstance(multiparams[0], list) and multiparams[0]:
        keys = list(multiparams[0][0])
    return str(stmt.compile(dialect=dialect, column_keys=keys))


def test_every_statement_compiles_for_mssql_and_numbering_reads_hold_locks(
    tmp_path: Path,
) -> None:
    engine = sqlite_company(tmp_path)
    captured = _capture(engine)
    _session(engine)

    compiled = []
    for stmt, multiparams in captured:
        if isinstance(stmt, str):
            assert stmt.startswith(SQLITE_ONLY) or stmt.startswith("UPDATE"), stmt
            continue
        compiled.append((stmt, _compile(stmt, multiparams, mssql.dialect())))
    assert len(compiled) > 50
    locking = [(s, sql) for s, sql in compiled if getattr(s, "_for_update_arg", None) is not None]
    locked_tables = {sql.split("FROM ")[1].split(" ")[0] for _s, sql in locking}
    assert {"[ARSetup]", "[GLSetup]", "[SOType]", "slpay_counter"} <= locked_tables
    for stmt, sql in locking:
        assert "WITH (UPDLOCK, HOLDLOCK)" in sql, sql
        assert "FOR UPDATE" in _compile(stmt, None, postgresql.dialect())
    engine.dispose()
