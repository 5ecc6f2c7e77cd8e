"""Money going back to the card, Cybersource → SL: refunds and voids of captures.

A refund (``payments.refunds.accept``, from a webhook or the sweep) or a void of a capture
(``payments.voids.accept``) becomes the money map's documents (DESIGN.md):

- before SL invoiced the order: a DM "card refund" (line: clearing, key ``<id>:refund`` or
  ``<id>:void``), and once both are released the order's PP applied to it (``<id>:apply``).
  A full refund also cancels the SO; a partial one opens a ``review`` task to adjust it;
- after the invoice: a CM on Refunds (``<id>:refund-cm``) and the DM, in one 08.010 batch,
  the CM applied to the DM once released.

A refund slpay itself sent for an SL credit memo (:mod:`.sl_refunds`) carries a
clientReferenceInformation.transactionId starting with :data:`SL_TID_PREFIX`: the inbound
path looks that up first and writes nothing of its own for it. Applications wait in
:func:`apply_pending` (the hub's signals loop) with a ``waiting-release`` task meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from slpay.connectors.cybersource.models import TransactionSummary
from slpay.connectors.dynamics_sl.models import (
    Application,
    CreditApplication,
    CustomerRef,
    MemoInput,
    NotReleasedError,
    OrderChange,
    SLDocument,
)
from slpay.domain.money import Money
from slpay.errors import SlpayError, TransientError
from slpay.logs import get_logger
from slpay.store import audit, tasks
from slpay.store.inbox import InboxEvent
from slpay.store.schema import xref as xref_table
from slpay.store.xref import Xref, record_xref
from slpay.workflows.context import Deps
from slpay.workflows.o2c import Plan, _order_for
from slpay.workflows.sl_state import document, invoices_of

log = get_logger(__name__)

REFUND_EVENT = "payments.refunds.accept"
VOID_EVENT = "payments.voids.accept"
#: transactionId prefix of refunds slpay sends for SL credit memos (see :mod:`.sl_refunds`).
SL_TID_PREFIX = "slcm"
Handler = Callable[[Deps, InboxEvent, Plan], list[SLDocument]]


# --- what Cybersource holds for one authorization ------------------------------------------


@dataclass(frozen=True)
class Txn:
    """One transaction under an authorization (TSS search summary)."""

    id: str
    kind: Literal["auth", "capture", "refund", "reversal", "void", "other"]
    status: str
    amount: Money | None
    code: str


_KINDS = {
    "ics_bill": "capture",
    "ics_credit": "refund",
    "ics_auth_reversal": "reversal",
    "ics_void": "void",
    "ics_auth": "auth",
}


def transactions_of(d: Deps, auth_id: str) -> list[Txn]:
    """Every transaction whose rootId is ``auth_id`` (the authorization itself included)."""
    found = d.cs.search(f"rootId:{auth_id}", limit=200, sort="submitTimeUtc:asc")
    return [txn_of(s) for s in found.transactions]


def txn_of(s: TransactionSummary) -> Txn:
    """A TSS search summary as a :class:`Txn` (its kind from the service names)."""
    names = (
        [a.name or "" for a in (s.application_information.applications or [])]
        if (s.application_information)
        else []
    )
    kind = next(
        (
            _KINDS[n]
            for n in ("ics_bill", "ics_credit", "ics_auth_reversal", "ics_void", "ics_auth")
            if n in names
        ),
        "other",
    )
    details = s.order_information.amount_details if s.order_information else None
    amount = (
        Money(details.total_amount, details.currency)
        if details and details.total_amount is not None and details.currency
        else None
    )
    code = (s.client_reference_information.code or "") if s.client_reference_information else ""
    return Txn(s.id or "", kind, (s.status or "").upper(), amount, code)  # type: ignore[arg-type]


def live(txns: list[Txn], kind: str) -> list[Txn]:
    return [t for t in txns if t.kind == kind and t.status not in ("VOIDED", "DECLINED", "FAILED")]


def total(txns: list[Txn]) -> Decimal:
    return sum((t.amount.amount for t in txns if t.amount is not None), Decimal(0))


def refundable(txns: list[Txn]) -> Decimal:
    """Captured and not yet refunded (voided captures and refunds do not count)."""
    return total(live(txns, "capture")) - total(live(txns, "refund"))


# --- the SL documents of a refund or void ---------------------------------------------------


@dataclass(frozen=True)
class MoneyBack:
    """A refund or a void of a capture, as SL must record it."""

    transaction_id: str
    operation: Literal["refund", "void"]
    amount: Money
    auth_id: str
    submitted_at: datetime


def _sales_order(d: Deps, plan: Plan, auth_id: str) -> SLDocument:
    """The order's SO (written now if the hub never saw its authorization)."""
    _order_for(d, plan, auth_id)
    assert plan.order is not None
    plan.so = d.writer.write_order(plan.order)
    plan.order = None
    return plan.so


