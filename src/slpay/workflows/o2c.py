"""Order-to-cash: what one inbox event means for SL (DESIGN.md's money map).

Cybersource's notifications carry only ids, so each event is *enriched* first with the
transaction details (TSS) and, for a capture, its authorization; then *transformed* with the
mapping into SL inputs:

- an authorization (accept, review, reject; or an order posted to ``/api/orders``) → the
  sales order, AdminHold while in review, Cancelled when declined or rejected, the label in
  the configured user field; its business key is ``<authorization id>:authorize``, so the
  webhook, the sweep, the order intake and a capture arriving first all write it once;
- a Decision Manager decision or a reversal → a change of that order;
- a capture → the order (if not yet written) and then a payment: a PP on the clearing cash
  account with OrdNbr = the order while SL has not invoiced it, or a PA applied to the
  released invoice (never applied for a customer with AutoApply = 1).

Nothing here writes; :mod:`slpay.workflows.batch` writes a whole micro-batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from slpay.connectors.dynamics_sl.models import (
    Application,
    Customer,
    CustomerRef,
    OrderChange,
    OrderInput,
    PaymentInput,
    SLDocument,
)
from slpay.domain.orders import Order, PaymentEvent
from slpay.mapping.document import Lookups, so_change, so_document
from slpay.store.inbox import InboxEvent, find_by_key
from slpay.workflows.context import Deps
from slpay.workflows.o2c_reads import batch_lookups, intake_orders
from slpay.workflows.sl_state import ARDocState, invoices_of

ORDER_EVENT = "order.created"
AUTH_EVENTS = frozenset(
    {
        "payments.payments.accept",
        "payments.payments.review",
        "payments.payments.reject",
        "payments.payments.partial.approval",
    }
)
DECISION_EVENTS = frozenset(
    {
        "risk.casemanagement.decision.accept",
        "risk.casemanagement.decision.reject",
        "risk.profile.decision.review",
        "risk.profile.decision.reject",
    }
)
CAPTURE_EVENTS = frozenset({"payments.captures.accept"})
REVERSAL_EVENTS = frozenset({"payments.reversals.accept"})
FAILED_STATUSES = frozenset({"DECLINED", "AUTHORIZED_RISK_DECLINED", "INVALID_REQUEST", "FAILED"})

Kind = Literal["order", "decision", "capture", "reversal", "other"]


def kind_of(event_type: str) -> Kind:
    if event_type == ORDER_EVENT or event_type in AUTH_EVENTS:
        return "order"
    if event_type in DECISION_EVENTS:
        return "decision"
    if event_type in CAPTURE_EVENTS:
        return "capture"
    if event_type in REVERSAL_EVENTS:
        return "reversal"
    return "other"


def intake_key(organization_id: str, order_number: str) -> str:
    """Inbox dedupe key of an order posted to ``/api/orders``."""
    return f"{organization_id}|{ORDER_EVENT}|{order_number}"


@dataclass
class Plan:
    """The SL writes one event needs, filled in step by step."""

    event: InboxEvent
    kind: Kind
    order: OrderInput | None = None
    order_number: str = ""
    authorization: PaymentEvent | None = None
    change: OrderChange | None = None
    capture: PaymentEvent | None = None
    so: SLDocument | None = None
    notices: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    #: Transaction details read while planning (TSS), by id; not part of the outcome.
    details: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    #: Read ahead for the micro-batch: posted orders by number, the mapping's look-ups.
    intake: dict[str, Order | None] = field(default_factory=dict, repr=False)
    lookups: Lookups | None = field(default=None, repr=False)


def _details(d: Deps, transaction_id: str, cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    # A sale's capture event and its authorization are the same transaction: one TSS call.
    if transaction_id in cache:
        return cache[transaction_id]
    data = d.cs.get_transaction_document(transaction_id)
    cache[transaction_id] = data
    return data


def _intake_order(d: Deps, number: str) -> Order | None:
    with d.hub.connect() as conn:
        found = find_by_key(conn, intake_key(d.organization_id, number))
    if found is None:
        return None
    return d.mapping.order_from_intake(found.payload)


def _order_for(d: Deps, plan: Plan, auth_id: str) -> None:
    """Fill the plan's sales order from the authorization (and the posted order, if any)."""
    payload = _details(d, auth_id, plan.details)
    payment = d.mapping.payment_from_cybersource(payload, "authorize")
    number = payment.order_number
    if number in plan.intake:
        order = plan.intake[number]
    else:
        order = _intake_order(d, number) if number else None
    if order is None:
        order = d.mapping.order_from_payload(payload)
    doc = so_document(order, payment, d.mapping, plan.lookups or d.lookups)
    plan.order, plan.authorization, plan.order_number = doc.order, payment, doc.order_number
    plan.evidence.update(authorization=auth_id, order_number=number, status=payment.status)
    if (payment.status or "").upper() in FAILED_STATUSES:
        plan.notices.append(
            {
                "order_number": number,
                "transaction_id": auth_id,
                "status": payment.status,
                "reason": _reason(payload),
            }
        )


def _reason(payload: dict[str, Any]) -> str:
    info = payload.get("errorInformation") or {}
    return str(info.get("reason") or payload.get("status") or "")


