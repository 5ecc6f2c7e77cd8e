"""Batch close and the settlement figures the reports are built from.

Closing day D moves every PENDING capture, sale, refund and credit submitted before the end of
D to TRANSMITTED with a batch id and batch date D. Funding is modelled on the batch date:
net funding for a window covers the batches dated inside it. Fees come from the configured
schedule, per settled purchase. Report tampering (``cs_report_tampers``) is applied here, so
every report reads one consistent, possibly doctored, picture.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy import update as sa_update

from slpay.domain.money import quantum

from . import ledger
from .config import SandboxConfig
from .ledger import Txn
from .store import batches, chargebacks, from_json, stamp, tampers, transactions
from .wire import CARD_TYPES, new_numeric

ROW_ACTIONS = frozenset({"drop", "duplicate", "alter_amount", "delay"})
FUNDING_ACTIONS = frozenset({"fees", "net_total", "missing_net_funding"})


def q(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def close_day(conn: Connection, day: date, now: datetime) -> dict[str, Any]:
    """Close the batch for ``day``; returns what was closed."""
    end = stamp(datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo))
    batch_id = new_numeric(10)
    result = conn.execute(
        sa_update(transactions)
        .where(
            transactions.c.kind.in_(sorted(ledger.SETTLING)),
            transactions.c.status == "PENDING",
            transactions.c.submit_time < end,
        )
        .values(status="TRANSMITTED", batch_id=batch_id, batch_date=day.isoformat())
    )
    conn.execute(
        batches.insert().values(batch_id=batch_id, batch_date=day.isoformat(), closed_at=stamp(now))
    )
    return {
        "batchId": batch_id,
        "batchDate": day.isoformat(),
        "reportDate": (day + timedelta(days=1)).isoformat(),
        "transactions": result.rowcount,
    }


def batch_days(conn: Connection, start: date, end: date) -> list[str]:
    rows = conn.execute(
        select(batches.c.batch_date)
        .where(batches.c.batch_date >= start.isoformat(), batches.c.batch_date < end.isoformat())
        .distinct()
    )
    return sorted(r[0] for r in rows)


def settled(conn: Connection, days: list[str]) -> list[Txn]:
    if not days:
        return []
    return ledger.query(
        conn,
        select(transactions)
        .where(transactions.c.batch_date.in_(days), transactions.c.status == "TRANSMITTED")
        .order_by(transactions.c.batch_date, transactions.c.submit_time, transactions.c.id),
    )


def tamper_rows(conn: Connection, days: list[str] | None = None) -> list[Any]:
    stmt = select(tampers).order_by(tampers.c.id)
    if days is not None:
        stmt = stmt.where(tampers.c.day.in_(days))
    return list(conn.execute(stmt))


@dataclass
class ReportRow:
    txn: Txn
    amount: Decimal


def batch_detail_rows(conn: Connection, day: date) -> list[ReportRow] | None:
    """Rows of the Payment Batch Detail report for batch date ``day`` (None: not available)."""
    d = day.isoformat()
    if not conn.execute(select(batches.c.batch_id).where(batches.c.batch_date == d)).first():
        return None
    all_tampers = tamper_rows(conn)
    if any(t.day == d and t.action == "delay" and not t.request_id for t in all_tampers):
        return None
    rows = [ReportRow(t, t.amount) for t in settled(conn, [d])]
    delayed_here: list[str] = []
    for t in all_tampers:
        if t.action != "delay" or not t.request_id:
            continue
        days = int(from_json(t.params).get("days", 1))
        shown_on = (date.fromisoformat(t.day) + timedelta(days=days)).isoformat()
        if t.day == d:
            rows = [r for r in rows if r.txn.id != t.request_id]
        if shown_on == d:
            delayed_here.append(t.request_id)
    if delayed_here:
        late = ledger.query(conn, select(transactions).where(transactions.c.id.in_(delayed_here)))
        rows += [ReportRow(t, t.amount) for t in late]
    for t in all_tampers:
        if t.day != d or t.action not in ("drop", "duplicate", "alter_amount"):
            continue
        targets = [r for r in rows if r.txn.id == t.request_id] or rows[:1]
        if not targets:
            continue
        if t.action == "drop":
            rows.remove(targets[0])
        elif t.action == "duplicate":
            rows.insert(rows.index(targets[0]) + 1, ReportRow(targets[0].txn, targets[0].amount))
        else:
            targets[0].amount = Decimal(str(from_json(t.params).get("amount", targets[0].amount)))
    return rows


def sub_type(card_type: str | None) -> str:
    return CARD_TYPES.get(card_type or "", ("VI", "Visa"))[0]


@dataclass
class Totals:
    purchases: Decimal = Decimal(0)
    purchase_count: int = 0
    refunds: Decimal = Decimal(0)
    refund_count: int = 0
    chargebacks: Decimal = Decimal(0)
    chargeback_count: int = 0
    fees: Decimal = Decimal(0)
    net_delta: Decimal = Decimal(0)
    by_sub_type: dict[tuple[str, str], list[Decimal]] = field(default_factory=dict)

    def net(self) -> Decimal:
        return self.purchases - self.refunds - self.chargebacks - self.fees + self.net_delta


def funding(
    conn: Connection, config: SandboxConfig, start: date, end: date
) -> dict[str, Totals] | None:
    """Per-currency settlement totals for batch dates in [start, end) (None: nothing there)."""
    days = batch_days(conn, start, end)
    window_tampers = tamper_rows(conn, days)
    days = [
        d
        for d in days
        if not any(t.day == d and t.action == "missing_net_funding" for t in window_tampers)
    ]
    totals: dict[str, Totals] = defaultdict(Totals)
    for txn in settled(conn, days):
        tot = totals[txn.currency]
        key = ("PURCHASES" if txn.kind in ledger.PURCHASES else "REFUNDS", sub_type(txn.card_type))
        agg = tot.by_sub_type.setdefault(key, [Decimal(0), Decimal(0)])
        agg[0] += 1
        agg[1] += txn.amount
        if txn.kind in ledger.PURCHASES:
            tot.purchases += txn.amount
            tot.purchase_count += 1
            rule = config.fee_rule(txn.currency, sub_type(txn.card_type))
            tot.fees += q(txn.amount * rule.percent / 100 + rule.per_item, txn.currency)
        else:
            tot.refunds += txn.amount
            tot.refund_count += 1
    lo, hi = start.isoformat(), end.isoformat()
    for cb in conn.execute(select(chargebacks)):
        if lo <= cb.day < hi:
            totals[cb.currency].chargebacks += Decimal(cb.amount)
            totals[cb.currency].chargeback_count += 1
        if cb.outcome == "won" and cb.outcome_day and lo <= cb.outcome_day < hi:
            totals[cb.currency].chargebacks -= Decimal(cb.amount)
            totals[cb.currency].chargeback_count += 1
    for t in window_tampers:
        params = from_json(t.params)
        cur = str(params.get("currency", "")).upper()
        if t.action == "fees" and cur in totals:
            totals[cur].fees = Decimal(str(params.get("value", "0")))
        elif t.action == "net_total" and cur in totals:
            totals[cur].net_delta += Decimal(str(params.get("delta", "0")))
    return dict(totals) if (days or totals) else None
