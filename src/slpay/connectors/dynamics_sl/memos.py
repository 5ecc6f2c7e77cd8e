"""08.010 AR document batches: credit and debit memos with one line on a chosen account.

FACTS §4.2: CrTot = CtrlTot = Σ OrigDocAmt (Cury twins = Σ CuryOrigDocAmt); the document's
BankAcct/BankSub is the AR account it posts to (the customer's); the line carries the other
side — DrCr ``C`` on a DM, ``D`` on a CM. Memos written together (e.g. the CM and the "card
refund" DM of a refund after invoicing) share one batch per currency and period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert

from slpay.connectors.dynamics_sl import customers
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.context import Company, Rate
from slpay.connectors.dynamics_sl.conventions import clip, fiscal_year, line_nbr, line_ref
from slpay.connectors.dynamics_sl.models import Customer, ItemResult, MemoInput, SLDocument
from slpay.connectors.dynamics_sl.numbering import batch_numbers, memo_numbers
from slpay.connectors.dynamics_sl.rows import Audit, check_text, full_row
from slpay.errors import SlpayError, ValidationError


@dataclass
class _Memo:
    item: MemoInput
    customer: Customer
    rate: Rate
    per_post: str
    doc_date: datetime
    base: Decimal


def write_memos(
    conn: Connection, company: Company, audit: Audit, items: Sequence[MemoInput]
) -> list[ItemResult]:
    """Write new memos (the caller holds ARSetup locked); one result per item, in order."""
    results: dict[str, ItemResult] = {}
    ready: list[_Memo] = []
    for item in items:
        try:
            ready.append(_prepare(conn, company, audit, item))
        except SlpayError as exc:
            results[item.key] = ItemResult(item.key, error=exc)
    groups: dict[tuple[Any, ...], list[_Memo]] = {}
    for m in ready:
        key = (m.rate.cury_id, m.rate.rate, m.rate.mult_div, m.per_post, m.doc_date)
        groups.setdefault(key, []).append(m)
    if not groups:
        return [results[i.key] for i in items]
    bat_nbrs = batch_numbers(conn, sl.ARSetup, company.ar["LastBatNbr"], "AR", len(groups))
    refs = {
        t: iter(memo_numbers(conn, company.ar, t, n))
        for t in ("CM", "DM")
        if (n := sum(1 for m in ready if m.item.doc_type == t))
    }
    batches, docs, lines = [], [], []
    for members, bat_nbr in zip(groups.values(), bat_nbrs, strict=True):
        batches.append(_batch_row(company, audit, members, bat_nbr))
        for seq, m in enumerate(members, start=1):
            doc = _doc_row(company, audit, m, bat_nbr, seq, next(refs[m.item.doc_type]))
            docs.append(doc)
            lines.append(_line_row(audit, m, doc))
            results[m.item.key] = ItemResult(m.item.key, document=_document(company, m, doc))
    conn.execute(insert(sl.Batch), batches)
    conn.execute(insert(sl.ARDoc), docs)
    conn.execute(insert(sl.ARTran), lines)
    return [results[i.key] for i in items]


def _prepare(conn: Connection, company: Company, audit: Audit, item: MemoInput) -> _Memo:
    if item.doc_type not in ("CM", "DM"):
        raise ValidationError("must be CM or DM", field="doc_type")
    if item.amount.amount <= 0:
        raise ValidationError("must be greater than zero", field="amount")
    check_text(
        sl.ARDoc,
        {
            "OrdNbr": item.order_nbr,
            "CustOrdNbr": item.cust_ord_nbr,
            company.settings.ardoc_cyber_field: item.cyber_id,
        },
    )
    company.catalog.check_account(conn, item.line_acct, item.line_sub, "line_acct")
    rate = company.rate(conn, item.amount, item.date, item.rate)
    per_post = company.period(item.date, "AR")
    customer = customers.resolve(conn, company, item.customer, audit)
    return _Memo(
        item, customer, rate, per_post, company.sl_date(item.date), rate.base(item.amount.amount)
    )


def _batch_row(
    company: Company, audit: Audit, members: list[_Memo], bat_nbr: str
) -> dict[str, Any]:
    first = members[0]
    cury = float(sum((m.item.amount.amount for m in members), Decimal(0)))
    base = float(sum((m.base for m in members), Decimal(0)))
    return full_row(
        sl.Batch,
        audit,
        {
            "Module": "AR",
            "BatNbr": bat_nbr,
            "CpnyID": company.cpny_id,
            "Status": company.settings.batch_status,
            "Rlsed": 0,
            "EditScrnNbr": "08010",
            "OrigScrnNbr": "08010",
            "JrnlType": "AR",
            "BatType": "N",
            "PerPost": first.per_post,
            "PerEnt": company.current_period("AR"),
            "DateEnt": first.doc_date,
            "CtrlTot": base,
            "CrTot": base,
            "CuryCtrlTot": cury,
            "CuryCrTot": cury,
            "LedgerID": company.ledger_id,
            "BalanceType": "A",
            "BaseCuryID": company.base_cury,
            "GLPostOpt": "D",
            "Descr": "slpay memos",
            **first.rate.columns(sl.Batch),
        },
    )


def _ar_account(company: Company, customer: Customer) -> tuple[str, str]:
    if customer.ar_acct and customer.ar_sub:
        return customer.ar_acct, customer.ar_sub
    return company.ar["ArAcct"], company.ar["ArSub"]


def _doc_row(
    company: Company, audit: Audit, m: _Memo, bat_nbr: str, seq: int, ref_nbr: str
) -> dict[str, Any]:
    item, s = m.item, company.settings
    acct, sub = _ar_account(company, m.customer)
    amt, base = float(item.amount.amount), float(m.base)
    default = "Card refund" if item.doc_type == "DM" else "Refund"
    return full_row(
        sl.ARDoc,
        audit,
        {
            "CustId": m.customer.cust_id,
            "DocType": item.doc_type,
            "RefNbr": ref_nbr,
            "BatNbr": bat_nbr,
            "BatSeq": seq,
            "CpnyID": company.cpny_id,
            "DocDate": m.doc_date,
            "DueDate": m.doc_date,
            "DiscDate": m.doc_date,
            "PerPost": m.per_post,
            "PerEnt": company.current_period("AR"),
            "CuryOrigDocAmt": amt,
            "OrigDocAmt": base,
            "CuryDocBal": amt,
            "DocBal": base,
            "Rlsed": 0,
            "OpenDoc": 1,
            "DocClass": "N",
            "BankAcct": acct,
            "BankSub": sub,
            "Terms": m.customer.terms,
            "DocDesc": clip(item.description or f"{default} {item.cyber_id}", 30),
            "CustOrdNbr": item.cust_ord_nbr,
            "OrdNbr": item.order_nbr,
            "LineCntr": 1,
            s.ardoc_cyber_field: item.cyber_id,
            **m.rate.columns(sl.ARDoc),
        },
    )


def _line_row(audit: Audit, m: _Memo, doc: dict[str, Any]) -> dict[str, Any]:
    item = m.item
    return full_row(
        sl.ARTran,
        audit,
        {
            "CustId": doc["CustId"],
            "TranType": item.doc_type,
            "RefNbr": doc["RefNbr"],
            "BatNbr": doc["BatNbr"],
            "LineNbr": line_nbr(0),
            "LineRef": line_ref(0),
            "LineId": 1,
            "CpnyID": doc["CpnyID"],
            "Acct": item.line_acct,
            "Sub": item.line_sub,
            "DrCr": "C" if item.doc_type == "DM" else "D",
            "TranClass": "N",
            "CuryTranAmt": doc["CuryOrigDocAmt"],
            "TranAmt": doc["OrigDocAmt"],
            "Qty": 1.0,
            "CuryUnitPrice": doc["CuryOrigDocAmt"],
            "UnitPrice": doc["OrigDocAmt"],
            "TranDate": m.doc_date,
            "TranDesc": doc["DocDesc"],
            "PerPost": m.per_post,
            "PerEnt": doc["PerEnt"],
            "FiscYr": fiscal_year(m.per_post),
            "JrnlType": "AR",
            "OrdNbr": doc["OrdNbr"],
            **m.rate.columns(sl.ARTran),
        },
    )


def _document(company: Company, m: _Memo, doc: dict[str, Any]) -> SLDocument:
    return SLDocument(
        key=m.item.key,
        kind="memo",
        cpny_id=company.cpny_id,
        module="AR",
        bat_nbr=doc["BatNbr"],
        doc_type=doc["DocType"],
        ref_nbr=doc["RefNbr"],
        cust_id=m.customer.cust_id,
        ord_nbr=m.item.order_nbr,
        cyber_id=m.item.cyber_id,
    )
