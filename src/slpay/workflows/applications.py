"""PP → IN applications once SL has invoiced the order and both documents are released.

Every capture written as a PP (xref ``<capture id>:capture``, document type PP) waits here
until SL users invoice its order and release both the invoice and the PP's batch. Then slpay
writes the application (its own 08.030 batch, key ``<capture id>:apply``) for the PP's
remaining balance. Meanwhile a ``waiting-release`` task says what SL users must release; it is
closed when the application is written. A customer with AutoApply = 1 is never applied by
slpay (SL does it itself).

Ordering with money going back: a refund (or void) before invoicing is paid by the order's PP
(PP → card-refund DM, :mod:`.refunds`). That application must come first, or PP → IN would
take the whole PP and leave the DM open. So each pass applies pending DM applications first,
and a PP whose order still has an unapplied card-refund DM waits (``refund-first``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from slpay.connectors.dynamics_sl.models import Application, CreditApplication, NotReleasedError
from slpay.logs import get_logger
from slpay.store import audit, tasks
from slpay.store.schema import tasks as tasks_table
from slpay.store.schema import xref as xref_table
from slpay.store.xref import Xref, record_xref
from slpay.workflows.context import Deps
from slpay.workflows.refunds import apply_each, apply_pending
from slpay.workflows.sl_state import document, invoices_of

log = get_logger(__name__)


def pending_prepayments(d: Deps, limit: int = 2000) -> list[Xref]:
    """PPs slpay wrote that have no application yet."""
    applied = aliased(xref_table)
    x = xref_table.c
    stmt = (
        select(xref_table)
        .outerjoin(
            applied,
            and_(applied.c.transaction_id == x.transaction_id, applied.c.operation == "apply"),
        )
        .where(x.operation == "capture", x.sl_doc_type == "PP", applied.c.id.is_(None))
        .order_by(x.id)
        .limit(limit)
    )
    with d.hub.connect() as conn:
        return [Xref.from_row(r) for r in conn.execute(stmt)]


def refunds_unapplied(d: Deps, ord_nbr: str) -> list[str]:
    """Card-refund DMs of an order that the PP must pay first (before-invoicing ones: no CM
    of their own) and that are not applied yet; their transaction ids."""
    x = xref_table.c
    applied = aliased(xref_table)
    memo = aliased(xref_table)
    stmt = (
        select(x.transaction_id)
        .outerjoin(
            applied,
            and_(applied.c.transaction_id == x.transaction_id, applied.c.operation == "apply"),
        )
        .outerjoin(
            memo, and_(memo.c.transaction_id == x.transaction_id, memo.c.operation == "refund-cm")
        )
        .where(x.operation.in_(["refund", "void"]), x.sl_doc_type == "DM")
        .where(x.sl_ord_nbr == ord_nbr, applied.c.id.is_(None), memo.c.id.is_(None))
    )
    with d.hub.connect() as conn:
        return [str(t) for t in conn.execute(stmt).scalars()]


def _close_waiting(d: Deps, key: str, note: str) -> None:
    with d.hub.begin() as conn:
        for t in tasks.list_tasks(conn, kind="waiting-release"):
            if t.key == key:
                tasks.resolve_task(conn, t.id, note)


def apply_one(d: Deps, pp: Xref) -> str:
    """Try one PP; returns what happened (applied, waiting, not-invoiced, auto-apply)."""
    cust, ref, ord_nbr = pp.sl_cust_id or "", pp.sl_ref_nbr or "", pp.sl_ord_nbr or ""
    key = f"apply:{pp.transaction_id}"
    customer = d.writer.find_customer(cust_id=cust)
    if customer is not None and customer.auto_apply:
        with d.hub.begin() as conn:
            record_xref(conn, Xref(pp.transaction_id, "apply", sl_doc_type="--"))
            audit.append_audit(conn, pp.transaction_id, "slpay", "apply.left_to_sl", {"cust": cust})
        return "auto-apply"
    invoices = list(invoices_of(d.writer.engine, [ord_nbr]).get(ord_nbr, []))
    if not invoices:
        return "not-invoiced"
    if refunds_unapplied(d, ord_nbr):
        return "refund-first"  # the DM's own waiting-release task says what to release
    credit = document(d.writer.engine, cust, "PP", ref)
    invoice = next((i for i in invoices if i.released and i.cury_doc_bal > 0), invoices[0])
    missing = [f"IN {invoice.ref_nbr}"] if not invoice.released else []
    if credit is None or not credit.released:
        missing.append(f"PP {ref}")
    if missing:
        _waiting(d, key, pp, missing)
        return "waiting"
    app = CreditApplication(
        key=f"{pp.transaction_id}:apply",
        cust_id=cust,
        credit_type="PP",
        credit_ref=ref,
        targets=(Application("IN", invoice.ref_nbr),),
        date=datetime.now(UTC),
    )
    try:
        doc = d.writer.apply_credit(app)
    except NotReleasedError as exc:
        _waiting(d, key, pp, list(exc.documents) or [str(exc)])
        return "waiting"
    with d.hub.begin() as conn:
        record_xref(
            conn,
            Xref(pp.transaction_id, "apply", order_number=pp.order_number, sl_doc_type="PP",
                 sl_ref_nbr=ref, sl_bat_nbr=doc.bat_nbr, sl_cust_id=cust, sl_ord_nbr=ord_nbr),
        )  # fmt: skip
        detail = {"batnbr": doc.bat_nbr, "pp": ref, "invoice": invoice.ref_nbr, "new": doc.created}
        for k in filter(None, (pp.order_number, pp.transaction_id, ref, invoice.ref_nbr)):
            audit.append_audit(conn, k, "sl", "application.written", detail)
    _close_waiting(d, key, f"applied in batch {doc.bat_nbr}")
    return "applied"


def _waiting(d: Deps, key: str, pp: Xref, missing: list[str]) -> None:
    reason = f"release {' and '.join(missing)} in SL so that slpay can apply the prepayment"
    with d.hub.begin() as conn:
        tasks.open_task(
            conn, "waiting-release", key, reason,
            {"order_number": pp.order_number, "capture": pp.transaction_id, "missing": missing},
        )  # fmt: skip


def apply_prepayments(d: Deps) -> dict[str, int]:
    """One pass over every pending PP; counts per result. Errors wait for the next pass.

    Card-refund DMs waiting for the PP are applied first (see the module docstring)."""
    if apply_pending(d).get("unavailable"):
        return {"unavailable": 1}
    return apply_each(pending_prepayments(d), lambda pp: apply_one(d, pp), "apply.refused")


def open_waiting(d: Deps) -> int:
    with d.hub.connect() as conn:
        stmt = select(tasks_table.c.id).where(
            tasks_table.c.kind == "waiting-release", tasks_table.c.resolved_at.is_(None)
        )
        return len(list(conn.execute(stmt)))
