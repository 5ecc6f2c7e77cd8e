"""The inbox drain: one DBOS workflow per micro-batch of inbox events.

DESIGN.md measured one workflow per event at about 100/s; a micro-batch keeps DBOS's cost
per batch, not per event. Steps of :func:`drain_inbox`:

1. **claim** up to ``batch_size`` due events, tagged with the workflow id. Re-run after a
   crash, the step finds the events it already claimed instead of claiming others, so no
   event is orphaned between the claim and the checkpoint;
2. **post**: enrich and transform each event, write its sales order (one SL transaction per
   order) and all captures' payments in one SL transaction (``write_payments``, per-item
   results). A step re-run writes nothing twice: every SL write is keyed;
3. **finish** each event in the hub store: done, parked (a ``parked`` task with the reason),
   or back to the inbox with backoff after a transient failure (parked after
   ``workflows.max_attempts``); cross-references and the audit timeline in the same commit;
4. **notify** the eCommerce platform of payment failures.

A bad event fails alone: its neighbours post.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select

from slpay.connectors.dynamics_sl.models import ItemResult, NotReleasedError, SLDocument
from slpay.errors import SlpayError, TransientError
from slpay.logs import get_logger
from slpay.store import control
from slpay.store.inbox import InboxEvent, claim_batch
from slpay.store.schema import inbox
from slpay.workflows import cancellations, chargebacks, refunds, sl_refunds
from slpay.workflows.context import Deps, deps
from slpay.workflows.metrics import observe_batch
from slpay.workflows.o2c import (
    Plan,
    payment_inputs,
    plan_event,
    prefetch_details,
    prefetch_reads,
)
from slpay.workflows.records import record_outcomes
from slpay.workflows.runtime import current_workflow_id, step, workflow

log = get_logger(__name__)
#: Money going back (issue 5): event type → handler writing its SL documents.
MONEY_BACK = {**refunds.HANDLERS, **sl_refunds.HANDLERS, **cancellations.HANDLERS,
              **chargebacks.HANDLERS}  # fmt: skip

Status = Literal["done", "parked", "retry", "ignored"]


@dataclass
class Outcome:
    """How one event ended in this attempt, and what to record about it."""

    event_id: int
    status: Status
    reason: str = ""
    dedupe_key: str = ""
    attempts: int = 0
    documents: list[SLDocument] = field(default_factory=list)
    order_number: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    notices: list[dict[str, Any]] = field(default_factory=list)


@step()
def claim_step(limit: int) -> list[int]:
    """Claim a batch for this workflow (or return the one it claimed before a crash)."""
    d, wid = deps(), current_workflow_id()
    with d.hub.begin() as conn:
        mine = select(inbox.c.id).where(inbox.c.status == "claimed", inbox.c.claimed_by == wid)
        ids = [int(i) for i in conn.execute(mine).scalars()]
        if ids:
            return sorted(ids)
        if control.is_paused(conn):
            return []
        return [e.id for e in claim_batch(conn, wid, limit)]


def _load(d: Deps, ids: list[int]) -> list[InboxEvent]:
    with d.hub.connect() as conn:
        rows = conn.execute(select(inbox).where(inbox.c.id.in_(ids)).order_by(inbox.c.id))
        return [InboxEvent.from_row(r) for r in rows]


def _failed(event: InboxEvent, exc: BaseException, plan: Plan | None = None) -> Outcome:
    transient = isinstance(exc, TransientError | NotReleasedError)
    reason = f"{type(exc).__name__}: {exc}"[:1000]
    if not isinstance(exc, SlpayError):
        log.exception("o2c.unexpected", event_id=event.id)
    return Outcome(
        event.id,
        "retry" if transient else "parked",
        reason,
        event.dedupe_key,
        event.attempts,
        order_number=plan.order_number if plan else "",
        evidence=plan.evidence if plan else {},
    )


def _ok(plan: Plan, docs: list[SLDocument]) -> Outcome:
    e = plan.event
    status: Status = "done" if plan.kind != "other" else "ignored"
    reason = "" if plan.kind != "other" else f"{e.event_type} is not part of order-to-cash"
    return Outcome(
        e.id, status, reason, e.dedupe_key, e.attempts, docs, plan.order_number,
        plan.evidence, plan.notices,
    )  # fmt: skip


def _write_order(d: Deps, plan: Plan) -> list[SLDocument]:
    """One event's order alone (one SL transaction; the baseline of bench/order_to_cash.py)."""
    if plan.order is not None:
        plan.so = d.writer.write_order(plan.order)
    return _with_change(d, plan)


def _with_change(d: Deps, plan: Plan) -> list[SLDocument]:
    docs = [plan.so] if plan.order is not None and plan.so is not None else []
    if plan.change is not None and plan.so is not None:
        change = plan.change.__class__(**{**plan.change.__dict__, "ord_nbr": plan.so.ord_nbr})
        docs.append(d.writer.change_order(change))
    return docs


