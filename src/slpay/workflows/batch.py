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

from slpay.connectors.dynamics_sl.models import NotReleasedError, SLDocument
from slpay.errors import SlpayError, TransientError
from slpay.logs import get_logger
from slpay.store import control
from slpay.store.inbox import InboxEvent, claim_batch
from slpay.store.schema import inbox
from slpay.workflows import cancellations, chargebacks, refunds, sl_refunds
from slpay.workflows.context import Deps, deps
from slpay.workflows.metrics import observe_batch
from slpay.workflows.o2c import Plan, payment_input, plan_event, prefetch_details
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
    docs: list[SLDocument] = []
    if plan.order is not None:
        plan.so = d.writer.write_order(plan.order)
        docs.append(plan.so)
    if plan.change is not None and plan.so is not None:
        change = plan.change.__class__(**{**plan.change.__dict__, "ord_nbr": plan.so.ord_nbr})
        docs.append(d.writer.change_order(change))
    return docs


@step()
def post_step(ids: list[int]) -> list[Outcome]:
    """Enrich, transform and write the batch; one outcome per event."""
    d = deps()
    outcomes: dict[int, Outcome] = {}
    written: dict[int, list[SLDocument]] = {}
    captures: list[Plan] = []
    events = _load(d, ids)
    details = prefetch_details(d, events)
    for event in events:
        plan: Plan | None = None
        if event.event_type in MONEY_BACK:  # refunds, voids, cancellations, chargebacks
            outcomes[event.id] = _post_money_back(d, event)
            continue
        try:
            plan = plan_event(d, event, details)
            written[event.id] = _write_order(d, plan)
        except Exception as exc:
            outcomes[event.id] = _failed(event, exc, plan)
            continue
        if plan.capture is not None:
            captures.append(plan)
        else:
            outcomes[event.id] = _ok(plan, written[event.id])
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
    ready: list[tuple[Plan, Any]] = []
    for plan in plans:
        try:
            ready.append((plan, payment_input(d, plan)))
        except Exception as exc:
            out[plan.event.id] = _failed(plan.event, exc, plan)
    if not ready:
        return out
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
