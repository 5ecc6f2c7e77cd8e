"""SL → Cybersource: credit memos flagged for a card refund, refunded against the capture.

The signals pass (:func:`poll_sl`) reads SL's ``card_refund`` signals (a released CM with
``User1 = 'CARDREFUND'`` and the order in OrdNbr or CustOrdNbr) and ``cancelled`` signals into
the inbox (event ``sl.card_refund``, resource ``<CustId>:<RefNbr>``, deduped like any event:
the same CM seen twice is one event). :func:`on_card_refund` then:

1. finds the order's authorization and what Cybersource holds for it; a CM for more than is
   captured and not yet refunded is **refused before any request is sent**: a note on the CM
   for SL users and a ``refund-refused`` task;
2. looks for a refund already sent for this CM (TSS search on its transactionId,
   ``slcm<hash of the CM key>``): a replay or a re-run after a crash never refunds twice;
3. refunds the captures with that transactionId (a timeout is settled by the connector's
   resolver: search, then timeout void with the same transactionId — FACTS §11). After partial
   shipments an authorization has several captures: the CM is spread over them, newest first,
   never more than a capture's ``refundBalance`` — one Cybersource refund per capture, each
   with its own transactionId (``…r<n>``); a re-run sends only what is still missing;
4. writes a card-refund DM per refund (``<refund id>:refund``), records the CM under
   ``<refund id>:refund-cm`` (so the refund's own webhook writes nothing), marks the CM with the
   (first) refund id in the configured ARDoc field; each CM → DM application waits for
   release (SL applies a document in one unreleased batch at a time).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from slpay.connectors.cybersource.requests import build_refund_request
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.db import classify, write_transaction
from slpay.connectors.dynamics_sl.models import NoteInput, SLDocument
from slpay.connectors.dynamics_sl.reader import SLSignal
from slpay.connectors.dynamics_sl.rows import PROG
from slpay.domain.money import Money, exponent
from slpay.errors import Declined, InvalidRequest, SlpayError
from slpay.logs import get_logger
from slpay.store import control, tasks
from slpay.store.inbox import InboxEvent, NewEvent, insert_events
from slpay.store.schema import inbox
from slpay.store.schema import xref as xref_table
from slpay.workflows.cancellations import SL_CANCELLED
from slpay.workflows.context import Deps
from slpay.workflows.o2c import Plan
from slpay.workflows.refunds import (
    SL_TID_PREFIX,
    Handler,
    MoneyBack,
    Txn,
    apply_pending,
    live,
    record_money_back,
    refundable,
    total,
    transactions_of,
    txn_of,
)

log = get_logger(__name__)

SL_CARD_REFUND = "sl.card_refund"
_WATERMARK = "money_back.sl_since"
_OVERLAP = timedelta(minutes=3)


class RefundRefused(SlpayError):
    """slpay will not send this refund (the reason says why); nothing reached Cybersource."""


# --- polling ---------------------------------------------------------------------------------


def _event(d: Deps, s: SLSignal) -> NewEvent | None:
    kinds = {"card_refund": SL_CARD_REFUND, "cancelled": SL_CANCELLED}
    if s.kind not in kinds:
        return None
    event_type = kinds[s.kind]
    resource = f"{s.cust_id}:{s.ref_nbr}" if s.kind == "card_refund" else f"{s.cpny_id}:{s.ord_nbr}"
    payload = {
        "cpny_id": s.cpny_id,
        "cust_id": s.cust_id,
        "ref_nbr": s.ref_nbr,
        "ord_nbr": s.ord_nbr,
        "cust_ord_nbr": s.cust_ord_nbr,
        "cury_id": s.cury_id,
        "amount": repr(s.amount),
        "cyber_id": s.cyber_id,
        "bat_nbr": s.bat_nbr,
        "origin": "sl",
    }
    org = d.organization_id
    return NewEvent(
        dedupe_key=f"{org}|{event_type}|{resource}",
        organization_id=org,
        event_type=event_type,
        resource_id=resource,
        payload=payload,
        source="sl",
    )


def poll_sl(d: Deps) -> int:
    """Read SL's card-refund and cancellation signals into the inbox; how many were new."""
    with d.hub.connect() as conn:
        mark = control.get_flag(conn, _WATERMARK)
    since = datetime.fromisoformat(mark) if mark else datetime(1900, 1, 2, tzinfo=UTC)
    signals = d.reader.read(since - _OVERLAP)
    candidates = [e for s in signals if (e := _event(d, s)) is not None]
    newest = max([since, *(s.changed_at for s in signals)])
    with d.hub.begin() as conn:
        keys = [c.dedupe_key for c in candidates]
        known = (
            set(
                conn.execute(
                    select(inbox.c.dedupe_key).where(inbox.c.dedupe_key.in_(keys))
                ).scalars()
            )
            if keys
            else set()
        )
        missing = [c for c in candidates if c.dedupe_key not in known]
        new = sum(insert_events(conn, missing)) if missing else 0
        control.set_flag(conn, _WATERMARK, newest.isoformat())
    return new


