"""Cross-references: Cybersource transaction id + operation ↔ order number ↔ SL references.

One row per business key (transaction id, operation) — DESIGN.md "Keys". Recording the same
key again fills in what is new (an SL reference learned later) without erasing what was known.
Amounts are kept as Decimal text with their currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from slpay.store.schema import xref

_REFS = (
    "organization_id",
    "order_number",
    "currency",
    "amount",
    "sl_doc_type",
    "sl_ref_nbr",
    "sl_bat_nbr",
    "sl_cust_id",
    "sl_ord_nbr",
)


@dataclass(frozen=True)
class Xref:
    transaction_id: str
    operation: str
    organization_id: str | None = None
    order_number: str | None = None
    currency: str | None = None
    amount: Decimal | None = None
    sl_doc_type: str | None = None
    sl_ref_nbr: str | None = None
    sl_bat_nbr: str | None = None
    sl_cust_id: str | None = None
    sl_ord_nbr: str | None = None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Xref:
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        if values["amount"] is not None:
            values["amount"] = Decimal(values["amount"])
        return cls(**values)


def record_xref(conn: Connection, ref: Xref, *, now: datetime | None = None) -> None:
    """Insert or complete the row for (transaction id, operation); known values are kept."""
    now = now or datetime.now(UTC)
    values: dict[str, Any] = {name: getattr(ref, name) for name in _REFS}
    if ref.amount is not None:
        values["amount"] = str(ref.amount)
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(xref).values(
        transaction_id=ref.transaction_id,
        operation=ref.operation,
        created_at=now,
        updated_at=now,
        **values,
    )
    # New non-null values win; a null never erases a reference learned earlier.
    updates: dict[str, Any] = {
        name: func.coalesce(stmt.excluded[name], xref.c[name]) for name in _REFS
    }
    updates["updated_at"] = now
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["transaction_id", "operation"], set_=updates)
    )


def record_xrefs(conn: Connection, refs: Sequence[Xref], *, now: datetime | None = None) -> int:
    """:func:`record_xref` for many rows in one executemany (a micro-batch's finish step).

    The same (transaction id, operation) twice is merged first, later non-null values
    winning, as two calls would leave it; returns how many rows were written."""
    now = now or datetime.now(UTC)
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for ref in refs:
        values: dict[str, Any] = {name: getattr(ref, name) for name in _REFS}
        if ref.amount is not None:
            values["amount"] = str(ref.amount)
        row = merged.setdefault((ref.transaction_id, ref.operation), dict.fromkeys(_REFS))
        row.update({k: v for k, v in values.items() if v is not None})
    if not merged:
        return 0
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(xref)
    updates: dict[str, Any] = {
        name: func.coalesce(stmt.excluded[name], xref.c[name]) for name in _REFS
    }
    updates["updated_at"] = stmt.excluded.updated_at
    rows = [
        {"transaction_id": txn, "operation": op, "created_at": now, "updated_at": now, **values}
        for (txn, op), values in merged.items()
    ]
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["transaction_id", "operation"], set_=updates),
        rows,
    )
    return len(rows)


def find_xrefs(
    conn: Connection,
    *,
    transaction_id: str | None = None,
    order_number: str | None = None,
    sl_ref_nbr: str | None = None,
) -> list[Xref]:
    """Rows matching any of the given identifiers (``slpay trace`` starts here)."""
    conds = []
    if transaction_id is not None:
        conds.append(xref.c.transaction_id == transaction_id)
    if order_number is not None:
        conds.append(xref.c.order_number == order_number)
    if sl_ref_nbr is not None:
        conds.append(xref.c.sl_ref_nbr == sl_ref_nbr)
    if not conds:
        return []
    stmt = select(xref).where(or_(*conds)).order_by(xref.c.id)
    return [Xref.from_row(r) for r in conn.execute(stmt)]
