"""Capture on shipment for auth-only merchants (``workflows.capture_on_ship``).

When SL users confirm a shipper (SOShipHeader.ShippingConfirmed = 1, DESIGN.md's "order
shipped" signal) for an order slpay wrote from an authorization, slpay captures the shipped
amount in Cybersource and feeds the capture into the inbox, where the order-to-cash path
writes its PP (or PA) exactly as for a capture announced by a webhook.

- :func:`capture_shipments` (the hub's ``shipping`` loop) polls the SL reader with a watermark
  kept in the store's ``control`` table (``shipping_since``) and starts one DBOS workflow per
  confirmed shipper, id ``ship:<authorization id>:<company>:<shipper>``: a shipper seen twice
  (overlapping polls, several processes) is captured once.
- **Amounts** come from SL only, so every process computes the same ones whatever the order
  of the work: shippers of an order are taken in ShipperID order; shipper *k* captures
  ``min(auth, shipped₁..ₖ) − min(auth, shipped₁..ₖ₋₁)`` — partial captures, never more than
  authorized — and the last shipper of a fully shipped order captures whatever of the
  authorization is left (rounding of per-line partial amounts never strands cents).
- **Never twice**: the capture carries ``clientReferenceInformation.transactionId`` derived
  from the workflow's key, and the capture step first searches Cybersource for it, so a step
  re-run after a crash finds the capture instead of sending another. An ambiguous outcome
  is resolved inside the connector (search, else timeout void).
- A capture Cybersource refuses (or one still unresolved) becomes a ``parked`` task keyed
  ``ship:<company>:<shipper>``; transient failures are retried by DBOS with backoff first.
- The fed inbox event has the webhook's own dedupe key, so the capture's webhook arriving
  later counts as a duplicate. Its inbox source is ``shipping`` (slpay's own capture, not a
  notification).

- Captures of the authorization made elsewhere (a Decision Manager review accepted with its
  capture, or the merchant capturing itself) are found in TSS under the authorization's rootId
  and taken off what the shipments may capture; a fully captured authorization is skipped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from slpay.connectors.cybersource.models.tss import query
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.connectors.dynamics_sl.reader import Watermark
from slpay.domain.money import Money
from slpay.errors import AmbiguousOutcome, PermanentError
from slpay.logs import get_logger
from slpay.store import audit, control, tasks
from slpay.store.inbox import NewEvent, insert_events
from slpay.store.schema import xref
from slpay.workflows.context import Deps, deps
from slpay.workflows.refunds import live, total, transactions_of
from slpay.workflows.runtime import Runtime, step, workflow

log = get_logger(__name__)

#: ``control`` flag holding the newest SOShipHeader change already polled (ISO time).
WATERMARK_FLAG = "shipping_since"
CAPTURE_EVENT = "payments.captures.accept"
#: Authorizations that cannot (or must not) be captured.
NOT_CAPTURABLE = frozenset(
    {
        "DECLINED", "AUTHORIZED_RISK_DECLINED", "AUTHORIZED_PENDING_REVIEW", "REVERSED",
        "VOIDED", "INVALID_REQUEST", "FAILED",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Shipment:
    """One confirmed shipper of an order slpay wrote from ``auth_id``."""

    auth_id: str
    cpny_id: str
    shipper_id: str
    sl_ord_nbr: str
    order_number: str

    @property
    def key(self) -> str:
        return f"ship:{self.cpny_id}:{self.shipper_id}"

    @property
    def workflow_id(self) -> str:
        return f"ship:{self.auth_id}:{self.cpny_id}:{self.shipper_id}"


@dataclass(frozen=True)
class CapturePlan:
    """What one shipment captures (``skip`` says why nothing is captured)."""

    shipment: Shipment
    amount: Money | None = None
    final: bool = False
    skip: str = ""


def transaction_id(shipment: Shipment) -> str:
    """The capture's ``clientReferenceInformation.transactionId`` (≤ 30 characters)."""
    digest = hashlib.sha256(shipment.workflow_id.encode()).hexdigest()[:24]
    return f"ship-{digest}"


# --- SL reads ---------------------------------------------------------------------------


def shipped_amounts(engine: Engine, cpny_id: str, ord_nbr: str) -> list[tuple[str, Decimal, str]]:
    """Confirmed shippers of an order in ShipperID order: (id, CuryTotInvc, currency)."""
    h = sl.SOShipHeader.c
    stmt = (
        select(h.ShipperID, h.CuryTotInvc, h.CuryID)
        .where(h.CpnyID == cpny_id, h.OrdNbr == ord_nbr, h.ShippingConfirmed == 1)
        .order_by(h.ShipperID)
    )
    with engine.connect() as conn:
        # SL's FLOAT → Decimal here, at the SL boundary; Money quantizes to the currency.
        return [
            (read_char(r.ShipperID), Decimal(str(r.CuryTotInvc)), read_char(r.CuryID))
            for r in conn.execute(stmt)
        ]