def record_money_back(
    d: Deps, plan: Plan, mb: MoneyBack, *, credit_memo: bool = False
) -> list[SLDocument]:
    """Write the DM (and the CM after invoicing); ``credit_memo``: SL already holds the CM."""
    so = _sales_order(d, plan, mb.auth_id)
    plan.evidence.update({mb.operation: mb.transaction_id, "authorization": mb.auth_id})
    invoiced = bool(invoices_of(d.writer.engine, [so.ord_nbr]).get(so.ord_nbr))
    acc = d.settings.sl.accounts

    def memo(kind: Literal["CM", "DM"], suffix: str, acct: str, sub: str) -> MemoInput:
        return MemoInput(
            key=f"{mb.transaction_id}:{suffix}",
            doc_type=kind,
            customer=CustomerRef(cust_id=so.cust_id),
            amount=mb.amount,
            date=mb.submitted_at,
            line_acct=acct,
            line_sub=sub,
            cyber_id=mb.transaction_id,
            order_nbr=so.ord_nbr,
            cust_ord_nbr=plan.order_number[:25],
            description=f"Card {mb.operation} {mb.transaction_id}"[:30],
        )

    dm = memo("DM", mb.operation, acc.clearing_acct, acc.clearing_sub)
    if credit_memo or not invoiced:
        docs = d.writer.write_memos([dm])
    else:
        docs = d.writer.write_memos(
            [memo("CM", "refund-cm", acc.refunds_acct, acc.refunds_sub), dm]
        )
    if not invoiced and not credit_memo:
        docs += _adjust_order(d, plan, mb, so)
    return docs


def _adjust_order(d: Deps, plan: Plan, mb: MoneyBack, so: SLDocument) -> list[SLDocument]:
    """Before invoicing: a full refund cancels the SO, a partial one asks for an adjustment."""
    if refundable(transactions_of(d, mb.auth_id)) <= 0:
        change = OrderChange(
            key=f"{mb.transaction_id}:cancel", ord_nbr=so.ord_nbr, cancelled=True, label="Refunded"
        )
        return [d.writer.change_order(change)]
    with d.hub.begin() as conn:
        tasks.open_task(
            conn,
            "review",
            f"adjust:{mb.transaction_id}",
            f"order {so.ord_nbr} was partly refunded ({mb.amount}): adjust the order in SL "
            "before it is invoiced",
            {
                "order_number": plan.order_number,
                "ord_nbr": so.ord_nbr,
                mb.operation: mb.transaction_id,
                "amount": str(mb.amount.amount),
                "currency": mb.amount.currency,
            },
        )
    return []


# --- inbound events --------------------------------------------------------------------------


def _details(d: Deps, transaction_id: str) -> dict[str, Any]:
    tx = d.cs.get_transaction(transaction_id)
    data: dict[str, Any] = tx.model_dump(by_alias=True, exclude_none=True, mode="json")
    return data


def _money_back_of(
    d: Deps, payload: dict[str, Any], operation: Literal["refund", "void"]
) -> MoneyBack:
    event = d.mapping.payment_from_cybersource(payload, operation)
    if event.amount is None:
        raise SlpayError(f"{operation} {event.transaction_id} has no amount")
    root = str(payload.get("rootId") or "")
    return MoneyBack(event.transaction_id, operation, event.amount, root, event.submitted_at)


def sent_by_slpay(d: Deps, transaction_id: str) -> bool:
    """Did slpay send this refund for an SL credit memo? (its transactionId says so)."""
    q = f"id:{transaction_id} AND clientReferenceInformation.transactionId:{SL_TID_PREFIX}*"
    return bool(d.cs.search(q, limit=1).transactions)


def _known(d: Deps, transaction_id: str, operation: str) -> Xref | None:
    with d.hub.connect() as conn:
        row = conn.execute(
            select(xref_table).where(
                xref_table.c.transaction_id == transaction_id,
                xref_table.c.operation == operation,
            )
        ).first()
    return Xref.from_row(row) if row is not None else None


def on_refund(d: Deps, event: InboxEvent, plan: Plan) -> list[SLDocument]:
    """A refund made in (or reported by) Cybersource."""
    if _known(d, event.resource_id, "refund-cm") is not None and _known(
        d, event.resource_id, "refund"
    ):
        plan.evidence.update(refund=event.resource_id, sent_by="slpay")
        return []  # slpay's own refund for an SL credit memo: already recorded
    if sent_by_slpay(d, event.resource_id):
        # The SL-initiated path is still recording it: wait instead of writing a second CM.
        raise TransientError(
            "sent by slpay for an SL credit memo, not recorded yet",
            system="slpay",
            operation="refund",
        )
    payload = _details(d, event.resource_id)
    if str(payload.get("status") or "").upper() == "VOIDED":
        # Voided before slpay recorded it: no money went back, SL gets nothing.
        plan.evidence.update(refund=event.resource_id, voided="before it was recorded")
        return []
    return record_money_back(d, plan, _money_back_of(d, payload, "refund"))


