"""What the demo reads from SL and the hub's store, and the SL users' acts it plays."""

from __future__ import annotations

import contextlib

from sqlalchemy import func, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.demo.context import Context
from slpay.errors import SlpayError
from slpay.sandbox.sl import users
from slpay.sandbox.sl.release import release_all
from slpay.store.schema import inbox, xref


def capture_on_ship_available(ctx: Context) -> bool:
    """Whether this hub captures on shipment (issue 4, auth-only merchants): the build has
    the hub's shipping loop and the settings turn it on."""
    from slpay.workflows.hub import Hub

    has_loop = callable(getattr(Hub, "capture_shipments", None))
    return has_loop and ctx.env.settings.workflows.capture_on_ship


def sl_order(ctx: Context, number: str) -> str:
    """SL's OrdNbr of an eCommerce order number ('' when SL has no such order)."""
    h = sl.SOHeader.c
    with ctx.env.sl.connect() as conn:
        found = conn.execute(select(h.OrdNbr).where(h.CustOrdNbr == number)).scalar()
    return read_char(found) if found is not None else ""


def captures_of(ctx: Context, number: str) -> list[str]:
    """Capture ids the hub recorded for an order."""
    x = xref.c
    stmt = select(x.transaction_id).where(x.order_number == number, x.operation == "capture")
    with ctx.env.hub.deps.hub.connect() as conn:
        return [str(t) for t in conn.execute(stmt).scalars()]


def deferred_events(ctx: Context) -> int:
    """Inbox events waiting for another attempt after a failed one (e.g. SL unavailable)."""
    i = inbox.c
    stmt = select(func.count()).select_from(inbox).where(i.status == "new", i.attempts > 0)
    with ctx.env.hub.deps.hub.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def _ship_and_invoice(ctx: Context, number: str) -> str | None:
    ord_nbr = sl_order(ctx, number)
    if not ord_nbr:
        return None
    # Already shipped in full is fine: the auth-only orders were shipped earlier.
    with contextlib.suppress(SlpayError):
        users.ship(ctx.env.sl, ord_nbr)
    try:
        return users.invoice(ctx.env.sl, ord_nbr).ref_nbr
    except SlpayError as exc:
        ctx.note(f"{number}: SL could not invoice {ord_nbr}: {exc}")
        return None


def invoice_and_release(ctx: Context) -> None:
    """Ship and invoice every captured order, release, apply the PPs, release again."""
    invoiced = []
    for number in ctx.placed:
        if captures_of(ctx, number) and _ship_and_invoice(ctx, number):
            invoiced.append(number)
    ctx.note(f"SL users shipped and invoiced {len(invoiced)} paid orders")
    first = release_all(ctx.env.sl)
    applied = ctx.env.hub.apply_prepayments()
    second = release_all(ctx.env.sl)
    refused = [str(r) for r in (*first.refused, *second.refused)]
    ctx.note(
        f"SL released {len(first.released)} batches, slpay applied prepayments "
        f"{applied or {}}, SL released {len(second.released)} application batches"
    )
    for reason in refused:
        ctx.note(f"SL refused a batch: {reason}")
