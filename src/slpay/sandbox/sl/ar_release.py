"""AR release (08.400, ``pp_08400``) of one batch: plan every change, then write it.

The plan is built and checked completely before anything is written, so a refused batch changes
nothing but its Status (SL marks rejected AR batches ``S``). Then, as FACTS §4.3 describes:
documents and lines become released with the batch's period, ``U`` rows become ARAdjust rows and
are deleted, balances fall (OpenDoc 0 and PerClosed when they reach zero), AR GLTran rows are
written and the batch becomes ``U`` (``P`` once posted) or ``C`` when it has no GL lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, update

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import fiscal_year, read_char
from slpay.connectors.dynamics_sl.rows import Audit, full_row, update_values
from slpay.sandbox.sl.ar_apply import Application, adjust_row, application_gl, plan_applications
from slpay.sandbox.sl.ar_docs import (
    PAYMENTS,
    ZERO,
    Doc,
    check_control_totals,
    document_gl,
    load_batch_documents,
    load_batch_lines,
)
from slpay.sandbox.sl.books import Books, GLLine, credit, refuse
from slpay.sandbox.sl.gl_release import insert_gl_lines


@dataclass
class ARPlan:
    """Everything an AR release will change."""

    docs: list[Doc]
    apps: list[Application]
    gl: list[GLLine]
    urow_ids: list[int]


def plan_ar_release(conn: Connection, books: Books, batch: dict[str, Any]) -> ARPlan:
    """Check the batch as SL's AR release would and compute its effects."""
    batnbr = read_char(batch["BatNbr"])
    new_docs = load_batch_documents(conn, books, batnbr)
    detail, urows = load_batch_lines(conn, batnbr)
    if not new_docs and not urows:
        raise refuse(None, "the batch has no documents and no applications")
    check_control_totals(batch, new_docs, books)
    gl = document_gl(conn, books, new_docs, detail)
    apps = plan_applications(conn, books, new_docs, urows)

    def remainder_acct(doc: Doc) -> tuple[str, str]:
        return _credit_account(conn, books, doc)

    gl.extend(application_gl(books, apps, remainder_acct))
    for doc in new_docs.values():
        if doc.doc_type in PAYMENTS:
            gl.extend(_unapplied(doc, remainder_acct(doc)))
    touched = {id(d): d for d in new_docs.values()}
    for app in apps:
        touched[id(app.adjg)] = app.adjg
        touched[id(app.adjd)] = app.adjd
    return ARPlan(list(touched.values()), apps, gl, [int(r["RecordID"]) for r in urows])


def _credit_account(conn: Connection, books: Books, doc: Doc) -> tuple[str, str]:
    """Where a credit document's open amount sits: PP → prepayments, PA → the customer's AR
    account (no fallback to ARSetup, FACTS §11.2), CM → its own BankAcct/BankSub."""
    if doc.doc_type == "CM":
        return doc.bank
    customer = books.customer(conn, doc.cust) or {}
    if doc.doc_type == "PP":
        acct = read_char(customer.get("PrePayAcct")), read_char(customer.get("PrePaySub"))
        return acct if acct[0] else books.prepay
    return read_char(customer.get("ArAcct")), read_char(customer.get("ArSub"))


def _unapplied(doc: Doc, acct: tuple[str, str]) -> list[GLLine]:
    """The credit for the part of a new payment that is not applied yet."""
    cury_rest = doc.cury_orig - doc.cury_applied
    base_rest = doc.orig - doc.applied
    if not cury_rest and not base_rest:
        return []
    desc = read_char(doc.row["DocDesc"]) or doc.cust
    return [credit(acct, base_rest, cury_rest, desc=desc, **doc.currency_kw())]


def write_ar_release(
    conn: Connection, audit: Audit, books: Books, batch: dict[str, Any], plan: ARPlan, post: bool
) -> str:
    """Apply the plan (checked, including posting, beforehand); return the new Status."""
    per_post = read_char(batch["PerPost"])
    batnbr = read_char(batch["BatNbr"])
    for doc in plan.docs:
        _update_doc(conn, audit, doc, per_post, batnbr)
    t = sl.ARTran.c
    conn.execute(
        update(sl.ARTran)
        .where(t.BatNbr == batnbr, t.Rlsed == 0, t.DrCr != "U")
        .values(
            update_values(
                sl.ARTran,
                audit,
                {
                    "Rlsed": 1,
                    "AcctDist": 1,
                    "PerPost": per_post,
                    "FiscYr": fiscal_year(per_post),
                },
            )
        )
    )
    if plan.urow_ids:
        conn.execute(delete(sl.ARTran).where(t.RecordID.in_(plan.urow_ids)))
        rows = [adjust_row(app, batch, per_post) for app in plan.apps]
        conn.execute(insert(sl.ARAdjust), [full_row(sl.ARAdjust, audit, r) for r in rows])
    posted = "P" if post else "U"
    insert_gl_lines(conn, audit, books, batch, plan.gl, posted)
    status = posted if plan.gl else "C"
    total = float(sum((line.dr for line in plan.gl), ZERO))
    conn.execute(
        update(sl.Batch)
        .where(sl.Batch.c.Module == "AR", sl.Batch.c.BatNbr == batnbr)
        .values(
            update_values(
                sl.Batch,
                audit,
                {
                    "Rlsed": 1,
                    "Status": status,
                    "CrTot": total,
                    "DrTot": total,
                    "CtrlTot": total,
                    "LedgerID": books.ledger_id,
                    "BaseCuryID": books.base_cury,
                    "BalanceType": "A",
                },
            )
        )
    )
    return status


def _update_doc(conn: Connection, audit: Audit, doc: Doc, per_post: str, batnbr: str) -> None:
    cury_bal = doc.cury_bal - doc.cury_applied
    bal = Decimal(0) if cury_bal == 0 else doc.bal - doc.applied
    values: dict[str, Any] = {
        "CuryDocBal": float(cury_bal),
        "DocBal": float(bal),
        "OpenDoc": 1 if cury_bal else 0,
        "PerClosed": " " if cury_bal else per_post,
    }
    if doc.new:
        values.update(Rlsed=1, PerPost=per_post)
    if doc.new or read_char(doc.row["ApplBatNbr"]) == batnbr:
        values.update(
            ApplBatNbr=" ",
            ApplBatSeq=0,
            CuryApplAmt=0.0,
            ApplAmt=0.0,
            CuryDiscApplAmt=0.0,
            DiscApplAmt=0.0,
        )
    d = sl.ARDoc.c
    r = doc.row
    conn.execute(
        update(sl.ARDoc)
        .where(
            d.CustId == r["CustId"],
            d.DocType == r["DocType"],
            d.RefNbr == r["RefNbr"],
            d.BatNbr == r["BatNbr"],
            d.BatSeq == r["BatSeq"],
        )
        .values(update_values(sl.ARDoc, audit, values))
    )
