"""Chargebacks: Cybersource's chargeback report (or an operator's decision) → SL.

:func:`poll_chargebacks` reads ``/reporting/v3/chargeback-details`` over the last
``workflows.sweep_window_minutes`` (at least two days) into the inbox: a ``Chargeback`` row
is ``chargeback.received``, ``Representment Won`` is ``chargeback.won``, ``Final Chargeback``
is ``chargeback.lost`` — resource = the chargeback's tracking number. An operator decides with
``slpay chargebacks resolve ID --won|--lost`` (:func:`decide`): the same event, source
``operator``, under the same dedupe key, so the report's later row is a duplicate.

- received → an 08.010 DM to the customer (line: clearing, key ``<cb>:chargeback``) and a
  ``chargeback`` task carrying the evidence (report row, order, SL document);
- won → an 08.030 PA on clearing applied to that DM (``<cb>:chargeback-won``); waits until
  the DM is released;
- lost → an 08.010 CM on Chargeback losses (``<cb>:chargeback-lost``), applied to the DM once
  both are released (``<cb>:apply``, see :func:`.refunds.apply_pending`).

A second, contrary decision is refused (parked with the reason).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, select

from slpay.connectors.dynamics_sl.models import (
    Application,
    CustomerRef,
    MemoInput,
    NotReleasedError,
    PaymentInput,
    SLDocument,
)
from slpay.domain.money import Money
from slpay.errors import PermanentError, TransientError
from slpay.store import tasks
from slpay.store.inbox import InboxEvent, NewEvent, insert_events
from slpay.store.schema import inbox
from slpay.workflows.context import Deps
from slpay.workflows.o2c import Plan
from slpay.workflows.refunds import Handler, _known, _sales_order
from slpay.workflows.sl_state import document

RECEIVED, WON, LOST = "chargeback.received", "chargeback.won", "chargeback.lost"
_ACTIONS = {"chargeback": RECEIVED, "representment won": WON, "final chargeback": LOST}


def _new(
    org: str,
    event_type: str,
    cb_id: str,
    payload: dict[str, Any],
    origin: Literal["report", "operator"],
) -> NewEvent:
    return NewEvent(
        dedupe_key=f"{org}|{event_type}|{cb_id}",
        organization_id=org,
        event_type=event_type,
        resource_id=cb_id,
        payload={**payload, "origin": origin},
        source=origin,
    )


def _insert_missing(hub: Engine, candidates: list[NewEvent]) -> int:
    if not candidates:
        return 0
    with hub.begin() as conn:
        keys = [c.dedupe_key for c in candidates]
        stmt = select(inbox.c.dedupe_key).where(inbox.c.dedupe_key.in_(keys))
        known = set(conn.execute(stmt).scalars())
        missing = [c for c in candidates if c.dedupe_key not in known]
        return sum(insert_events(conn, missing)) if missing else 0


def poll_chargebacks(d: Deps, *, now: datetime | None = None) -> int:
    """Read the chargeback report into the inbox; how many events were new."""
    now = now or datetime.now(UTC)
    window = timedelta(minutes=max(d.settings.workflows.sweep_window_minutes, 2 * 24 * 60))
    found = d.cs.chargeback_details(now - window, now + timedelta(days=1))
    candidates = []
    for row in found.chargeback_details or []:
        event_type = _ACTIONS.get((row.action or "").lower())
        if event_type and row.tracking_number:
            payload = row.model_dump(by_alias=True, exclude_none=True, mode="json")
            org = d.organization_id
            candidates.append(_new(org, event_type, row.tracking_number, payload, "report"))
    return _insert_missing(d.hub, candidates)


def decide(d: Deps, chargeback_id: str, *, won: bool, note: str = "") -> bool:
    """An operator's decision, queued as the won/lost event; False if already queued."""
    return queue_decision(d.hub, d.organization_id, chargeback_id, won=won, note=note)


def queue_decision(hub: Engine, org: str, chargeback_id: str, *, won: bool, note: str = "") -> bool:
    """:func:`decide` with only the hub store (``slpay chargebacks resolve``)."""
    event_type = WON if won else LOST
    payload = {"trackingNumber": chargeback_id, "decidedBy": "operator", "note": note}
    return _insert_missing(hub, [_new(org, event_type, chargeback_id, payload, "operator")]) == 1


def _dm(d: Deps, cb: str) -> tuple[Any, Any]:
    """The chargeback's DM xref and SL state; waits while the chargeback is not recorded."""
    dm = _known(d, cb, "chargeback")
    if dm is None or not dm.sl_ref_nbr:
        raise TransientError(
            f"chargeback {cb} is not recorded in SL yet", system="slpay", operation="chargeback"
        )
    return dm, document(d.writer.engine, dm.sl_cust_id or "", "DM", dm.sl_ref_nbr)


