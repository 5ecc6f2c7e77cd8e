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
from slpay.store.xref import Xref, record_xref

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


def _record_docs(conn: Connection, o: Outcome) -> None:
    for doc in o.documents:
        txn, _, operation = doc.key.partition(":")
        record_xref(
            conn,
            Xref(
                transaction_id=txn,
                operation=operation,
                order_number=o.order_number or None,
                sl_doc_type=doc.doc_type or None,
                sl_ref_nbr=doc.ref_nbr or None,
                sl_bat_nbr=doc.bat_nbr or None,
                sl_cust_id=doc.cust_id or None,
                sl_ord_nbr=doc.ord_nbr or None,
            ),
        )
        action = f"{doc.kind}.written" if doc.created else f"{doc.kind}.already_written"
        detail = _doc_detail(doc)
        keys = {o.order_number, txn, doc.ref_nbr if doc.kind != "order" else doc.ord_nbr}
        for key in sorted(k for k in keys if k):
            audit.append_audit(conn, key, "sl", action, detail)


def record_outcomes(
    conn: Connection, outcomes: Sequence[Outcome], *, retry_at: Callable[[Outcome], datetime]
) -> None:
    """Apply every outcome in the caller's transaction."""
    for o in outcomes:
        trace_keys = sorted({k for k in (o.order_number, *_txns(o)) if k})
        if o.status == "done":
            inbox.mark_done(conn, [o.event_id])
            _record_docs(conn, o)
            for key in trace_keys:
                audit.append_audit(conn, key, "slpay", "event.posted", {"event": o.event_id})
        elif o.status == "ignored":
            inbox.mark_ignored(conn, [o.event_id], o.reason)
        elif o.status == "retry":
            inbox.defer(conn, o.event_id, retry_at(o), o.reason)
            for key in trace_keys:
                detail = {"event": o.event_id, "reason": o.reason, "attempt": o.attempts}
                audit.append_audit(conn, key, "slpay", "event.retry", detail)
        else:
            inbox.mark_parked(conn, [o.event_id], o.reason)
            evidence = {"event_id": o.event_id, "dedupe_key": o.dedupe_key, **o.evidence}
            tasks.open_task(conn, "parked", parked_task_key(o.event_id), o.reason, evidence)
            for key in trace_keys:
                audit.append_audit(
                    conn, key, "slpay", "event.parked", {"event": o.event_id, "reason": o.reason}
                )


def _txns(o: Outcome) -> list[str]:
    return [str(v) for k, v in o.evidence.items() if k in ("authorization", "capture") and v]
