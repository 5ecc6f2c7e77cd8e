"""The audit timeline: append-only entries per key, across Cybersource, slpay and SL.

A key is whatever ``slpay trace`` is given — an order number, a Cybersource transaction id or
an SL reference; a step that knows several of them appends under each (or the trace command
follows ``xref`` from one to the others). ``detail`` is redacted before it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import Connection, Row, insert, select
from sqlalchemy.engine import Dialect

from slpay.redact import redact_data
from slpay.store.schema import AUDIT_SYSTEMS, audit

System = Literal["cybersource", "slpay", "sl"]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    key: str
    at: datetime
    system: str
    action: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: Row[Any]) -> AuditEntry:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


def append_audit(
    conn: Connection,
    key: str,
    system: System,
    action: str,
    detail: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> int:
    """Append one entry; returns its id."""
    if system not in AUDIT_SYSTEMS:
        raise ValueError(f"unknown system: {system}")
    stmt = (
        insert(audit)
        .values(
            key=key,
            at=at or datetime.now(UTC),
            system=system,
            action=action,
            detail=redact_data(detail or {}),
        )
        .returning(audit.c.id)
    )
    return int(conn.execute(stmt).scalar_one())


_COLUMNS = ("key", "at", "system", "action", "detail")


def _same(value: Any) -> Any:
    return value


@cache
def _bulk_insert(dialect: Dialect) -> tuple[str, tuple[str, ...], dict[str, Callable[[Any], Any]]]:
    """``insert(audit)`` compiled once per dialect: its SQL, parameter order, bind processors."""
    compiled = insert(audit).compile(dialect=dialect, column_keys=list(_COLUMNS))
    names = tuple(compiled.positiontup or _COLUMNS)
    if set(names) != set(_COLUMNS) or set(compiled.binds) != set(_COLUMNS):
        raise RuntimeError("cannot map the audit INSERT parameters")
    processors: dict[str, Callable[[Any], Any]] = {
        name: audit.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _same
        for name in _COLUMNS
    }
    return compiled.string, names, processors


def append_audits(
    conn: Connection,
    entries: Sequence[tuple[str, System, str, dict[str, Any] | None]],
    *,
    at: datetime | None = None,
) -> int:
    """Append many entries ``(key, system, action, detail)`` in one statement (a micro-batch's
    timeline), in order; returns how many.

    One executemany of plain parameters: the time and each shared detail are redacted and
    bound (JSON-encoded) once, not once per row as SQLAlchemy's executemany would."""
    if not entries:
        return 0
    sql, names, bind = _bulk_insert(conn.dialect)
    when = bind["at"](at or datetime.now(UTC))
    params: list[Any] = []
    details: dict[int, tuple[Any, Any]] = {}
    for key, system, action, detail in entries:
        if system not in AUDIT_SYSTEMS:
            raise ValueError(f"unknown system: {system}")
        # One document's detail is appended under several keys: redact and encode each object
        # once (the original is kept alongside, so its id cannot be reused meanwhile).
        seen = details.get(id(detail))
        if seen is None:
            seen = details[id(detail)] = (detail, bind["detail"](redact_data(detail or {})))
        row = {"key": bind["key"](key), "at": when, "system": bind["system"](system),
               "action": bind["action"](action), "detail": seen[1]}  # fmt: skip
        params.append(tuple(row[n] for n in names) if conn.dialect.positional else row)
    conn.exec_driver_sql(sql, params)
    return len(params)


def timeline(conn: Connection, *keys: str) -> list[AuditEntry]:
    """Every entry under any of ``keys``, in time order (ties in insertion order)."""
    stmt = select(audit).where(audit.c.key.in_(keys)).order_by(audit.c.at, audit.c.id)
    return [AuditEntry.from_row(r) for r in conn.execute(stmt)]
