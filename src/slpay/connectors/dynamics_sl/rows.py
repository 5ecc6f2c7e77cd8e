"""Complete SL rows: every NOT NULL column supplied, audit columns filled, lengths enforced.

SL declares every column NOT NULL and, depending on the install, may have no DEFAULT constraints
(FACTS §1.2), so slpay always writes full rows: blank (a space) for text, 0 for numbers,
1900-01-01 for dates, then the values that matter. ``tstamp`` and identity columns are never
written. Text values longer than their ``CHAR(n)`` are refused with ``Table.Column`` named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import CHAR, Connection, Insert, Table, Text, insert
from sqlalchemy.engine import Dialect

from slpay.connectors.dynamics_sl.conventions import BLANK
from slpay.connectors.dynamics_sl.sqltypes import (
    BLANK_DATE,
    IDENTITY,
    ROWVERSION,
    SmallDateTime,
)
from slpay.errors import ValidationError

#: Crtd_Prog / LUpd_Prog of every row slpay writes.
PROG = "SLPAY"


@dataclass(frozen=True)
class Audit:
    """Who and when, for SL's Crtd_*/LUpd_* columns."""

    user: str
    now: datetime
    prog: str = PROG

    def created(self) -> dict[str, Any]:
        return {
            "Crtd_DateTime": self.now,
            "Crtd_Prog": self.prog,
            "Crtd_User": self.user,
            **self.updated(),
        }

    def updated(self) -> dict[str, Any]:
        return {"LUpd_DateTime": self.now, "LUpd_Prog": self.prog, "LUpd_User": self.user}


@dataclass(frozen=True)
class _Shape:
    template: dict[str, Any]
    lengths: dict[str, int]
    note_column: str | None


@cache
def _shape(table: Table) -> _Shape:
    template: dict[str, Any] = {}
    lengths: dict[str, int] = {}
    for col in table.columns:
        if col.info.get(ROWVERSION) or col.info.get(IDENTITY):
            continue
        if isinstance(col.type, CHAR):
            template[col.name] = BLANK
            lengths[col.name] = int(col.type.length or 0)
        elif isinstance(col.type, Text):
            template[col.name] = ""
        elif isinstance(col.type, SmallDateTime):
            template[col.name] = BLANK_DATE
        else:
            template[col.name] = 0
    note = next((c for c in ("NoteID", "NoteId") if c in template), None)
    return _Shape(template, lengths, note)


def note_column(table: Table) -> str | None:
    """The table's NoteID column (SL spells it ``NoteID`` or ``NoteId``)."""
    return _shape(table).note_column


def check_text(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """Values with text right-trimmed (blank = a space); over-length text refused."""
    shape = _shape(table)
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in shape.template:
            raise KeyError(f"{table.name}.{name} is not a writable column")
        length = shape.lengths.get(name)
        if length is not None:
            text = (value or "").rstrip()
            if len(text) > length:
                raise ValidationError(
                    f"{text!r} is {len(text)} characters, at most {length} allowed",
                    field=f"{table.name}.{name}",
                )
            value = text or BLANK
        out[name] = value
    return out


def full_row(table: Table, audit: Audit, values: Mapping[str, Any]) -> dict[str, Any]:
    """A complete insertable row for ``table``: template, audit columns, then ``values``."""
    row = dict(_shape(table).template)
    row.update(audit.created())
    row.update(check_text(table, values))
    return row


def update_values(table: Table, audit: Audit, values: Mapping[str, Any]) -> dict[str, Any]:
    """Values for an UPDATE of existing SL rows, with LUpd_* stamped."""
    out = check_text(table, values)
    out.update(audit.updated())
    return out


def insert_statement(table: Table) -> Insert:
    """The INSERT of a full row of ``table`` (every writable column), as a SQLAlchemy construct."""
    return insert(table)


@dataclass(frozen=True)
class _CompiledInsert:
    sql: str
    positional: bool
    names: tuple[str, ...]  # bind names in the statement's parameter order
    pick: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]


@cache
def _compiled_insert(table: Table, dialect: Dialect) -> _CompiledInsert:
    columns = list(_shape(table).template)
    compiled = insert_statement(table).compile(dialect=dialect, column_keys=columns)
    names = tuple(compiled.positiontup or columns)
    if set(names) != set(columns) or set(compiled.binds) != set(columns):
        # A bind the dialect renamed: no safe map from row keys to parameters.
        raise RuntimeError(f"cannot map the INSERT parameters of {table.name}")
    by_name = {c.name: c for c in table.columns}
    processors = []
    for i, name in enumerate(names):
        process = by_name[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((i, process))
    return _CompiledInsert(
        compiled.string, dialect.positional, names, itemgetter(*names), tuple(processors)
    )


def insert_sql(table: Table, dialect: Dialect) -> str:
    """The SQL text :func:`insert_rows` sends for ``table`` on ``dialect``."""
    return _compiled_insert(table, dialect).sql


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert full rows (:func:`full_row`) with one executemany of plain parameter tuples.

    The same statement and bound values as ``conn.execute(insert(table), rows)``, but compiled
    once per table and dialect and with each column's bind processor applied directly: SL's
    rows are 100-300 columns wide and SQLAlchemy's per-row parameter processing was the largest
    cost of writing a micro-batch.
    """
    if not rows:
        return
    c = _compiled_insert(table, conn.dialect)
    params: list[Any] = []
    for row in rows:
        values = list(c.pick(row))
        for i, process in c.processors:
            values[i] = process(values[i])
        params.append(tuple(values) if c.positional else dict(zip(c.names, values, strict=True)))
    conn.exec_driver_sql(c.sql, params)