def open_quantity(engine: Engine, cpny_id: str, ord_nbr: str) -> Decimal:
    """Quantity of the order still to ship (0 when fully shipped)."""
    line = sl.SOLine.c
    stmt = select(func.sum(line.QtyOrd - line.QtyShip)).where(
        line.CpnyID == cpny_id, line.OrdNbr == ord_nbr
    )
    with engine.connect() as conn:
        left = conn.execute(stmt).scalar()
    return max(Decimal(str(left or 0)), Decimal(0))


def plan_amount(
    authorized: Money, shippers: list[tuple[str, Decimal]], shipper_id: str, final: bool
) -> Money:
    """Cumulative capping (see the module docstring); zero when nothing is left."""
    cur, before, through = authorized.currency, Money.of(0, authorized.currency), None
    total = Money.of(0, cur)
    for sid, amount in shippers:
        total = total + Money(amount, cur)
        capped = min(total, authorized)
        if sid == shipper_id:
            through = capped
            break
        before = capped
    if through is None:
        return Money.of(0, cur)
    return authorized - before if final else through - before


# --- workflow steps ---------------------------------------------------------------------


@step(retries=5, interval_s=1.0, backoff=2.0)
def plan_step(shipment: Shipment) -> CapturePlan:
    """Read the authorization and SL's shippers; decide the amount (checkpointed once)."""
    d = deps()
    details = d.cs.get_transaction(shipment.auth_id)
    status = (details.status or "").upper()
    if "ics_bill" in details.application_names:
        return CapturePlan(shipment, skip="the payment was a sale (already captured)")
    if status in NOT_CAPTURABLE:
        return CapturePlan(shipment, skip=f"the authorization is {status}")
    authorized = details.amount
    if authorized is None:
        return CapturePlan(shipment, skip="the authorization carries no amount")
    rows = shipped_amounts(d.writer.engine, shipment.cpny_id, shipment.sl_ord_nbr)
    elsewhere = captured_elsewhere(d, shipment, [sid for sid, _, _ in rows])
    if elsewhere > 0:
        authorized = authorized - Money(elsewhere, authorized.currency)
        if authorized.amount <= 0:
            reason = f"already captured outside shipping ({elsewhere} {authorized.currency})"
            return CapturePlan(shipment, skip=reason)
    currencies = {c for _, _, c in rows if c and c != authorized.currency}
    if currencies:
        return CapturePlan(shipment, skip=f"shipper currency {sorted(currencies)} differs")
    shippers = [(sid, amount) for sid, amount, _ in rows]
    last = bool(shippers) and shippers[-1][0] == shipment.shipper_id
    final = last and open_quantity(d.writer.engine, shipment.cpny_id, shipment.sl_ord_nbr) == 0
    amount = plan_amount(authorized, shippers, shipment.shipper_id, final)
    if amount.amount <= 0:
        return CapturePlan(shipment, skip="nothing of the authorization is left to capture")
    return CapturePlan(shipment, amount, final)


def captured_elsewhere(d: Deps, shipment: Shipment, shipper_ids: list[str]) -> Decimal:
    """What of the authorization was captured by something other than its shipments.

    A Decision Manager review accepted with ``actionList: ["CAPTURE"]`` (or the merchant
    capturing itself) leaves follow-on captures under the authorization's rootId; the
    authorization's own ``applications`` do not show them. Our own shipment captures are
    recognized by the transactionId each shipper's capture carries (searched for, as TSS
    summaries need not echo it), so a concurrent shipper is never mistaken for one."""
    captures = live(transactions_of(d, shipment.auth_id), "capture")
    if not captures:
        return Decimal(0)
    ours: set[str] = set()
    for sid in shipper_ids:
        sibling = Shipment(
            shipment.auth_id, shipment.cpny_id, sid, shipment.sl_ord_nbr, shipment.order_number
        )
        found = _find_capture(d, transaction_id(sibling))
        if found:
            ours.add(found)
    return total([t for t in captures if t.id not in ours])


def _find_capture(d: Deps, tid: str) -> str | None:
    found = d.cs.search(query(transaction_id=tid), limit=10)
    for hit in found.transactions:
        # Search summaries may not echo the transactionId; the query already matched on it.
        ref = hit.client_reference_information
        echoed = ref.transaction_id if ref is not None else None
        if hit.id and echoed in (None, tid):
            return str(hit.id)
    return None


@step(retries=5, interval_s=1.0, backoff=2.0)
def capture_step(plan: CapturePlan) -> tuple[str, str]:
    """Capture once: ``(capture id, "")`` or ``("", reason)`` when Cybersource refused."""
    from slpay.connectors.cybersource.requests import build_capture_request

    d = deps()
    tid = transaction_id(plan.shipment)
    existing = _find_capture(d, tid)  # a re-run after a crash finds the first capture
    if existing:
        return existing, ""
    assert plan.amount is not None
    request = build_capture_request(
        plan.amount, code=plan.shipment.order_number or None, transaction_id=tid
    )
    try:
        response = d.cs.capture(plan.shipment.auth_id, request)
    except (PermanentError, AmbiguousOutcome) as exc:
        return "", f"{type(exc).__name__}: {exc}"[:1000]
    if not response.id:
        return "", f"capture answered status {response.status} without an id"
    return str(response.id), ""


