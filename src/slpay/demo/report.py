"""What the demo shows at the end: one row per order, the totals, the operator's tasks.

Everything is read back from the three systems (the hub's store, SL, Cybersource), never from
what the scenario meant to do, so the summary shows what really happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.demo.context import Context
from slpay.demo.sl_acts import sl_order
from slpay.errors import SlpayError
from slpay.store.schema import xref
from slpay.store.tasks import Task, list_tasks
from slpay.workflows.refunds import money_back_summary


@dataclass(frozen=True)
class OrderRow:
    order: str
    customer: str
    cybersource: str
    so: str
    payment: str
    batch: str
    state: str


def _xrefs(ctx: Context, number: str) -> dict[str, Any]:
    with ctx.env.hub.deps.hub.connect() as conn:
        rows = conn.execute(select(xref).where(xref.c.order_number == number)).all()
    return {r.operation: r for r in rows}


def _so(ctx: Context, ord_nbr: str) -> dict[str, Any]:
    h, c = sl.SOHeader.c, sl.Customer.c
    stmt = (
        select(h.CustID, h.AdminHold, h.Cancelled, h.Status, c.Name)
        .join(sl.Customer, c.CustId == h.CustID, isouter=True)
        .where(h.OrdNbr == ord_nbr)
    )
    with ctx.env.sl.connect() as conn:
        row = conn.execute(stmt).first()
    return dict(row._mapping) if row is not None else {}


def _batch_released(ctx: Context, bat_nbr: str) -> bool:
    b = sl.Batch.c
    stmt = select(b.Rlsed).where(b.Module == "AR", b.BatNbr == bat_nbr)
    with ctx.env.sl.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0) == 1


def _cs_status(ctx: Context, transaction_id: str) -> str:
    if not transaction_id:
        return "-"
    try:
        return str(ctx.shop.cs.get_transaction(transaction_id).status or "?")
    except SlpayError:
        return "?"


def _state(so: dict[str, Any], x: dict[str, Any], batch_released: bool) -> str:
    if not so:
        return "not in SL"
    if int(so["Cancelled"]) == 1:
        return "cancelled"
    if int(so["AdminHold"]) == 1:
        return "on hold (review)"
    capture = x.get("capture")
    if capture is None:
        return "authorized, not captured"
    if "apply" in x:
        return "paid (PP applied to the invoice)"
    if not batch_released:
        return f"{capture.sl_doc_type} posted, unreleased"
    return f"{capture.sl_doc_type} released, not invoiced"


def order_rows(ctx: Context) -> list[OrderRow]:
    """One row per order the scenario placed, read back from the hub, SL and Cybersource."""
    rows = []
    for number, placed in ctx.placed.items():
        x = _xrefs(ctx, number)
        auth = x.get("authorize")
        ord_nbr = sl_order(ctx, number)
        so = _so(ctx, ord_nbr) if ord_nbr else {}
        capture = x.get("capture")
        batch = (capture.sl_bat_nbr or "") if capture is not None else ""
        released = bool(batch) and _batch_released(ctx, batch)
        customer = f"{read_char(so['CustID'])} {read_char(so['Name'] or '')}" if so else "-"
        auth_id = auth.transaction_id if auth is not None else placed.payment_id
        rows.append(
            OrderRow(
                order=number,
                customer=customer.replace("~", ", "),
                cybersource=_cs_status(ctx, auth_id),
                so=ord_nbr or "-",
                payment=f"{capture.sl_doc_type} {capture.sl_ref_nbr}" if capture else "-",
                batch=(batch + ("" if released else " (unreleased)")) if batch else "-",
                state=_state(so, x, released),
            )
        )
    return rows


def unreleased_batches(ctx: Context) -> list[str]:
    """AR batches slpay wrote that SL users have not released (left for inspection)."""
    with ctx.env.hub.deps.hub.connect() as conn:
        ours = {str(b) for b in conn.execute(select(xref.c.sl_bat_nbr).distinct()).scalars() if b}
    b = sl.Batch.c
    stmt = select(b.BatNbr).where(b.Module == "AR", b.Rlsed == 0)
    with ctx.env.sl.connect() as conn:
        pending = {read_char(n) for n in conn.execute(stmt).scalars()}
    return sorted(ours & pending)


def open_tasks(ctx: Context) -> list[Task]:
    with ctx.env.hub.deps.hub.connect() as conn:
        return list_tasks(conn)


def result(ctx: Context) -> dict[str, Any]:
    """The ``--json`` object: DESIGN.md's keys, then what the demo left for inspection."""
    tasks = open_tasks(ctx)
    kinds: dict[str, int] = {}
    for t in tasks:
        kinds[t.kind] = kinds.get(t.kind, 0) + 1
    return {
        **ctx.env.hub.summary(),
        **money_back_summary(ctx.env.hub.deps),
        "injected": dict(ctx.injected),
        "observed": dict(ctx.observed),
        "unreleased_batches": unreleased_batches(ctx),
        "open_tasks": kinds,
        "skipped": list(ctx.skipped),
    }


def print_summary(ctx: Context, out: dict[str, Any], console: Console) -> None:
    """The readable summary: orders, totals, operator tasks, notes."""
    table = Table(title="Orders through the hub (Cybersource → slpay → SL)")
    for col in ("order", "customer", "Cybersource", "SL SO", "SL payment", "batch", "state"):
        table.add_column(col)
    for r in order_rows(ctx):
        table.add_row(r.order, r.customer, r.cybersource, r.so, r.payment, r.batch, r.state)
    console.print(table)
    totals = Table(title="Totals")
    totals.add_column("key")
    totals.add_column("value", justify="right")
    for key, value in out.items():
        if isinstance(value, int):
            totals.add_row(key, str(value))
    console.print(totals)
    tasks = open_tasks(ctx)
    if tasks:
        t = Table(title="Operator tasks (slpay tasks)")
        for col in ("id", "kind", "key", "reason"):
            t.add_column(col)
        for task in tasks:
            t.add_row(str(task.id), task.kind, task.key, task.reason)
        console.print(t)
    for note in ctx.notes:
        console.print(f"• {note}")
    if out["unreleased_batches"]:
        console.print(f"Left unreleased for inspection: AR batches {out['unreleased_batches']}")
    for skipped in ctx.skipped:
        console.print(f"[yellow]skipped:[/yellow] {skipped}")
