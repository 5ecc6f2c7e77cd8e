"""AR release, part 1: the documents of the batch and their detail lines (FACTS §4.2, §4.3).

Checks SL's release makes (with its message numbers) plus the sandbox's stricter ones, and the
GL lines SL writes for each new document: detail lines on their accounts and the offset on the
document's BankAcct/BankSub (AR for invoices and memos, cash for payments).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.sandbox.sl.books import Books, GLLine, credit, debit, refuse

DEBIT_DOCS = frozenset({"IN", "DM"})
PAYMENTS = frozenset({"PA", "PP"})
CREDIT_DOCS = frozenset({"CM"}) | PAYMENTS
#: Documents SL releases without detail lines (message 12125 spares them).
NO_LINES_NEEDED = frozenset({"PA", "CM", "NS", "NC", "RP", "SB", "PP", "RA"})
ZERO = Decimal(0)

Key = tuple[str, str, str]


@dataclass
class Doc:
    """An ARDoc with its amounts as Decimals and the changes a release makes to it."""

    row: dict[str, Any]
    new: bool
    cust: str
    doc_type: str
    ref: str
    cury_id: str
    cury_orig: Decimal
    orig: Decimal
    cury_bal: Decimal
    bal: Decimal
    cury_applied: Decimal = ZERO
    applied: Decimal = ZERO

    @property
    def key(self) -> Key:
        return (self.cust, self.doc_type, self.ref)

    @property
    def rate(self) -> float:
        return float(self.row["CuryRate"])

    @property
    def mult_div(self) -> str:
        return read_char(self.row["CuryMultDiv"]) or "M"

    @property
    def bank(self) -> tuple[str, str]:
        return read_char(self.row["BankAcct"]), read_char(self.row["BankSub"])

    def label(self) -> str:
        return f"{self.doc_type} {self.ref} of {self.cust}"

    def currency_kw(self) -> dict[str, Any]:
        """Keyword arguments every GL line of this document carries."""
        return {
            "cury_id": self.cury_id,
            "cury_rate": self.rate or 1.0,
            "cury_mult_div": self.mult_div,
            "tran_type": self.doc_type,
            "ref_nbr": self.ref,
            "cust_id": self.cust,
            "tran_date": self.row["DocDate"],
        }


def make_doc(row: Any, books: Books, *, new: bool) -> Doc:
    """A Doc from an ARDoc row; a new document's balance is its amount (release sets it)."""
    m = dict(row._mapping)
    cury = read_char(m["CuryId"]) or books.base_cury
    cury_orig = books.money(m["CuryOrigDocAmt"], cury)
    orig = books.base(m["OrigDocAmt"])
    return Doc(
        row=m,
        new=new,
        cust=read_char(m["CustId"]),
        doc_type=read_char(m["DocType"]),
        ref=read_char(m["RefNbr"]),
        cury_id=cury,
        cury_orig=cury_orig,
        orig=orig,
        cury_bal=cury_orig if new else books.money(m["CuryDocBal"], cury),
        bal=orig if new else books.base(m["DocBal"]),
    )


def load_batch_documents(conn: Connection, books: Books, batnbr: str) -> dict[Key, Doc]:
    """The unreleased documents entered in the batch."""
    d = sl.ARDoc.c
    rows = conn.execute(select(sl.ARDoc).where(d.BatNbr == batnbr, d.Rlsed == 0)).all()
    docs: dict[Key, Doc] = {}
    for row in rows:
        doc = make_doc(row, books, new=True)
        if doc.key in docs:
            raise refuse(None, f"{doc.label()} appears twice in the batch")
        docs[doc.key] = doc
    return docs