def on_void(d: Deps, event: InboxEvent, plan: Plan) -> list[SLDocument]:
    """A void: of a capture (same documents as a refund before invoicing), of a refund SL
    already holds (:func:`reverse_voided_refunds`), else nothing."""
    payload = _details(d, event.resource_id)
    root = str(payload.get("rootId") or "")
    txns = transactions_of(d, root)
    reversed_refunds = reverse_voided_refunds(d, plan, txns, event.resource_id)
    voided = [t for t in txns if t.kind == "capture" and t.status == "VOIDED"]
    if not voided or voided[0].amount is None:
        if not reversed_refunds:
            plan.evidence.update(void=event.resource_id, voided="not a capture")
        return reversed_refunds
    event_info = d.mapping.payment_from_cybersource(payload, "void")
    amount = event_info.amount or voided[0].amount
    mb = MoneyBack(event.resource_id, "void", amount, root, event_info.submitted_at)
    return record_money_back(d, plan, mb)


def reverse_voided_refunds(d: Deps, plan: Plan, txns: list[Txn], void_id: str) -> list[SLDocument]:
    """Refunds SL holds (a card-refund DM) that Cybersource has since voided: the card was
    never refunded. Each gets a CM "Card refund voided" on the clearing account (Dr clearing,
    Cr AR: the clearing account is right again) keyed ``<refund id>:refund-void``, and a
    ``review`` task: the customer now holds that credit in SL, to refund again (flag a credit
    memo) or to apply. Documents SL already holds are never rewritten (keyed writes)."""
    docs: list[SLDocument] = []
    acc = d.settings.sl.accounts
    for t in txns:
        if t.kind != "refund" or t.status != "VOIDED" or t.amount is None:
            continue
        dm = _known(d, t.id, "refund")
        if dm is None or not dm.sl_cust_id:
            continue  # never recorded in SL: nothing to reverse
        memo = MemoInput(
            key=f"{t.id}:refund-void",
            doc_type="CM",
            customer=CustomerRef(cust_id=dm.sl_cust_id),
            amount=t.amount,
            date=datetime.now(UTC),
            line_acct=acc.clearing_acct,
            line_sub=acc.clearing_sub,
            cyber_id=t.id,
            order_nbr=dm.sl_ord_nbr or "",
            cust_ord_nbr=(dm.order_number or "")[:25],
            description=f"Card refund voided {t.id}"[:30],
        )
        written = d.writer.write_memos([memo])
        docs += written
        plan.order_number = plan.order_number or dm.order_number or ""
        plan.evidence.update(void=void_id, refund_voided=t.id)
        with d.hub.begin() as conn:
            tasks.open_task(
                conn,
                "review",
                f"refund-void:{t.id}",
                f"refund {t.id} of {t.amount} was voided in Cybersource: the card was not "
                f"refunded. Customer {dm.sl_cust_id} holds that credit in SL (CM "
                f"{written[0].ref_nbr if written else '?'} on clearing): refund it again by "
                "flagging a credit memo, or apply it",
                {
                    "refund": t.id,
                    "void": void_id,
                    "order_number": dm.order_number,
                    "amount": str(t.amount.amount),
                    "currency": t.amount.currency,
                    "dm": dm.sl_ref_nbr,
                },
            )
    return docs


HANDLERS: dict[str, Handler] = {REFUND_EVENT: on_refund, VOID_EVENT: on_void}


# --- applications once released --------------------------------------------------------------


def _pending(d: Deps) -> list[Xref]:
    applied = aliased(xref_table)
    x = xref_table.c
    stmt = (
        select(xref_table)
        .outerjoin(
            applied,
            and_(applied.c.transaction_id == x.transaction_id, applied.c.operation == "apply"),
        )
        .where(x.operation.in_(["refund", "void", "chargeback"]), x.sl_doc_type == "DM")
        .where(applied.c.id.is_(None))
        .order_by(x.id)
    )
    with d.hub.connect() as conn:
        return [Xref.from_row(r) for r in conn.execute(stmt)]


