"""Transactions as the sandbox remembers them, and the money rules between them.

A chain starts with an authorization (or a sale = authorization + capture in one call, or a
stand-alone credit) whose id is the chain's ``root_id``. Captures hang off the authorization,
refunds off a capture, a sale or the authorization, reversals off the authorization, voids
off whatever they void.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from .store import from_json, to_json, transactions

#: Kinds that move money at batch close, and what they are called in reports / TSS.
SETTLING = frozenset({"sale", "capture", "refund", "credit"})
PURCHASES = frozenset({"sale", "capture"})
CREDITS = frozenset({"refund", "credit"})
LIVE_SETTLE = ("PENDING", "TRANSMITTED")


@dataclass
class Txn:
    id: str
    kind: str
    root_id: str
    parent_id: str | None
    status: str
    amount: Decimal
    currency: str
    code: str | None
    client_txn_id: str | None
    submit_time: str
    reconciliation_id: str | None = None
    reason: str | None = None
    decision: str | None = None
    batch_id: str | None = None
    batch_date: str | None = None
    card_type: str | None = None
    card_bin: str | None = None
    card_suffix: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        """A capture/refund/sale/credit that still counts (not voided)."""
        return self.status in LIVE_SETTLE

    def row(self) -> dict[str, Any]:
        cols = {k: v for k, v in self.__dict__.items() if k != "data"}
        cols["amount"] = str(self.amount)
        cols["data"] = to_json(self.data)
        return cols


def _from_row(row: Any) -> Txn:
    m = dict(row._mapping)
    m["amount"] = Decimal(m["amount"])
    m["data"] = from_json(m["data"])
    return Txn(**m)


def insert(conn: Connection, txn: Txn) -> Txn:
    conn.execute(transactions.insert(), txn.row())  # parameters, not .values(): cached SQL
    return txn


def update(conn: Connection, txn: Txn, **cols: Any) -> None:
    for k, v in cols.items():
        setattr(txn, k, v)
    values = {k: (to_json(v) if k == "data" else v) for k, v in cols.items()}
    conn.execute(transactions.update().where(transactions.c.id == txn.id).values(**values))


def get(conn: Connection, txn_id: str) -> Txn | None:
    row = conn.execute(select(transactions).where(transactions.c.id == txn_id)).first()
    return _from_row(row) if row else None


def chain(conn: Connection, root_id: str) -> list[Txn]:
    rows = conn.execute(
        select(transactions)
        .where(transactions.c.root_id == root_id)
        .order_by(transactions.c.submit_time, transactions.c.id)
    )
    return [_from_row(r) for r in rows]


def by_client_txn_id(conn: Connection, client_txn_id: str, kinds: set[str]) -> Txn | None:
    """The latest transaction of ``kinds`` sent with this client transactionId."""
    row = conn.execute(
        select(transactions)
        .where(transactions.c.client_txn_id == client_txn_id)
        .where(transactions.c.kind.in_(sorted(kinds)))
        .order_by(transactions.c.submit_time.desc())
    ).first()
    return _from_row(row) if row else None


def query(conn: Connection, stmt: Any) -> list[Txn]:
    return [_from_row(r) for r in conn.execute(stmt)]


def captured_total(links: list[Txn], auth: Txn) -> Decimal:
    """What has been captured (and not voided) on an authorization's chain."""
    total = sum((t.amount for t in links if t.kind == "capture" and t.live), Decimal(0))
    if auth.kind == "sale" and auth.live:
        total += auth.amount
    return total


def refunded_total(links: list[Txn], parent_id: str | None = None) -> Decimal:
    return sum(
        (
            t.amount
            for t in links
            if t.kind == "refund" and t.live and (parent_id is None or t.parent_id == parent_id)
        ),
        Decimal(0),
    )


def refundable(links: list[Txn], target: Txn) -> Decimal:
    """Largest refund allowed against ``target`` (a capture, a sale or an authorization)."""
    root = next((t for t in links if t.id == target.root_id), target)
    chain_left = captured_total(links, root) - refunded_total(links)
    if target.kind in PURCHASES:
        own_left = (target.amount if target.live else Decimal(0)) - refunded_total(links, target.id)
        return min(own_left, chain_left)
    return chain_left
