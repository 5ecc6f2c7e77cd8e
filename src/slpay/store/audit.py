"""The audit timeline: append-only entries per key, across Cybersource, slpay and SL.

A key is whatever ``slpay trace`` is given — an order number, a Cybersource transaction id or
an SL reference; a step that knows several of them appends under each (or the trace command
follows ``xref`` from one to the others). ``detail`` is redacted before it is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, insert, select

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


def append_audits(
    conn: Connection,
    entries: Sequence[tuple[str, System, str, dict[str, Any] | None]],
    *,
    at: datetime | None = None,
) -> int:
    """Append many entries ``(key, system, action, detail)`` in one statement (a micro-batch's
    timeline), in order; returns how many."""
    if not entries:
        return 0
    when = at or datetime.now(UTC)
    rows = []
    redacted: dict[int, tuple[Any, dict[str, Any]]] = {}
    for key, system, action, detail in entries:
        if system not in AUDIT_SYSTEMS:
            raise ValueError(f"unknown system: {system}")
        # One document's detail is appended under several keys: redact each object once
        # (the original is kept alongside, so its id cannot be reused meanwhile).
        seen = redacted.get(id(detail))
        if seen is None:
            seen = redacted[id(detail)] = (detail, redact_data(detail or {}))
        rows.append({"key": key, "at": when, "system": system, "action": action,
                     "detail": seen[1]})  # fmt: skip
    conn.execute(insert(audit), rows)
    return len(rows)


def timeline(conn: Connection, *keys: str) -> list[AuditEntry]:
    """Every entry under any of ``keys``, in time order (ties in insertion order)."""
    stmt = select(audit).where(audit.c.key.in_(keys)).order_by(audit.c.at, audit.c.id)
    return [AuditEntry.from_row(r) for r in conn.execute(stmt)]
