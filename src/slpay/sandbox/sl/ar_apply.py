"""AR release, part 2: ``U`` rows (pending applications) → ARAdjust, balances and GL.

FACTS §4.3 and §11: each ``U`` row applies the adjusting document (TranType/RefNbr: a PA, PP or
CM) to the adjusted one (CostType/SiteId: an IN or DM) for CuryTranAmt (TranAmt in base at the
adjusted document's rate). Release refuses an application to or from a document that is not
released (12306) and, for a customer with AutoApply = 1, rolls back (8888: SL would apply it a
second time). The sandbox also refuses what SL would let through silently: a ``U`` row pointing
at no document (§11.5), over-application, discounts and cross-currency applications (not
simulated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.sandbox.sl.ar_docs import CREDIT_DOCS, DEBIT_DOCS, ZERO, Doc, Key, make_doc
from slpay.sandbox.sl.books import Books, GLLine, credit, debit, refuse


@dataclass
class Application:
    """One ``U`` row, resolved."""

    row: dict[str, Any]
    adjg: Doc
    adjd: Doc
    cury: Decimal
    #: Base amount at the adjusted document's rate (what leaves AR).
    base_adjd: Decimal
    #: Base amount at the adjusting document's rate (what leaves the credit's account).
    base_adjg: Decimal

    @property
    def acct(self) -> tuple[str, str]:
        return read_char(self.row["Acct"]), read_char(self.row["Sub"])

    @property
    def rgol(self) -> Decimal:
        """Realised gain (+) or loss (-) in base currency."""
        return self.base_adjg - self.base_adjd


class DocFinder:
    """Finds the documents ``U`` rows name: new ones in the batch, else released ones."""

    def __init__(self, conn: Connection, books: Books, new_docs: dict[Key, Doc]):
        self.conn = conn
        self.books = books
        self.docs: dict[Key, Doc] = dict(new_docs)

    def find(self, key: Key, role: str) -> Doc:
        if key in self.docs:
            doc = self.docs[key]
            if doc.new and role == "adjusted":
                raise refuse(12306, f"{doc.label()} is applied before it is released")
            return doc
        d = sl.ARDoc.c
        rows = self.conn.execute(
            select(sl.ARDoc).where(d.CustId == key[0], d.DocType == key[1], d.RefNbr == key[2])
        ).all()
        released = [r for r in rows if r.Rlsed == 1]
        label = f"{key[1]} {key[2]} of {key[0]}"
        if not rows:
            raise refuse(None, f"the {role} document {label} does not exist (SL would reduce "
                         "nothing and say nothing, FACTS §11.5)")  # fmt: skip
        if not released:
            raise refuse(12306, f"{label} is applied before it is released")
        if len(released) > 1:
            raise refuse(None, f"{label} exists in {len(released)} released batches")
        doc = make_doc(released[0], self.books, new=False)
        self.docs[key] = doc
        return doc


def plan_applications(
    conn: Connection, books: Books, new_docs: dict[Key, Doc], urows: list[dict[str, Any]]
) -> list[Application]:
    """Resolve and check every ``U`` row; record the amounts on the documents."""
    finder = DocFinder(conn, books, new_docs)
    apps = [_resolve(conn, books, finder, row) for row in urows]
    for app in apps:
        app.adjg.cury_applied += app.cury
        app.adjg.applied += app.base_adjg
        app.adjd.cury_applied += app.cury
        app.adjd.applied += app.base_adjd
    for doc in finder.docs.values():
        _check_not_over_applied(doc)
    _settle_full_payments(apps)
    return apps


def _resolve(conn: Connection, books: Books, finder: DocFinder, row: dict[str, Any]) -> Application:
    cust = read_char(row["CustId"])
    adjg = finder.find((cust, read_char(row["TranType"]), read_char(row["RefNbr"])), "adjusting")
    adjd = finder.find((cust, read_char(row["CostType"]), read_char(row["SiteId"])), "adjusted")
    where = f"application {adjg.doc_type} {adjg.ref} → {adjd.doc_type} {adjd.ref}"
    customer = books.customer(conn, cust)
    if customer is None:
        raise refuse(12347, f"{where}: customer {cust} does not exist")
    if customer["AutoApply"] == 1:
        raise refuse(8888, f"{where}: customer {cust} has AutoApply = 1, SL applies its "
                     "payments itself and would apply this one twice (FACTS §11.4)")  # fmt: skip
    if adjg.doc_type not in CREDIT_DOCS or adjd.doc_type not in DEBIT_DOCS:
        raise refuse(None, f"{where}: only a PA, PP or CM applies to an IN or DM")
    acct, sub = read_char(row["Acct"]), read_char(row["Sub"])
    books.check_account(acct, sub, where=where)
    acct_cury = books.accounts[acct].cury_id
    if acct_cury and acct_cury != adjg.cury_id:
        raise refuse(12427, f"{where}: account {acct} is kept in {acct_cury}, the payment is in "
                     f"{adjg.cury_id}")  # fmt: skip
    if adjg.cury_id != adjd.cury_id:
        raise refuse(None, f"{where}: cross-currency applications are not simulated")
    cury = books.money(row["CuryTranAmt"], adjg.cury_id)
    if cury <= 0:
        raise refuse(None, f"{where}: the amount applied must be positive")
    if books.money(row["CuryUnitPrice"], adjg.cury_id) or books.base(row["CnvFact"]):
        raise refuse(None, f"{where}: discounts taken are not simulated")
    return Application(
        row=row,
        adjg=adjg,
        adjd=adjd,
        cury=cury,
        base_adjd=books.base(row["TranAmt"]),
        base_adjg=books.to_base(cury, adjg.rate, adjg.mult_div),
    )


def _check_not_over_applied(doc: Doc) -> None:
    if doc.cury_applied > doc.cury_bal:
        raise refuse(None, f"{doc.label()}: {doc.cury_applied} applied, its balance is only "
                     f"{doc.cury_bal}")  # fmt: skip


def _settle_full_payments(apps: list[Application]) -> None:
    """A document paid in full leaves exactly its base balance (SL zeroes it, the rate
    difference going to realised gain/loss): its last application takes the remainder."""
    last: dict[tuple[int, str], Application] = {}
    for app in apps:
        last[(id(app.adjd), "base_adjd")] = app
        last[(id(app.adjg), "base_adjg")] = app
    for (_, attr), app in last.items():
        doc = app.adjd if attr == "base_adjd" else app.adjg
        if doc.cury_applied == doc.cury_bal:
            fix = doc.bal - doc.applied
            setattr(app, attr, getattr(app, attr) + fix)
            doc.applied += fix


def application_gl(books: Books, apps: list[Application], remainder_acct: Any) -> list[GLLine]:
    """GL of the applications: AR credited for new payments; reclassification (e.g. Dr
    prepayments, Cr AR) for credits released earlier when their account differs."""
    out: list[GLLine] = []
    for app in apps:
        kw = app.adjg.currency_kw()
        desc = f"{app.adjg.doc_type} {app.adjg.ref} to {app.adjd.doc_type} {app.adjd.ref}"
        if app.adjg.new:
            out.append(credit(app.acct, app.base_adjd, app.cury, desc=desc, **kw))
        else:
            source = remainder_acct(app.adjg)
            if source == app.acct and app.rgol == 0:
                continue
            out.append(debit(source, app.base_adjg, app.cury, desc=desc, **kw))
            out.append(credit(app.acct, app.base_adjd, app.cury, desc=desc, **kw))
        if app.rgol:
            gain_acct, gain_sub, loss_acct, loss_sub = books.gain_loss[app.adjg.cury_id]
            if app.rgol > 0:
                out.append(
                    credit((gain_acct, gain_sub), app.rgol, ZERO, desc="Realised gain", **kw)
                )
            else:
                out.append(
                    debit((loss_acct, loss_sub), -app.rgol, ZERO, desc="Realised loss", **kw)
                )
    return out


def adjust_row(app: Application, batch: dict[str, Any], per_post: str) -> dict[str, Any]:
    """The ARAdjust row SL's release writes for one application (FACTS §2.4, §4.3)."""
    adjd_row = app.adjd.row
    date_appl: datetime = batch["DateEnt"]
    return {
        "CustId": app.adjg.cust,
        "AdjdDocType": app.adjd.doc_type,
        "AdjdRefNbr": app.adjd.ref,
        "AdjgDocType": app.adjg.doc_type,
        "AdjgRefNbr": app.adjg.ref,
        "AdjBatNbr": read_char(batch["BatNbr"]),
        "AdjAmt": float(app.base_adjd),
        "AdjDiscAmt": 0.0,
        "CuryAdjdAmt": float(app.cury),
        "CuryAdjdDiscAmt": 0.0,
        "CuryAdjgAmt": float(app.cury),
        "CuryAdjgDiscAmt": 0.0,
        "CuryAdjdCuryId": app.adjd.cury_id,
        "CuryAdjdRate": float(adjd_row["CuryRate"]),
        "CuryAdjdMultDiv": app.adjd.mult_div,
        "CuryRGOLAmt": float(app.rgol),
        "AdjgDocDate": app.adjg.row["DocDate"],
        "AdjgPerPost": per_post if app.adjg.new else read_char(app.adjg.row["PerPost"]),
        "PerAppl": per_post,
        "DateAppl": date_appl,
    }
