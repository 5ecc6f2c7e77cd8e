"""The transaction-search sweep: payments no webhook announced → the same inbox.

Every ``workflows.sweep_interval_s`` the hub searches Cybersource (TSS) for transactions
submitted in the last ``sweep_window_minutes`` and stores, with source ``sweep``, each event
the webhook would have carried — under the *same* dedupe key
(``organizationId|eventType|id``). What is already in the inbox for a transaction is skipped
before inserting (an authorization's outcome counts once, whichever of accept/review/reject
or a later decision announced it), so a sweep repeated every few minutes adds nothing for
payments already announced, and a webhook arriving after the sweep is counted as a duplicate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from slpay.connectors.cybersource.models.tss import TransactionSummary, query
from slpay.logs import get_logger
from slpay.store.inbox import NewEvent, insert_events
from slpay.store.schema import inbox
from slpay.workflows.context import Deps

log = get_logger(__name__)
PAGE = 2500


def event_types(summary: TransactionSummary) -> list[str]:
    """The notifications Cybersource sends for a transaction like ``summary``."""
    info = summary.application_information
    names = {(a.name or "") for a in (info.applications or [])} if info else set()
    status = (summary.status or "").upper()
    types: list[str] = []
    if "ics_auth" in names:
        if status in ("DECLINED", "AUTHORIZED_RISK_DECLINED", "INVALID_REQUEST", "FAILED"):
            types.append("payments.payments.reject")
        elif "REVIEW" in status:
            types.append("payments.payments.review")
        else:
            types.append("payments.payments.accept")
    if "ics_bill" in names and status not in ("DECLINED", "VOIDED"):
        types.append("payments.captures.accept")
    if "ics_auth_reversal" in names and "ics_auth" not in names:
        types.append("payments.reversals.accept")
    if "ics_credit" in names and status not in ("DECLINED", "VOIDED"):
        types.append("payments.refunds.accept")
    if "ics_void" in names:
        types.append("payments.voids.accept")
    return types


#: Notifications that announce the outcome of one authorization. A review later accepted or
#: rejected is searched as accepted/rejected, while the webhook said "review": any one of them
#: already in the inbox means the authorization was announced, so the sweep adds nothing.
_AUTH_OUTCOMES = frozenset(
    {
        "payments.payments.accept",
        "payments.payments.review",
        "payments.payments.reject",
        "payments.payments.partial.approval",
        "risk.casemanagement.decision.accept",
        "risk.casemanagement.decision.reject",
    }
)


def family(event_type: str) -> str:
    """What a notification announces about its transaction, for the sweep's "already seen"."""
    return "authorization" if event_type in _AUTH_OUTCOMES else event_type


def _events(d: Deps, summaries: list[TransactionSummary]) -> list[NewEvent]:
    org = d.organization_id
    out: list[NewEvent] = []
    for s in summaries:
        if not s.id:
            continue
        for event_type in event_types(s):
            payload: dict[str, Any] = {
                "eventType": event_type,
                "organizationId": org,
                "payload": {"data": {"id": s.id, "status": s.status}},
                "source": "sweep",
            }
            out.append(
                NewEvent(
                    dedupe_key=f"{org}|{event_type}|{s.id}",
                    organization_id=org,
                    event_type=event_type,
                    resource_id=s.id,
                    payload=payload,
                    source="sweep",
                )
            )
    return out


def sweep_once(d: Deps, *, now: datetime | None = None) -> int:
    """Search the window and store what is missing; returns how many events were new."""
    now = now or datetime.now(UTC)
    since = now - timedelta(minutes=d.settings.workflows.sweep_window_minutes)
    q = query(submitted=(since, now + timedelta(minutes=1)))
    summaries: list[TransactionSummary] = []
    offset = 0
    while True:
        page = d.cs.search(q, limit=PAGE, offset=offset, sort="submitTimeUtc:asc")
        found = (page.embedded.transaction_summaries if page.embedded else None) or []
        summaries.extend(found)
        offset += len(found)
        if len(found) < PAGE:
            break
    candidates = _events(d, summaries)
    if not candidates:
        return 0
    with d.hub.begin() as conn:
        ids = sorted({c.resource_id for c in candidates})
        known: set[tuple[str, str]] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            stmt = select(inbox.c.resource_id, inbox.c.event_type).where(
                inbox.c.resource_id.in_(chunk)
            )
            known.update((rid, family(et)) for rid, et in conn.execute(stmt))
        missing = [c for c in candidates if (c.resource_id, family(c.event_type)) not in known]
        new = sum(insert_events(conn, missing)) if missing else 0
    if new:
        log.info("sweep.found", new=new, searched=len(summaries))
    return new
