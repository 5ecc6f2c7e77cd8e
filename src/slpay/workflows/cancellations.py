"""SL order cancelled → release the card: reversal before capture, void the same day.

An ``sl.order_cancelled`` event (SOHeader.Cancelled = 1, read by the signals pass of
:mod:`.sl_refunds`; resource ``<CpnyID>:<OrdNbr>``) is handled by :func:`on_cancelled`:

- nothing captured: the authorization is **reversed** (transactionId ``slrv<hash>``, searched
  first so a re-run never reverses twice); SL's order is already cancelled, the reversal is
  recorded under ``<reversal id>:reversal`` (the reversal's webhook then finds it written);
- captures still in today's batch (status PENDING) with no refund: each is **voided**
  (``slvd<hash of the capture>``) and SL gets the documents of a refund before invoicing
  (card-refund DM ``<void id>:void``, the PP applied to it once released);
- captures already settled: a ``review`` task (refund them with a credit memo instead);
- an order slpay itself cancelled (declined, fully refunded) has nothing left: no call.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import select

from slpay.connectors.cybersource.requests import build_reversal_request, build_void_request
from slpay.connectors.dynamics_sl.models import OrderChange, SLDocument
from slpay.store import tasks
from slpay.store.inbox import InboxEvent
from slpay.store.schema import xref as xref_table
from slpay.workflows.context import Deps
from slpay.workflows.o2c import Plan
from slpay.workflows.refunds import (
    Handler,
    MoneyBack,
    live,
    record_money_back,
    refundable,
    transactions_of,
)

SL_CANCELLED = "sl.order_cancelled"


def _tid(prefix: str, key: str) -> str:
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:20]


def _authorization(d: Deps, ord_nbr: str) -> tuple[str, str] | None:
    x = xref_table.c
    stmt = select(x.transaction_id, x.order_number).where(
        x.operation == "authorize", x.sl_ord_nbr == ord_nbr
    )
    with d.hub.connect() as conn:
        row = conn.execute(stmt).first()
    return (str(row.transaction_id), str(row.order_number or "")) if row is not None else None


def _found(d: Deps, tid: str) -> str | None:
    hits = d.cs.search(f"clientReferenceInformation.transactionId:{tid}", limit=1).transactions
    return hits[0].id if hits else None


def on_cancelled(d: Deps, event: InboxEvent, plan: Plan) -> list[SLDocument]:
    """Reverse or void what the cancelled order still holds on the card."""
    ord_nbr = str(event.payload.get("ord_nbr") or event.resource_id.partition(":")[2])
    found = _authorization(d, ord_nbr)
    if found is None:
        plan.evidence.update(cancelled=ord_nbr, card="no card payment known")
        return []
    auth_id, plan.order_number = found
    plan.evidence.update(authorization=auth_id, cancelled=ord_nbr)
    txns = transactions_of(d, auth_id)
    auth = next((t for t in txns if t.kind == "auth"), None)
    captures, refunds = live(txns, "capture"), live(txns, "refund")
    if not captures:
        if auth is None or auth.status != "AUTHORIZED" or auth.amount is None:
            return []  # declined, rejected or already reversed: nothing is held
        tid = _tid("slrv", auth_id)
        reversal_id = (
            _found(d, tid)
            or d.cs.reverse(
                auth_id,
                build_reversal_request(auth.amount, code=auth.code or None, transaction_id=tid),
            ).id
        )
        plan.evidence.update(reversal=reversal_id)
        change = OrderChange(
            key=f"{reversal_id}:reversal", ord_nbr=ord_nbr, cancelled=True, label="Cancelled"
        )
        return [d.writer.change_order(change)]
    if refundable(txns) <= 0:
        return []  # refunded in full already (slpay may have cancelled the order itself)
    docs: list[SLDocument] = []
    settled = [c for c in captures if c.status != "PENDING" or refunds]
    for cap in (c for c in captures if c not in settled and c.amount is not None):
        tid = _tid("slvd", cap.id)
        void_id = _found(d, tid) or _void(d, cap.id, auth_id, cap.code, tid)
        assert cap.amount is not None
        mb = MoneyBack(void_id, "void", cap.amount, auth_id, datetime.now(UTC))
        docs += record_money_back(d, plan, mb)
    if settled:
        with d.hub.begin() as conn:
            tasks.open_task(
                conn,
                "review",
                f"cancelled:{ord_nbr}",
                f"order {ord_nbr} was cancelled in SL but {len(settled)} capture(s) are settled "
                "or partly refunded: refund them with a credit memo flagged for card refund",
                {"order_number": plan.order_number, "captures": [c.id for c in settled]},
            )
    return docs


def _void(d: Deps, capture_id: str, auth_id: str, code: str, tid: str) -> str:
    request = build_void_request(code=code or None, transaction_id=tid)
    if capture_id == auth_id:  # a sale: the payment itself is voided
        return d.cs.void_payment(capture_id, request).id or ""
    return d.cs.void_capture(capture_id, request).id or ""


HANDLERS: dict[str, Handler] = {SL_CANCELLED: on_cancelled}
