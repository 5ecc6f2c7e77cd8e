"""What a finished micro-batch leaves in the hub store: inbox status, xref, audit, tasks.

Parked events become ``parked`` tasks keyed ``inbox:<event id>`` (``slpay replay`` takes the
task id or the event id); the audit timeline gets one entry per SL document under the order
number, the Cybersource transaction id and the SL reference, so ``slpay trace`` finds it from
any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from slpay.store import audit, inbox, tasks
from slpay.store.xref import Xref, record_xrefs

if TYPE_CHECKING:
    from slpay.workflows.batch import Outcome


def parked_task_key(event_id: int) -> str:
    return f"inbox:{event_id}"


def _doc_detail(doc: Any) -> dict[str, Any]:
    return {
        "kind": doc.kind,
        "key": doc.key,
        "batnbr": doc.bat_nbr,
        "doctype": doc.doc_type,
        "refnbr": doc.ref_nbr,
        "custid": doc.cust_id,
        "ordnbr": doc.ord_nbr,
        "new": doc.created,
    }


Entry = tuple[str, audit.System, str, dict[str, Any] | None]


def _doc_records(o: Outcome, refs: list[Xref], entries: list[Entry]) -> None:
    for doc in o.documents:
        txn, _, operation = doc.key.partition(":")
        refs.append(
            Xref(
                transaction_id=txn,
                operation=operation,
                order_number=o.order_number or None,
                sl_doc_type=doc.doc_type or None,
                sl_ref_nbr=doc.ref_nbr or None,
                sl_bat_nbr=doc.bat_nbr or None,
                sl_cust_id=doc.cust_id or None,
                sl_ord_nbr=doc.ord_nbr or None,
            )
        )
        action = f"{doc.kind}.written" if doc.created else f"{doc.kind}.already_written"
        detail = _doc_detail(doc)
        keys = {o.order_number, txn, doc.ref_nbr if doc.kind != "order" else doc.ord_nbr}
        entries.extend((key, "sl", action, detail) for key in sorted(k for k in keys if k))


def record_outcomes(
    conn: Connection, outcomes: Sequence[Outcome], *, retry_at: Callable[[Outcome], datetime]
) -> None:
    """Apply every outcome in the caller's transaction: the done ones (nearly all) with one
    statement each for the inbox, the cross-references and the audit timeline."""
    done: list[int] = []
    refs: list[Xref] = []
    entries: list[Entry] = []
    for o in outcomes:
        trace_keys = sorted({k for k in (o.order_number, *_txns(o)) if k})
        if o.status == "done":
            done.append(o.event_id)
            _doc_records(o, refs, entries)
            detail: dict[str, Any] = {"event": o.event_id}
            entries.extend((key, "slpay", "event.posted", detail) for key in trace_keys)
        elif o.status == "ignored":
            inbox.mark_ignored(conn, [o.event_id], o.reason)
        elif o.status == "retry":
            inbox.defer(conn, o.event_id, retry_at(o), o.reason)
            detail = {"event": o.event_id, "reason": o.reason, "attempt": o.attempts}
            entries.extend((key, "slpay", "event.retry", detail) for key in trace_keys)
        else:
            inbox.mark_parked(conn, [o.event_id], o.reason)
            evidence = {"event_id": o.event_id, "dedupe_key": o.dedupe_key, **o.evidence}
            tasks.open_task(conn, "parked", parked_task_key(o.event_id), o.reason, evidence)
            detail = {"event": o.event_id, "reason": o.reason}
            entries.extend((key, "slpay", "event.parked", detail) for key in trace_keys)
    if done:
        inbox.mark_done(conn, done)
    record_xrefs(conn, refs)
    audit.append_audits(conn, entries)


def _txns(o: Outcome) -> list[str]:
    return [str(v) for k, v in o.evidence.items() if k in ("authorization", "capture") and v]