def _resource(event: InboxEvent) -> str:
    if event.event_type == ORDER_EVENT:
        return str(event.payload.get("payment_id") or "")
    return event.resource_id


def prefetch_details(d: Deps, events: Sequence[InboxEvent]) -> dict[str, dict[str, Any]]:
    """The TSS details of every event's resource, read concurrently (a micro-batch's
    enrichment is mostly waiting on Cybersource). A failed read is left out: planning that
    event reads it again and fails alone, with the connector's error."""
    wanted = sorted(
        {r for e in events if kind_of(e.event_type) != "other" for r in [_resource(e)] if r}
    )

    def read(txn: str) -> tuple[str, dict[str, Any] | None]:
        try:
            return txn, _details(d, txn, {})
        except Exception:  # reported when the event itself is planned
            return txn, None

    workers = d.settings.workflows.tss_workers
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted)))) as pool:
        return {txn: data for txn, data in pool.map(read, wanted) if data is not None}


def prefetch_reads(
    d: Deps, details: dict[str, dict[str, Any]]
) -> tuple[dict[str, Order | None], Lookups]:
    """A micro-batch's posted orders (by the order numbers its transactions carry) and the
    mapping's look-ups warmed with its customers' e-mails (see :mod:`.o2c_reads`)."""
    numbers = {str((data.get("clientReferenceInformation") or {}).get("code") or "")
               for data in details.values()}  # fmt: skip
    keys = {n: intake_key(d.organization_id, n) for n in sorted(numbers) if n}
    return intake_orders(d, keys), batch_lookups(d, details)


def plan_event(
    d: Deps,
    event: InboxEvent,
    details: dict[str, dict[str, Any]] | None = None,
    *,
    intake: dict[str, Order | None] | None = None,
    lookups: Lookups | None = None,
) -> Plan:
    """Enrich and transform one event (reads Cybersource and SL; writes nothing).

    ``details`` (transaction id → TSS details) is shared by a micro-batch's events and
    filled as they are read; ``intake`` and ``lookups`` come from :func:`prefetch_reads`."""
    plan = Plan(event, kind_of(event.event_type), lookups=lookups)
    if details is not None:
        plan.details = details
    if intake is not None:
        plan.intake = intake
    resource = _resource(event)
    if plan.kind == "other" or not resource:
        return plan
    if plan.kind == "order":
        _order_for(d, plan, resource)
    elif plan.kind == "decision":
        _order_for(d, plan, resource)
        assert plan.authorization is not None
        decision = PaymentEvent(
            transaction_id=resource,
            status=plan.authorization.status,
            submitted_at=plan.authorization.submitted_at,
            operation="decision",
            decision=plan.authorization.decision,
            auth_code=plan.authorization.auth_code,
        )
        plan.change = so_change(decision, "", d.mapping)
    elif plan.kind == "reversal":
        payload = _details(d, resource, plan.details)
        root = str(payload.get("rootId") or "")
        _order_for(d, plan, root or resource)
        reversal = d.mapping.payment_from_cybersource(payload, "reversal")
        plan.change = so_change(reversal, "", d.mapping)
    else:
        payload = _details(d, resource, plan.details)
        root = str(payload.get("rootId") or resource)
        _order_for(d, plan, root)
        plan.capture = d.mapping.payment_from_cybersource(payload, "capture")
        plan.evidence.update(capture=resource)
    return plan


def payment_input(d: Deps, plan: Plan) -> PaymentInput:
    """The PP (order not invoiced yet) or PA (applied to the released invoice) of a capture."""
    return payment_inputs(d, [plan])[0]


def payment_inputs(d: Deps, plans: Sequence[Plan]) -> list[PaymentInput]:
    """:func:`payment_input` for a micro-batch: customers and invoices read in one query each."""
    sos = [p.so for p in plans if p.so is not None]
    found = d.writer.find_customers([so.cust_id for so in sos])
    applying = [so.ord_nbr for so in sos if not _auto_applies(found.get(so.cust_id.strip()))]
    invoices = invoices_of(d.writer.engine, applying) if applying else {}
    return [_payment_input(p, found, invoices) for p in plans]


def _auto_applies(customer: Customer | None) -> bool:
    # An unknown customer is left to SL's writer, which names the problem; never applied here.
    return customer is None or customer.auto_apply


def _payment_input(
    plan: Plan, found: dict[str, Customer], invoices: dict[str, list[ARDocState]]
) -> PaymentInput:
    so, capture = plan.so, plan.capture
    assert so is not None
    assert capture is not None
    assert capture.amount is not None
    applications: tuple[Application, ...] = ()
    if not _auto_applies(found.get(so.cust_id.strip())):
        open_released = [
            i for i in invoices.get(so.ord_nbr, []) if i.released and i.cury_doc_bal > 0
        ]
        if open_released:
            applications = (Application("IN", open_released[0].ref_nbr),)
    return PaymentInput(
        key=capture.key,
        customer=CustomerRef(cust_id=so.cust_id),
        amount=capture.amount,
        date=capture.submitted_at,
        cyber_id=capture.transaction_id,
        order_nbr=so.ord_nbr,
        cust_ord_nbr=plan.order_number[:25],
        doc_type="PA" if applications else "PP",
        applications=applications,
    )