# --- one credit memo ---------------------------------------------------------------------------


def transaction_id_for(cust_id: str, ref_nbr: str, attempt: int = 0) -> str:
    """The refund's clientReferenceInformation.transactionId, derived from the CM's key."""
    digest = hashlib.sha256(f"CM:{cust_id}:{ref_nbr}".encode()).hexdigest()[:20]
    return f"{SL_TID_PREFIX}{digest}" + (f"r{attempt}" if attempt else "")


def _authorization(d: Deps, ord_nbr: str, cust_ord_nbr: str) -> tuple[str, str]:
    """(authorization id, eCommerce order number) of the SL order the CM refunds."""
    x = xref_table.c
    stmt = select(x.transaction_id, x.order_number).where(x.operation == "authorize")
    stmt = stmt.where((x.sl_ord_nbr == ord_nbr) if ord_nbr else (x.order_number == cust_ord_nbr))
    with d.hub.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        raise RefundRefused(f"no card payment known for order {ord_nbr or cust_ord_nbr}")
    return str(row.transaction_id), str(row.order_number or cust_ord_nbr)


def _amount(payload: dict[str, Any]) -> Money:
    # SL's FLOAT, converted here at the boundary to the currency's places.
    cury = str(payload["cury_id"])
    return Money.of(str(round(Decimal(payload["amount"]), exponent(cury))), cury)


def _refuse(d: Deps, plan: Plan, payload: dict[str, Any], reason: str) -> list[SLDocument]:
    """Tell SL users (a note on the CM) and operators (a task); nothing is sent."""
    cust, ref = payload["cust_id"], payload["ref_nbr"]
    text = f"slpay did not refund this credit memo to the card: {reason}"
    d.writer.add_note(
        NoteInput(
            key=f"CM-{cust}-{ref}:refund-refused",
            target="ARDoc",
            ids={"CustId": cust, "DocType": "CM", "RefNbr": ref},
            text=text,
        )
    )
    with d.hub.begin() as conn:
        tasks.open_task(
            conn,
            "refund-refused",
            f"cm:{cust}:{ref}",
            reason,
            {**payload, "order_number": plan.order_number},
        )
    plan.evidence.update(refused=reason)
    log.warning("sl_refund.refused", cust=cust, refnbr=ref, reason=reason)
    return []


def _sent_before(d: Deps, cust: str, ref: str) -> tuple[list[Txn], int]:
    """The live refunds already sent for this CM (oldest first), and how many
    transactionIds were used (voided attempts included)."""
    base = transaction_id_for(cust, ref)
    found = d.cs.search(
        f"clientReferenceInformation.transactionId:{base}*", limit=50, sort="submitTimeUtc:asc"
    )
    alive = [txn_of(t) for t in found.transactions if (t.status or "").upper() != "VOIDED"]
    return alive, len(found.transactions)


def on_card_refund(d: Deps, event: InboxEvent, plan: Plan) -> list[SLDocument]:
    """Refund one flagged CM to the card (see the module docstring)."""
    p = event.payload
    cust, ref = str(p["cust_id"]), str(p["ref_nbr"])
    try:
        auth_id, plan.order_number = _authorization(d, p["ord_nbr"], p["cust_ord_nbr"])
        amount = _amount(p)
    except RefundRefused as exc:
        return _refuse(d, plan, p, str(exc))
    plan.evidence.update(credit_memo=f"{cust}:{ref}", authorization=auth_id)
    sent, used = _sent_before(d, cust, ref)
    left = amount.amount - total(sent)
    if left > 0:  # nothing sent yet, or a crash / refusal between the parts of a split refund
        sent += _send(d, plan, p, auth_id, Money(left, amount.currency), used)
    if not sent:
        return []
    plan.evidence.update(refunds=[t.id for t in sent])
    docs: list[SLDocument] = []
    for t in sent:
        part = t.amount if t.amount is not None else amount
        mb = MoneyBack(t.id, "refund", part, auth_id, datetime.now(UTC))
        docs += record_money_back(d, plan, mb, credit_memo=True)
    _mark(d, cust, ref, sent[0].id)
    cms = [
        SLDocument(
            key=f"{t.id}:refund-cm",
            kind="memo",
            cpny_id=str(p["cpny_id"]),
            module="AR",
            bat_nbr=str(p["bat_nbr"]),
            doc_type="CM",
            ref_nbr=ref,
            cust_id=cust,
            ord_nbr=str(p["ord_nbr"]),
            cyber_id=t.id,
            created=False,
        )
        for t in sent
    ]
    return [*docs, *cms]