def load_batch_lines(
    conn: Connection, batnbr: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The batch's unreleased ARTran rows: (detail lines, ``U`` application rows)."""
    t = sl.ARTran.c
    rows = conn.execute(
        select(sl.ARTran).where(t.BatNbr == batnbr, t.Rlsed == 0).order_by(t.RecordID)
    ).all()
    lines = [dict(r._mapping) for r in rows]
    detail = [r for r in lines if read_char(r["DrCr"]) != "U"]
    return detail, [r for r in lines if read_char(r["DrCr"]) == "U"]


def check_control_totals(batch: dict[str, Any], docs: dict[Key, Doc], books: Books) -> None:
    """12123: Batch.CuryCrTot = Σ CuryOrigDocAmt; the sandbox also checks the twins.

    SL enforces only CuryCrTot (compared after rounding, FACTS §11.7); the other totals are
    what SL's screens and its OM procedures keep equal (FACTS §4.2, §4.3, §11.3).
    """
    cury = read_char(batch["CuryId"]) or books.base_cury
    counted = [doc for doc in docs.values() if doc.doc_type != "SB"]
    cury_sum = sum((doc.cury_orig for doc in counted), ZERO)
    base_sum = sum((doc.orig for doc in counted), ZERO)
    if books.money(batch["CuryCrTot"], cury) != cury_sum:
        raise refuse(
            12123, f"CuryCrTot {books.money(batch['CuryCrTot'], cury)} ≠ Σ documents {cury_sum}"
        )
    totals = {
        "CuryCtrlTot": (books.money(batch["CuryCtrlTot"], cury), cury_sum),
        "CrTot": (books.base(batch["CrTot"]), base_sum),
        "CtrlTot": (books.base(batch["CtrlTot"]), base_sum),
    }
    if read_char(batch["EditScrnNbr"]) == "08030":
        payments = [doc for doc in counted if doc.doc_type in PAYMENTS]
        totals["DepositAmt"] = (
            books.base(batch["DepositAmt"]),
            sum((p.orig for p in payments), ZERO),
        )
        totals["CuryDepositAmt"] = (
            books.money(batch["CuryDepositAmt"], cury),
            sum((p.cury_orig for p in payments), ZERO),
        )
    for column, (found, expected) in totals.items():
        if found != expected:
            raise refuse(None, f"control total {column} {found} ≠ {expected} (sandbox check)")
    for doc in docs.values():
        if doc.cury_id != cury:
            raise refuse(None, f"{doc.label()} is in {doc.cury_id}, the batch in {cury}")


def check_document(conn: Connection, books: Books, doc: Doc) -> None:
    """Customer, type, amounts and posting account of one new document."""
    if books.customer(conn, doc.cust) is None:
        raise refuse(12347, f"{doc.label()}: customer {doc.cust} does not exist")
    if doc.doc_type not in DEBIT_DOCS | CREDIT_DOCS:
        raise refuse(None, f"{doc.label()}: document type {doc.doc_type} is not simulated")
    if doc.cury_id not in books.decpl:
        raise refuse(None, f"{doc.label()}: currency {doc.cury_id} is not in Currncy")
    if doc.cury_orig < 0 or doc.orig < 0:
        raise refuse(None, f"{doc.label()}: amounts are stored positive in SL")
    if doc.cury_id == books.base_cury and doc.cury_orig != doc.orig:
        raise refuse(None, f"{doc.label()}: CuryOrigDocAmt ≠ OrigDocAmt in the base currency")
    books.check_account(*doc.bank, where=f"{doc.label()} BankAcct/BankSub")


def document_gl(
    conn: Connection, books: Books, docs: dict[Key, Doc], lines: list[dict[str, Any]]
) -> list[GLLine]:
    """Check every new document and its lines; return their GL lines (applications apart)."""
    by_doc: dict[Key, list[dict[str, Any]]] = {key: [] for key in docs}
    for line in lines:
        key = (read_char(line["CustId"]), read_char(line["TranType"]), read_char(line["RefNbr"]))
        if key not in by_doc:
            raise refuse(12126, f"ARTran {key[1]} {key[2]} of {key[0]} has no document")
        by_doc[key].append(line)
    out: list[GLLine] = []
    for key, doc in docs.items():
        check_document(conn, books, doc)
        out.extend(_lines_of(books, doc, by_doc[key]))
    return out


def _lines_of(books: Books, doc: Doc, lines: list[dict[str, Any]]) -> list[GLLine]:
    kw = doc.currency_kw()
    desc = read_char(doc.row["DocDesc"]) or doc.cust
    if doc.doc_type in PAYMENTS:
        if lines:
            raise refuse(None, f"{doc.label()}: a payment has no detail lines")
        return [debit(doc.bank, doc.orig, doc.cury_orig, desc=desc, **kw)]
    if not lines and doc.doc_type not in NO_LINES_NEEDED:
        raise refuse(12125, f"{doc.label()}: the document has no detail lines")
    side = "C" if doc.doc_type in DEBIT_DOCS else "D"
    out: list[GLLine] = []
    cury_total, base_total = ZERO, ZERO
    for line in lines:
        where = f"{doc.label()} line {line['LineNbr']}"
        cury_amt = books.money(line["CuryTranAmt"], doc.cury_id)
        amt = books.base(line["TranAmt"])
        if doc.cury_id == books.base_cury and round(cury_amt, 2) != round(amt, 2):
            raise refuse(12124, f"{where}: CuryTranAmt {cury_amt} ≠ TranAmt {amt}")
        if read_char(line["DrCr"]) != side:
            raise refuse(None, f"{where}: DrCr must be {side} on a {doc.doc_type}")
        acct = (read_char(line["Acct"]), read_char(line["Sub"]))
        books.check_account(*acct, where=where)
        make = credit if side == "C" else debit
        line_desc = read_char(line["TranDesc"]) or desc
        out.append(make(acct, amt, cury_amt, desc=line_desc, **kw))
        cury_total += cury_amt
        base_total += amt
    if (cury_total, base_total) != (doc.cury_orig, doc.orig):
        raise refuse(
            None,
            f"{doc.label()}: lines total {cury_total} (base {base_total}) ≠ document "
            f"{doc.cury_orig} (base {doc.orig})",
        )
    offset = debit if side == "C" else credit
    out.append(offset(doc.bank, doc.orig, doc.cury_orig, desc=desc, **kw))
    return out