def on_received(d: Deps, event: InboxEvent, plan: Plan) -> list[SLDocument]:
    """The DM to the customer and the chargeback task."""
    p, cb = event.payload, event.resource_id
    txn = d.cs.get_transaction(str(p["requestId"]))
    so = _sales_order(d, plan, txn.root_id or str(p["requestId"]))
    amount = Money.of(str(p["amount"]), str(p["currencyCode"]))
    acc = d.settings.sl.accounts
    memo = MemoInput(
        key=f"{cb}:chargeback",
        doc_type="DM",
        customer=CustomerRef(cust_id=so.cust_id),
        amount=amount,
        date=datetime.now(UTC),
        line_acct=acc.clearing_acct,
        line_sub=acc.clearing_sub,
        description=f"Chargeback {cb}"[:30],
        cyber_id=str(p["requestId"]),
        order_nbr=so.ord_nbr,
        cust_ord_nbr=plan.order_number[:25],
    )
    (doc,) = d.writer.write_memos([memo])
    plan.evidence.update(chargeback=cb, capture=str(p["requestId"]))
    with d.hub.begin() as conn:
        tasks.open_task(
            conn,
            "chargeback",
            f"chargeback:{cb}",
            f"chargeback {cb} of {amount} on order {plan.order_number} (reason "
            f"{p.get('reasonCode', '?')}): answer it, then `slpay chargebacks resolve {cb} "
            "--won|--lost`",
            {
                "report": p,
                "order_number": plan.order_number,
                "dm": doc.ref_nbr,
                "customer": so.cust_id,
            },
        )
    return [doc]


def _decided(d: Deps, cb: str, plan: Plan, outcome: str) -> None:
    other = "chargeback-lost" if outcome == "won" else "chargeback-won"
    if _known(d, cb, other) is not None:
        raise PermanentError(
            f"chargeback {cb} was already decided {other.split('-')[1]}",
            system="slpay",
            operation=f"chargeback-{outcome}",
        )
    plan.evidence.update(chargeback=cb, outcome=outcome)


def _close_task(d: Deps, cb: str, note: str) -> None:
    with d.hub.begin() as conn:
        for t in tasks.list_tasks(conn, kind="chargeback"):
            if t.key == f"chargeback:{cb}":
                tasks.resolve_task(conn, t.id, note)


def on_won(d: Deps, event: InboxEvent, plan: Plan) -> list[SLDocument]:
    """A PA on clearing applied to the chargeback DM (once the DM is released)."""
    cb = event.resource_id
    _decided(d, cb, plan, "won")
    dm, state = _dm(d, cb)
    plan.order_number = dm.order_number or ""
    if state is None or not state.released:
        raise NotReleasedError(
            f"release DM {dm.sl_ref_nbr} in SL", documents=(f"DM {dm.sl_ref_nbr}",)
        )
    amount = Money.of(str(state.cury_doc_bal), _currency(d, dm))
    payment = PaymentInput(
        key=f"{cb}:chargeback-won",
        customer=CustomerRef(cust_id=dm.sl_cust_id),
        amount=amount,
        date=datetime.now(UTC),
        cyber_id=dm_cyber(d, cb),
        order_nbr=dm.sl_ord_nbr or "",
        doc_type="PA",
        applications=(Application("DM", dm.sl_ref_nbr),),
        description=f"Chargeback won {cb}"[:30],
    )
    doc = d.writer.write_payment(payment)
    _close_task(d, cb, f"won: PA {doc.ref_nbr} applied to DM {dm.sl_ref_nbr}")
    return [doc]


def on_lost(d: Deps, event: InboxEvent, plan: Plan) -> list[SLDocument]:
    """A CM on Chargeback losses; applied to the DM once both are released."""
    cb = event.resource_id
    _decided(d, cb, plan, "lost")
    dm, state = _dm(d, cb)
    plan.order_number = dm.order_number or ""
    amount = Money.of(str(state.cury_doc_bal if state else dm.amount), _currency(d, dm))
    acc = d.settings.sl.accounts
    memo = MemoInput(
        key=f"{cb}:chargeback-lost",
        doc_type="CM",
        customer=CustomerRef(cust_id=dm.sl_cust_id),
        amount=amount,
        date=datetime.now(UTC),
        line_acct=acc.chargeback_loss_acct,
        line_sub=acc.chargeback_loss_sub,
        description=f"Chargeback lost {cb}"[:30],
        cyber_id=dm_cyber(d, cb),
        order_nbr=dm.sl_ord_nbr or "",
    )
    (doc,) = d.writer.write_memos([memo])
    _close_task(d, cb, f"lost: CM {doc.ref_nbr} on chargeback losses")
    return [doc]


def _currency(d: Deps, dm: Any) -> str:
    with d.hub.connect() as conn:
        for t in tasks.list_tasks(conn, open_only=False, kind="chargeback"):
            if t.key == f"chargeback:{dm.transaction_id}":
                return str(t.evidence["report"]["currencyCode"])
    return "USD"


def dm_cyber(d: Deps, cb: str) -> str:
    """The disputed transaction id (kept in the DM's Cybersource-id field)."""
    with d.hub.connect() as conn:
        for t in tasks.list_tasks(conn, open_only=False, kind="chargeback"):
            if t.key == f"chargeback:{cb}":
                return str(t.evidence["report"].get("requestId", ""))
    return ""


HANDLERS: dict[str, Handler] = {RECEIVED: on_received, WON: on_won, LOST: on_lost}
