"""insert_rows (one executemany of plain tuples) stores exactly what SQLAlchemy's insert does.

For each wide table the micro-batch writes, one full row goes in through
``conn.execute(insert(table), row)`` and a copy (other key) through ``insert_rows``; read back,
every column is equal. The statement still compiles for SQL Server (pyodbc).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, Table, insert
from sqlalchemy.dialects.mssql import pyodbc
from test_sl_writer_support import (  # noqa: F401 - fixtures
    NOW,
    company_fixture,
    pg_company_fixture,
    pg_schema_fixture,
    rows,
    sqlite_template_fixture,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.rows import Audit, full_row, insert_rows, insert_sql

#: The wide tables a micro-batch inserts, each with a key column to tell the two rows apart.
TABLES = [(sl.SOHeader, "OrdNbr"), (sl.SOLine, "OrdNbr"), (sl.Batch, "BatNbr"),
          (sl.ARDoc, "RefNbr"), (sl.ARTran, "RefNbr")]  # fmt: skip
NOT_WRITTEN = {"tstamp", "RecordID"}
DAY = datetime(2026, 5, 14, 0, 0)  # noqa: DTZ001 - SL dates are naive


def _row(table: Table, key: str, value: str) -> dict[str, Any]:
    values: dict[str, Any] = {key: value, "CpnyID": "0010"}
    names = set(table.c.keys())
    for name, v in (("CuryTotOrd", 12.34), ("CuryOrigDocAmt", 12.34), ("CrTot", 12.34),
                    ("TranAmt", 12.34), ("OrdDate", DAY), ("DocDate", DAY), ("DateEnt", DAY),
                    ("TranDate", DAY), ("LineRef", "00001"), ("CustID", "C1"),
                    ("CustId", "C1"), ("Module", "AR")):  # fmt: skip
        if name in names:
            values[name] = v
    return full_row(table, Audit("SYSADMIN", NOW.replace(tzinfo=None)), values)


@pytest.mark.parametrize(("table", "key"), TABLES, ids=[t.name for t, _ in TABLES])
def test_insert_rows_stores_the_same_values_as_sqlalchemy_insert(
    company: Engine, table: Table, key: str
) -> None:
    with company.begin() as conn:
        conn.execute(insert(table), _row(table, key, "VIASQLA"))
        insert_rows(conn, table, [_row(table, key, "FAST1"), _row(table, key, "FAST2")])
    (reference,) = rows(company, table, table.c[key] == "VIASQLA")
    fast = rows(company, table, table.c[key].in_(["FAST1", "FAST2"]))
    assert len(fast) == 2
    for got in fast:
        for name in set(reference) - NOT_WRITTEN - {key}:
            assert got[name] == reference[name], name


@pytest.mark.parametrize(("table", "key"), TABLES, ids=[t.name for t, _ in TABLES])
def test_insert_rows_statement_compiles_for_mssql_with_every_writable_column(
    table: Table, key: str
) -> None:
    sql = insert_sql(table, pyodbc.dialect(paramstyle="qmark"))  # pyodbc's parameter style
    assert sql.startswith(f"INSERT INTO [{table.name}] (")
    assert f"[{key}]" in sql
    assert "[tstamp]" not in sql
    assert sql.count("?") == len(_row(table, key, "X"))