def _credit_for(d: Deps, dm: Xref) -> tuple[Literal["PP", "CM"], str] | None:
    memo_op = "chargeback-lost" if dm.operation == "chargeback" else "refund-cm"
    cm = _known(d, dm.transaction_id, memo_op)
    if cm is not None and cm.sl_ref_nbr:
        return "CM", cm.sl_ref_nbr
    if dm.operation == "chargeback":
        return None  # applied when the operator decides (won: a PA; lost: a CM)
    x = xref_table.c
    stmt = select(x.sl_ref_nbr).where(
        x.operation == "capture", x.sl_doc_type == "PP", x.sl_ord_nbr == dm.sl_ord_nbr
    )
    with d.hub.connect() as conn:
        refs = [r for r in conn.execute(stmt).scalars() if r]
    for ref in refs:
        state = document(d.writer.engine, dm.sl_cust_id or "", "PP", ref)
        if state is not None and (state.cury_doc_bal > 0 or not state.released):
            return "PP", ref
    return None


def apply_one(d: Deps, dm: Xref) -> str:
    """Apply the refund's credit (PP or CM) to its DM once both are released."""
    credit = _credit_for(d, dm)
    if credit is None:
        return "no-credit"
    cust, key = dm.sl_cust_id or "", f"apply:{dm.transaction_id}"
    missing = [
        f"{t} {r}"
        for t, r in (credit, ("DM", dm.sl_ref_nbr or ""))
        if not ((s := document(d.writer.engine, cust, t, r)) and s.released)
    ]
    app = CreditApplication(
        key=f"{dm.transaction_id}:apply",
        cust_id=cust,
        credit_type=credit[0],
        credit_ref=credit[1],
        targets=(Application("DM", dm.sl_ref_nbr or ""),),
        date=datetime.now(UTC),
    )
    try:
        if missing:
            raise NotReleasedError("not released", documents=tuple(missing))
        doc = d.writer.apply_credit(app)
    except NotReleasedError as exc:
        reason = f"release {' and '.join(exc.documents)} in SL so that slpay can apply them"
        with d.hub.begin() as conn:
            tasks.open_task(
                conn,
                "waiting-release",
                key,
                reason,
                {"transaction": dm.transaction_id, "missing": list(exc.documents)},
            )
        return "waiting"
    with d.hub.begin() as conn:
        record_xref(
            conn,
            Xref(
                dm.transaction_id,
                "apply",
                order_number=dm.order_number,
                sl_doc_type=credit[0],
                sl_ref_nbr=credit[1],
                sl_bat_nbr=doc.bat_nbr,
                sl_cust_id=cust,
                sl_ord_nbr=dm.sl_ord_nbr,
            ),
        )
        detail = {
            "batnbr": doc.bat_nbr,
            "credit": f"{credit[0]} {credit[1]}",
            "dm": dm.sl_ref_nbr,
            "new": doc.created,
        }
        for k in filter(None, (dm.order_number, dm.transaction_id, credit[1], dm.sl_ref_nbr)):
            audit.append_audit(conn, k, "sl", "application.written", detail)
        for t in tasks.list_tasks(conn, kind="waiting-release"):
            if t.key == key:
                tasks.resolve_task(conn, t.id, f"applied in batch {doc.bat_nbr}")
    return "applied"


def apply_each(
    items: Iterable[Xref], apply: Callable[[Xref], str], refused_event: str
) -> dict[str, int]:
    """Apply each document in turn; counts per result. SL unavailable stops the pass
    (``unavailable``: the next pass tries again); a refusal is logged and the rest go on."""
    counts: dict[str, int] = {}
    for item in items:
        try:
            result = apply(item)
        except TransientError:
            return counts | {"unavailable": 1}
        except SlpayError as exc:
            log.warning(refused_event, transaction=item.transaction_id, error=str(exc))
            result = "refused"
        counts[result] = counts.get(result, 0) + 1
    return counts


def apply_pending(d: Deps) -> dict[str, int]:
    """One pass over card-refund and chargeback DMs not applied yet; counts per result."""
    return apply_each(_pending(d), lambda dm: apply_one(d, dm), "money_back.apply_refused")


def money_back_summary(d: Deps) -> dict[str, int]:
    """DESIGN.md's demo keys for money going back (counts of hub cross-references)."""
    ops = {
        "refunds": ["refund"],
        "credit_memos": ["refund-cm", "chargeback-lost", "refund-void"],
        "card_refund_debit_memos": ["refund", "void"],
        "reversals": ["reversal"],
        "voids": ["void", "refund-void"],
        "chargebacks": ["chargeback"],
        "chargebacks_won": ["chargeback-won"],
    }
    x = xref_table.c
    with d.hub.connect() as conn:
        return {
            name: int(
                conn.execute(
                    select(func.count()).select_from(xref_table).where(x.operation.in_(names))
                ).scalar_one()
            )
            for name, names in ops.items()
        }
