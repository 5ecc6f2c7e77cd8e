"""The sandbox company's database has SL's real tables and columns (sl-schema-columns.json).

The real database is inspected (SQLAlchemy's inspector on the created tables), not the
metadata, on SQLite and - when SLPAY_TEST_POSTGRES_URL is set - on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, types

from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.engine import drop_schema, open_engine

SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "reference"
    / "dynamics-sl"
    / "sl-schema-columns.json"
)
PG_URL = os.environ.get("SLPAY_TEST_POSTGRES_URL")


def _spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"{SPEC_PATH} is absent (reference material outside the repository)")
    tables: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))["tables"]
    return tables


def _family(t: types.TypeEngine[Any]) -> str:
    """The SQL Server type family a reflected column type stands for."""
    if isinstance(t, types.Text) and not isinstance(t, types.CHAR):
        return "TEXT"
    if isinstance(t, types.String):
        return "CHAR"
    if isinstance(t, types.Float):
        return "FLOAT"
    if isinstance(t, types.SmallInteger):
        return "SMALLINT"
    if isinstance(t, types.Integer):
        return "INT"
    if isinstance(t, types.DateTime):
        return "SMALLDATETIME"
    if isinstance(t, types.LargeBinary):
        return "ROWVERSION"
    return type(t).__name__


def _mismatches(engine: Engine, spec: dict[str, Any]) -> list[str]:
    insp = inspect(engine)
    problems: list[str] = []
    for table, tspec in spec.items():
        if not insp.has_table(table):
            problems.append(f"{table}: missing")
            continue
        actual = {c["name"]: c for c in insp.get_columns(table)}
        wanted = {c["name"]: c for c in tspec["columns"]}
        for name in sorted(set(wanted) ^ set(actual)):
            problems.append(f"{table}.{name}: {'missing' if name in wanted else 'extra'}")
        for name in sorted(set(wanted) & set(actual)):
            problems.extend(_column_problems(f"{table}.{name}", wanted[name], actual[name]))
    return problems


def _column_problems(where: str, want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems = []
    family = _family(got["type"])
    if family != want["type"]:
        problems.append(f"{where}: type {family}, SL has {want['type']}")
    if want["type"] == "CHAR" and str(getattr(got["type"], "length", None)) != want["length"]:
        problems.append(f"{where}: length {got['type'].length}, SL has {want['length']}")
    # tstamp is a rowversion SQL Server fills itself; elsewhere it is a nullable binary that
    # nobody writes, so its NOT NULL is only meaningful on SQL Server.
    if want["type"] != "ROWVERSION" and got["nullable"] != want["nullable"]:
        problems.append(f"{where}: nullable {got['nullable']}, SL has {want['nullable']}")
    return problems


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(str(tmp_path / "sl.db"))
    init_company(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    if not PG_URL:
        pytest.skip("SLPAY_TEST_POSTGRES_URL is not set")
    schema = f"slb_conf_{uuid.uuid4().hex[:12]}"
    engine = open_engine(PG_URL, schema=schema)
    init_company(engine)
    yield engine
    engine.dispose()
    drop_schema(PG_URL, schema)


def test_reference_lists_the_23_sl_tables() -> None:
    assert len(_spec()) == 23


def test_sqlite_sandbox_has_every_sl_table_with_exactly_sls_columns(
    sqlite_engine: Engine,
) -> None:
    assert _mismatches(sqlite_engine, _spec()) == []


@pytest.mark.postgres
def test_postgres_sandbox_has_every_sl_table_with_exactly_sls_columns(
    postgres_engine: Engine,
) -> None:
    assert _mismatches(postgres_engine, _spec()) == []


def test_conformance_check_notices_a_wrong_length_and_a_missing_column(
    sqlite_engine: Engine,
) -> None:
    """The checker itself can fail: a doctored spec produces exactly the expected findings."""
    spec = json.loads(json.dumps(_spec()))
    batch_cols = spec["Batch"]["columns"]
    next(c for c in batch_cols if c["name"] == "BatNbr")["length"] = "12"
    batch_cols.append({"name": "NoSuchColumn", "type": "INT", "length": None, "nullable": False})
    assert _mismatches(sqlite_engine, {"Batch": spec["Batch"]}) == [
        "Batch.NoSuchColumn: missing",
        "Batch.BatNbr: length 10, SL has 12",
    ]
