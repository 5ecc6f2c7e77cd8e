"""08.030 payment batches: card receipts as PP (prepayment) or PA documents with U rows.

Many payments may go in one transaction (a micro-batch): they are grouped into one SL batch per
currency, rate, period and deposit date, as SL's own payment batches are single-currency. Each
payment keeps its own business key; one refused payment does not stop the others.

Batch totals (FACTS §4.3, §11.3): CrTot = CtrlTot = DepositAmt = Σ OrigDocAmt, the Cury* twins
= Σ CuryOrigDocAmt, DrTot = 0, BankAcct/BankSub = the Cybersource clearing cash account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from slpay.connectors.dynamics_sl import customers
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.applications import (
    Target,
    deposit_batch_row,
    refuse_auto_apply,
    resolve_targets,
)
from slpay.connectors.dynamics_sl.applications import u_rows as make_u_rows
from slpay.connectors.dynamics_sl.context import Company, Rate
from slpay.connectors.dynamics_sl.conventions import clip
from slpay.connectors.dynamics_sl.models import Customer, ItemResult, PaymentInput, SLDocument
from slpay.connectors.dynamics_sl.numbering import batch_numbers, payment_refs
from slpay.connectors.dynamics_sl.rows import Audit, check_text, full_row, insert_rows
from slpay.errors import SlpayError, ValidationError


@dataclass
class _Prepared:
    item: PaymentInput
    customer: Customer
    rate: Rate
    per_post: str
    doc_date: datetime
    doc_type: str
    cury: Decimal
    base: Decimal
    targets: list[Target]
    applied: Decimal = Decimal(0)


@dataclass
class _Group:
    rate: Rate
    per_post: str
    doc_date: datetime
    members: list[_Prepared] = field(default_factory=list)


def check_payment(item: PaymentInput) -> None:
    """Input checks that need no database: amount, type, key-independent fields."""
    if item.amount.amount <= 0:
        raise ValidationError("must be greater than zero", field="amount")
    if item.doc_type == "PP" and item.applications:
        raise ValidationError("a prepayment (PP) carries no applications", field="applications")
    check_text(sl.ARDoc, {"OrdNbr": item.order_nbr, "CustOrdNbr": item.cust_ord_nbr})


def write_payments(
    conn: Connection, company: Company, audit: Audit, items: Sequence[PaymentInput]
) -> list[ItemResult]:
    """Write new payments (keys already checked as new); one result per item, in order."""
    results: dict[str, ItemResult] = {}
    prepared: list[_Prepared] = []
    ids = sorted({p.customer.cust_id.strip() for p in items if p.customer.cust_id})
    known = customers.by_ids(conn, ids)
    claimed: dict[tuple[str, str, str], Decimal] = {}
    for item in items:
        try:
            prepared.append(_prepare(conn, company, audit, item, known, claimed))
        except (SlpayError, KeyError) as exc:
            err = exc if isinstance(exc, SlpayError) else ValidationError(str(exc))
            results[item.key] = ItemResult(item.key, error=err)
    if not prepared:
        return [results[item.key] for item in items]
    groups = _group(prepared)
    bat_nbrs = batch_numbers(conn, sl.ARSetup, company.ar["LastBatNbr"], "AR", len(groups))
    refs = iter(
        payment_refs(conn, company.settings.payment_ref_prefix, ("PA", "PP"), len(prepared))
    )
    batches, docs, trans = [], [], []
    for group, bat_nbr in zip(groups, bat_nbrs, strict=True):
        batches.append(_batch_row(company, audit, group, bat_nbr))
        for seq, p in enumerate(group.members, start=1):
            doc = _doc_row(company, audit, p, bat_nbr, seq, next(refs))
            docs.append(doc)
            trans.extend(
                make_u_rows(
                    company,
                    audit,
                    credit=doc,
                    targets=p.targets,
                    rate=p.rate,
                    bat_nbr=bat_nbr,
                    per_post=p.per_post,
                    tran_date=p.doc_date,
                )
            )
            results[p.item.key] = ItemResult(p.item.key, document=_document(company, p, doc))
    insert_rows(conn, sl.Batch, batches)
    insert_rows(conn, sl.ARDoc, docs)
    insert_rows(conn, sl.ARTran, trans)
    return [results[item.key] for item in items]


def _prepare(
    conn: Connection,
    company: Company,
    audit: Audit,
    item: PaymentInput,
    known: dict[str, Customer],
    claimed: dict[tuple[str, str, str], Decimal],
) -> _Prepared:
    check_payment(item)
    check_text(sl.ARDoc, {company.settings.ardoc_cyber_field: item.cyber_id})
    rate = company.rate(conn, item.amount, item.date, item.rate)
    per_post = company.period(item.date, "AR")
    cust_id = (item.customer.cust_id or "").strip()
    customer = known.get(cust_id) or customers.find(conn, item.customer)
    doc_type = item.doc_type or ("PA" if item.applications else "PP")
    targets: list[Target] = []
    if item.applications:
        if customer is None:
            raise ValidationError(
                "the customer does not exist yet, so it has nothing to pay",
                field="applications[0].ref_nbr",
            )
        refuse_auto_apply(customer)
        targets = resolve_targets(
            conn, company, customer, rate.cury_id, item.applications, item.amount.amount, claimed
        )
    if customer is None:
        # Created last, once nothing else can refuse this payment.
        customer = customers.resolve(conn, company, item.customer, audit)
    known[customer.cust_id] = customer
    return _Prepared(
        item=item,
        customer=customer,
        rate=rate,
        per_post=per_post,
        doc_date=company.sl_date(item.date),
        doc_type=doc_type,
        cury=item.amount.amount,
        base=rate.base(item.amount.amount),
        targets=targets,
        applied=sum((t.amount for t in targets), Decimal(0)),
    )


def _group(prepared: list[_Prepared]) -> list[_Group]:
    groups: dict[tuple[Any, ...], _Group] = {}
    for p in prepared:
        key = (p.rate.cury_id, p.rate.rate, p.rate.mult_div, p.per_post, p.doc_date)
        groups.setdefault(key, _Group(p.rate, p.per_post, p.doc_date)).members.append(p)
    return list(groups.values())


def _batch_row(company: Company, audit: Audit, group: _Group, bat_nbr: str) -> dict[str, Any]:
    return deposit_batch_row(
        company,
        audit,
        group.rate,
        bat_nbr,
        per_post=group.per_post,
        when=group.doc_date,
        descr="slpay card payments",
        cury_total=sum((p.cury for p in group.members), Decimal(0)),
        base_total=sum((p.base for p in group.members), Decimal(0)),
    )


def _doc_row(
    company: Company, audit: Audit, p: _Prepared, bat_nbr: str, seq: int, ref_nbr: str
) -> dict[str, Any]:
    s = company.settings
    item = p.item
    unapplied = p.cury - p.applied
    desc = item.description or f"Card {item.cyber_id or item.cust_ord_nbr}"
    return full_row(
        sl.ARDoc,
        audit,
        {
            "CustId": p.customer.cust_id,
            "DocType": p.doc_type,
            "RefNbr": ref_nbr,
            "BatNbr": bat_nbr,
            "BatSeq": seq,
            "CpnyID": company.cpny_id,
            "DocDate": p.doc_date,
            "DueDate": p.doc_date,
            "DiscDate": p.doc_date,
            "PerPost": p.per_post,
            "PerEnt": company.current_period("AR"),
            "CuryOrigDocAmt": float(p.cury),
            "OrigDocAmt": float(p.base),
            "CuryDocBal": float(p.cury),
            "DocBal": float(p.base),
            "ApplBatNbr": bat_nbr,
            "ApplBatSeq": seq,
            "CuryApplAmt": float(unapplied),
            "ApplAmt": float(p.rate.base(unapplied)),
            "Rlsed": 0,
            "OpenDoc": 1,
            "DocClass": "P",
            "BankAcct": s.accounts.clearing_acct,
            "BankSub": s.accounts.clearing_sub,
            "DocDesc": clip(desc, 30),
            "CustOrdNbr": item.cust_ord_nbr,
            "OrdNbr": item.order_nbr,
            "LineCntr": len(p.targets),
            s.ardoc_cyber_field: item.cyber_id,
            **p.rate.columns(sl.ARDoc),
        },
    )


def _document(company: Company, p: _Prepared, doc: dict[str, Any]) -> SLDocument:
    return SLDocument(
        key=p.item.key,
        kind="payment",
        cpny_id=company.cpny_id,
        module="AR",
        bat_nbr=doc["BatNbr"],
        doc_type=doc["DocType"],
        ref_nbr=doc["RefNbr"],
        cust_id=p.customer.cust_id,
        ord_nbr=p.item.order_nbr,
        cyber_id=p.item.cyber_id,
    )