def _write_orders(
    d: Deps, plans: list[Plan], outcomes: dict[int, Outcome]
) -> dict[int, list[SLDocument]]:
    """Every plan's sales order in one SL transaction (``write_orders``, per-item results),
    then its change; an event whose order was refused fails alone."""
    orders = [p.order for p in plans if p.order is not None]
    try:
        results = {r.key: r for r in d.writer.write_orders(orders)} if orders else {}
    except Exception as exc:  # SL unavailable: every event with an order waits
        results = {o.key: ItemResult(o.key, error=_as_error(exc)) for o in orders}
    written: dict[int, list[SLDocument]] = {}
    for plan in plans:
        try:
            if plan.order is not None:
                result = results[plan.order.key]
                if result.error is not None:
                    raise result.error
                plan.so = result.document
            written[plan.event.id] = _with_change(d, plan)
        except Exception as exc:
            outcomes[plan.event.id] = _failed(plan.event, exc, plan)
    return written


def _as_error(exc: Exception) -> SlpayError:
    if isinstance(exc, SlpayError):
        return exc
    log.exception("o2c.unexpected")
    return SlpayError(f"{type(exc).__name__}: {exc}")


@step()
def post_step(ids: list[int]) -> list[Outcome]:
    """Enrich and transform the batch, write its orders, money back, then the payments; one
    outcome per event."""
    d = deps()
    outcomes: dict[int, Outcome] = {}
    plans: list[Plan] = []
    events = _load(d, ids)
    details = prefetch_details(d, events)
    try:
        intake, lookups = prefetch_reads(d, details)
    except Exception as exc:  # e.g. SL unavailable: each event reads for itself, fails alone
        log.warning("o2c.prefetch_failed", error=f"{type(exc).__name__}: {exc}"[:300])
        intake, lookups = {}, None
    for event in events:
        if event.event_type in MONEY_BACK:
            continue
        try:
            plans.append(plan_event(d, event, details, intake=intake, lookups=lookups))
        except Exception as exc:
            outcomes[event.id] = _failed(event, exc)
    written = _write_orders(d, plans, outcomes)
    for event in events:  # refunds, voids, cancellations, chargebacks: after the orders
        if event.event_type in MONEY_BACK:
            outcomes[event.id] = _post_money_back(d, event)
    captures = [p for p in plans if p.event.id in written and p.capture is not None]
    for plan in plans:
        if plan.event.id in written and plan.capture is None:
            outcomes[plan.event.id] = _ok(plan, written[plan.event.id])
    outcomes.update(_post_payments(d, captures, written))
    return [outcomes[i] for i in sorted(outcomes)]


def _post_money_back(d: Deps, event: InboxEvent) -> Outcome:
    plan = Plan(event, "other")
    try:
        docs = MONEY_BACK[event.event_type](d, event, plan)
    except Exception as exc:
        return _failed(event, exc, plan)
    return Outcome(event.id, "done", "", event.dedupe_key, event.attempts, docs,
                   plan.order_number, plan.evidence)  # fmt: skip


def _post_payments(
    d: Deps, plans: list[Plan], written: dict[int, list[SLDocument]]
) -> dict[int, Outcome]:
    out: dict[int, Outcome] = {}
    if not plans:
        return out
    try:
        ready = list(zip(plans, payment_inputs(d, plans), strict=True))
    except Exception as exc:  # SL unavailable while reading customers / invoices
        return {plan.event.id: _failed(plan.event, exc, plan) for plan in plans}
    try:
        results = d.writer.write_payments([p for _, p in ready])
    except Exception as exc:  # SL unavailable: the whole micro-batch waits
        return out | {plan.event.id: _failed(plan.event, exc, plan) for plan, _ in ready}
    for (plan, _), result in zip(ready, results, strict=True):
        if result.error is not None:
            out[plan.event.id] = _failed(plan.event, result.error, plan)
        else:
            assert result.document is not None
            out[plan.event.id] = _ok(plan, [*written[plan.event.id], result.document])
    return out


@step()
def finish_step(outcomes: list[Outcome]) -> dict[str, int]:
    """Record every outcome in the hub store in one transaction."""
    d = deps()
    policy = d.retry_policy
    now = datetime.now(UTC)
    counts = {"done": 0, "parked": 0, "retry": 0, "ignored": 0}
    for o in outcomes:
        if o.status == "retry" and o.attempts >= d.settings.workflows.max_attempts:
            o.status, o.reason = "parked", f"gave up after {o.attempts} attempts: {o.reason}"
        counts[o.status] += 1
    with d.hub.begin() as conn:
        record_outcomes(
            conn,
            outcomes,
            retry_at=lambda o: now + timedelta(seconds=policy.delay(max(o.attempts, 1))),
        )
    log.info("o2c.batch", **counts)
    return counts


@step()
def notify_step(notices: list[dict[str, Any]]) -> int:
    """Tell the eCommerce platform about failed payments; how many were accepted."""
    d = deps()
    return sum(1 for n in notices if d.notifier.payment_failed(n))


@workflow()
def drain_inbox(batch_size: int) -> dict[str, int]:
    """One micro-batch: claim → post → finish → notify (see the module docstring)."""
    started = time.monotonic()
    ids = claim_step(batch_size)
    if not ids:
        return {"claimed": 0}
    outcomes = post_step(ids)
    counts = finish_step(outcomes)
    observe_batch(deps().extra, time.monotonic() - started, counts)
    notices = [n for o in outcomes if o.status == "done" for n in o.notices]
    if notices:
        notify_step(notices)
    return {"claimed": len(ids), **counts}