def _trace_keys(s: Shipment, *more: str) -> list[str]:
    return sorted({k for k in (s.order_number, s.auth_id, s.sl_ord_nbr, *more) if k})


@step()
def feed_step(plan: CapturePlan, capture_id: str) -> bool:
    """Store the capture in the inbox (the webhook's key) and the trace; True if new."""
    d, s = deps(), plan.shipment
    org = d.organization_id
    assert plan.amount is not None
    event = NewEvent(
        dedupe_key=f"{org}|{CAPTURE_EVENT}|{capture_id}",
        organization_id=org,
        event_type=CAPTURE_EVENT,
        resource_id=capture_id,
        payload={
            "eventType": CAPTURE_EVENT,
            "organizationId": org,
            "payload": {"data": {"id": capture_id, "type": "captures"}},
            "source": "capture-on-shipment",
        },
        source="shipping",
    )
    detail = {
        "shipper": s.shipper_id, "capture": capture_id, "amount": plan.amount.wire(),
        "currency": plan.amount.currency, "final": plan.final,
    }  # fmt: skip
    with d.hub.begin() as conn:
        (new,) = insert_events(conn, [event])
        for key in _trace_keys(s, capture_id):
            audit.append_audit(conn, key, "cybersource", "capture.on_shipment", detail)
    log.info("shipping.captured", shipper=s.shipper_id, capture=capture_id, final=plan.final)
    return new


@step()
def settle_step(plan: CapturePlan, reason: str, parked: bool) -> None:
    """Record a shipment that captured nothing: in the trace, and as a task when parked."""
    d, s = deps(), plan.shipment
    detail = {"shipper": s.shipper_id, "reason": reason}
    with d.hub.begin() as conn:
        if parked:
            evidence: dict[str, Any] = {
                "shipment": s.workflow_id, "authorization": s.auth_id,
                "order_number": s.order_number, "shipper": s.shipper_id,
                "amount": plan.amount.wire() if plan.amount else None,
            }  # fmt: skip
            tasks.open_task(conn, "parked", s.key, f"capture on shipment: {reason}", evidence)
        action = "capture.parked" if parked else "capture.skipped"
        for key in _trace_keys(s):
            audit.append_audit(conn, key, "slpay", action, detail)
    log.warning("shipping.not_captured", shipper=s.shipper_id, reason=reason, parked=parked)


@workflow()
def capture_shipment(shipment: Shipment) -> str:
    """plan → capture → feed; returns ``captured``, ``skipped`` or ``parked``."""
    try:
        plan = plan_step(shipment)
    except Exception as exc:  # retries exhausted: an operator must look
        plan = CapturePlan(shipment)
        settle_step(plan, f"gave up reading the authorization: {exc}"[:1000], True)
        return "parked"
    if plan.skip:
        settle_step(plan, plan.skip, False)
        return "skipped"
    try:
        capture_id, refusal = capture_step(plan)
    except Exception as exc:  # transient failures outlasted the step's retries
        capture_id, refusal = "", f"gave up capturing: {exc}"[:1000]
    if refusal:
        settle_step(plan, refusal, True)
        return "parked"
    feed_step(plan, capture_id)
    return "captured"


# --- the poll ---------------------------------------------------------------------------


def authorizations_of(d: Deps, ord_nbrs: list[str]) -> dict[str, tuple[str, str]]:
    """SL OrdNbr → (authorization id, eCommerce order number) for orders slpay wrote."""
    x = xref.c
    stmt = select(x.sl_ord_nbr, x.transaction_id, x.order_number).where(
        x.operation == "authorize", x.sl_ord_nbr.in_(sorted(set(ord_nbrs)))
    )
    with d.hub.connect() as conn:
        return {r.sl_ord_nbr: (r.transaction_id, r.order_number or "") for r in conn.execute(stmt)}


def _load_mark(d: Deps) -> Watermark | None:
    with d.hub.connect() as conn:
        since = control.get_flag(conn, WATERMARK_FLAG)
    return Watermark(datetime.fromisoformat(since)) if since else None


def capture_shipments(d: Deps, runtime: Runtime) -> int:
    """One poll: start a capture workflow per newly confirmed shipper; how many started."""
    mark: Watermark | None = d.extra.get("shipping_mark") or _load_mark(d)
    signals, mark = d.reader.poll(mark)
    shipped = [s for s in signals if s.kind == "shipped"]
    auths = authorizations_of(d, [s.ord_nbr for s in shipped]) if shipped else {}
    started = 0
    for s in shipped:
        if s.ord_nbr not in auths:
            continue  # an order slpay did not write: not ours to capture
        auth_id, number = auths[s.ord_nbr]
        shipment = Shipment(auth_id, s.cpny_id, s.ref_nbr, s.ord_nbr, number)
        runtime.start_workflow(capture_shipment, shipment, workflow_id=shipment.workflow_id)
        started += 1
    # The watermark moves only after every workflow is started (a repeat start is a no-op).
    with d.hub.begin() as conn:
        control.set_flag(conn, WATERMARK_FLAG, mark.since.astimezone(UTC).isoformat())
    d.extra["shipping_mark"] = mark
    return started