def refund_balances(d: Deps, txns: list[Txn]) -> list[tuple[Txn, Decimal]]:
    """The live captures (newest first) with what may still be refunded against each.

    Cybersource's TSS details give it as ``amountDetails.refundBalance``; where a capture's
    details have none, the refunds of the chain are taken from the newest captures first
    (the order in which :func:`split_refund` spends them).
    """
    captures = list(reversed(live(txns, "capture")))
    unallotted = total(live(txns, "refund"))
    out: list[tuple[Txn, Decimal]] = []
    for cap in captures:
        amount = cap.amount.amount if cap.amount is not None else Decimal(0)
        info = d.cs.get_transaction(cap.id).order_information
        balance = info.amount_details.refund_balance if info and info.amount_details else None
        if balance is None:
            taken = min(amount, unallotted)
            unallotted -= taken
            balance = amount - taken
        out.append((cap, max(balance, Decimal(0))))
    return out


def split_refund(amount: Decimal, balances: list[tuple[Txn, Decimal]]) -> list[tuple[Txn, Decimal]]:
    """``amount`` spread over the captures, newest first, never more than a capture's balance;
    what no capture can take is left out (the caller refuses it)."""
    parts: list[tuple[Txn, Decimal]] = []
    for cap, balance in balances:
        take = min(balance, amount - sum(a for _, a in parts))
        if take > 0:
            parts.append((cap, take))
    return parts


def _send(
    d: Deps, plan: Plan, p: dict[str, Any], auth_id: str, amount: Money, used: int
) -> list[Txn]:
    """Check the amount, then refund it against the captures (several refunds when one
    capture has too little left); the refunds sent, none when refused."""
    txns = transactions_of(d, auth_id)
    left = refundable(txns)
    if amount.amount > left:
        reason = (
            f"refund of {amount} exceeds what is left to refund on the card "
            f"({left} {amount.currency} captured and not yet refunded)"
        )
        _refuse(d, plan, p, reason)
        return []
    parts = split_refund(amount.amount, refund_balances(d, txns))
    short = amount.amount - sum(a for _, a in parts)
    if short > 0:
        _refuse(d, plan, p, f"no capture has {short} {amount.currency} left to refund")
        return []
    sent: list[Txn] = []
    for n, (cap, part) in enumerate(parts):
        money = Money(part, amount.currency)
        tid = transaction_id_for(str(p["cust_id"]), str(p["ref_nbr"]), used + n)
        request = build_refund_request(
            money, code=plan.order_number[:50] or None, transaction_id=tid
        )
        try:
            if cap.id == auth_id:  # a sale: the payment itself is refunded
                response = d.cs.refund_payment(cap.id, request)
            else:
                response = d.cs.refund_capture(cap.id, request)
        except (InvalidRequest, Declined) as exc:
            done = f" ({len(sent)} of {len(parts)} parts were refunded)" if sent else ""
            _refuse(d, plan, p, f"Cybersource refused the refund: {exc}{done}")
            break
        sent.append(Txn(response.id or "", "refund", "PENDING", money, plan.order_number))
    return sent


def _mark(d: Deps, cust: str, ref: str, refund_id: str) -> None:
    """Write the refund id into the CM's Cybersource-id field (SL users see it was paid)."""
    d.writer.faults.check_write("mark_credit_memo", f"{refund_id}:refund-cm")
    col = sl.ARDoc.c[d.settings.sl.ardoc_cyber_field]
    a = sl.ARDoc.c
    try:
        with write_transaction(d.writer.engine) as conn:
            conn.execute(
                sl.ARDoc.update()
                .where(a.CustId == cust, a.DocType == "CM", a.RefNbr == ref)
                .values({col.name: refund_id, "LUpd_Prog": PROG})
            )
    except SQLAlchemyError as exc:
        raise classify(exc, "mark_credit_memo") from exc


HANDLERS: dict[str, Handler] = {SL_CARD_REFUND: on_card_refund}


def money_back_once(d: Deps) -> dict[str, int]:
    """One pass of the hub's money-back loop: SL signals, chargeback report, applications.

    Each part fails alone (logged); the next pass tries again.
    """
    from slpay.workflows.chargebacks import poll_chargebacks

    counts: dict[str, int] = {}
    parts: dict[str, Callable[[], Any]] = {
        "sl_signals": lambda: poll_sl(d),
        "chargebacks": lambda: poll_chargebacks(d),
        "applications": lambda: apply_pending(d),
    }
    for name, part in parts.items():
        try:
            result = part()
        except SlpayError as exc:
            log.warning("money_back.failed", part=name, error=str(exc))
            continue
        if isinstance(result, dict):
            counts.update({f"applications.{k}": v for k, v in result.items()})
        elif result:
            counts[name] = int(result)
    return counts
