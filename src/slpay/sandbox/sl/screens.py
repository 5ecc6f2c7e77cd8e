"""SL's AR document entry, as the sandbox's SL users make it (08.010, and OM's sales journal).

One call writes one unreleased AR batch (Status B, "release later") with its documents and
detail lines, numbered from ARSetup like SL's screens: the batch from LastBatNbr, invoices from
LastRefNbr, credit memos from LastCrMemoNbr, debit memos from LastDrMemoNbr. Control totals are
those of FACTS §4.2: CrTot = CtrlTot = Σ OrigDocAmt, Cury twins = Σ CuryOrigDocAmt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, insert, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import (
    clip,
    fiscal_year,
    line_nbr,
    line_ref,
    read_char,
    read_money,
    round_money,
    to_base,
)
from slpay.connectors.dynamics_sl.numbering import (
    allocate,
    batch_numbers,
    lock_ar_setup,
    memo_numbers,
)
from slpay.connectors.dynamics_sl.rows import Audit, full_row
from slpay.errors import ValidationError


@dataclass(frozen=True)
class Currency:
    """A document's currency and the rate used (FACTS §1.4)."""

    cury_id: str
    rate: Decimal
    mult_div: str
    eff_date: datetime
    rate_type: str
    decpl: int
    base_decpl: int

    def base(self, amount: Decimal) -> Decimal:
        if self.rate == 1:
            return round_money(amount, self.base_decpl)
        return to_base(amount, self.rate, self.mult_div, self.base_decpl)

    def columns(self, table: Table) -> dict[str, Any]:
        """The inline currency columns ``table`` has (SL spells CuryId/CuryID both ways)."""
        values = {
            "CuryId": self.cury_id,
            "CuryID": self.cury_id,
            "CuryRate": float(self.rate),
            "CuryMultDiv": self.mult_div,
            "CuryEffDate": self.eff_date,
            "CuryRateType": self.rate_type,
        }
        return {k: v for k, v in values.items() if k in table.c}


def currency(conn: Connection, cury_id: str, when: datetime, rate_type: str) -> Currency:
    """The currency with its latest rate to the base currency on ``when`` (field ``currency``)."""
    places = {
        read_char(c): int(d)
        for c, d in conn.execute(select(sl.Currncy.c.CuryId, sl.Currncy.c.DecPl))
    }
    base_cury = read_char(conn.execute(select(sl.GLSetup.c.BaseCuryId)).scalar_one())
    if cury_id not in places:
        raise ValidationError(f"{cury_id!r} is not in SL's Currncy table", field="currency")
    if cury_id == base_cury:
        return Currency(cury_id, Decimal(1), "M", when, rate_type, places[cury_id], places[cury_id])
    r = sl.CuryRate.c
    row = conn.execute(
        select(r.Rate, r.MultDiv, r.EffDate)
        .where(r.FromCuryId == cury_id, r.ToCuryId == base_cury, r.RateType == rate_type)
        .where(r.EffDate <= when)
        .order_by(r.EffDate.desc())
        .limit(1)
    ).first()
    if row is None:
        raise ValidationError(
            f"no {rate_type} rate from {cury_id} to {base_cury}", field="currency"
        )
    rate = read_money(row.Rate, 10).normalize()
    mult_div = read_char(row.MultDiv) or "M"
    return Currency(cury_id, rate, mult_div, when, rate_type, places[cury_id], places[base_cury])


@dataclass(frozen=True)
class Line:
    """A detail line: the side is the document's (C on IN/DM, D on CM)."""

    acct: str
    sub: str
    cury_amt: Decimal
    desc: str
    qty: Decimal = Decimal(1)
    invt_id: str = ""
    ord_nbr: str = ""
    shipper_id: str = ""
    shipper_line_ref: str = ""


@dataclass(frozen=True)
class Document:
    """An AR document to enter; its RefNbr comes from ARSetup's numbering."""

    cust_id: str
    doc_type: str
    ar_acct: str
    ar_sub: str
    terms: str
    desc: str
    lines: tuple[Line, ...]
    ord_nbr: str = ""
    cust_ord_nbr: str = ""
    user_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Entered:
    """What was entered: the batch and each document's (DocType, RefNbr, amount)."""

    batnbr: str
    documents: list[tuple[str, str, Decimal]]


_REF_COLUMNS = {"IN": "LastRefNbr", "CM": "LastCrMemoNbr", "DM": "LastDrMemoNbr"}


def enter_ar_batch(
    conn: Connection,
    audit: Audit,
    *,
    cpny_id: str,
    cury: Currency,
    doc_date: datetime,
    docs: list[Document],
    orig_screen: str = "08010",
    jrnl_type: str = "AR",
    descr: str = "",
) -> Entered:
    """Write a Batch + ARDoc + ARTran rows in the caller's transaction (ARSetup locked)."""
    ar = lock_ar_setup(conn)
    per_post = read_char(ar["PerNbr"])
    (batnbr,) = batch_numbers(conn, sl.ARSetup, ar["LastBatNbr"], "AR", 1)
    batch_cury = batch_base = Decimal(0)
    doc_rows, line_rows, entered = [], [], []
    for seq, doc in enumerate(docs, start=1):
        ref = _next_ref(conn, ar, doc.doc_type)
        head = {
            "CustId": doc.cust_id, "TranType": doc.doc_type, "RefNbr": ref, "BatNbr": batnbr,
            "CpnyID": cpny_id, "PerPost": per_post, "PerEnt": per_post,
            "FiscYr": fiscal_year(per_post), "JrnlType": jrnl_type, "TranDate": doc_date,
            "DrCr": "D" if doc.doc_type == "CM" else "C", **cury.columns(sl.ARTran),
        }  # fmt: skip
        lines = [_line_row(audit, cury, head, i, ln) for i, ln in enumerate(doc.lines)]
        amounts = [round_money(ln.cury_amt, cury.decpl) for ln in doc.lines]
        cury_amt = sum(amounts, Decimal(0))
        base_amt = sum((cury.base(a) for a in amounts), Decimal(0))
        doc_rows.append(full_row(sl.ARDoc, audit, {
            "CustId": doc.cust_id, "DocType": doc.doc_type, "RefNbr": ref, "BatNbr": batnbr,
            "BatSeq": seq, "CpnyID": cpny_id, "DocDate": doc_date, "DueDate": doc_date,
            "DiscDate": doc_date, "PerPost": per_post, "PerEnt": per_post,
            "CuryOrigDocAmt": float(cury_amt), "OrigDocAmt": float(base_amt),
            "CuryDocBal": float(cury_amt), "DocBal": float(base_amt), "Rlsed": 0, "OpenDoc": 1,
            "DocClass": "N", "BankAcct": doc.ar_acct, "BankSub": doc.ar_sub, "Terms": doc.terms,
            "DocDesc": clip(doc.desc, 30), "OrdNbr": doc.ord_nbr,
            "CustOrdNbr": doc.cust_ord_nbr, "LineCntr": len(lines), **doc.user_fields,
            **cury.columns(sl.ARDoc),
        }))  # fmt: skip
        line_rows.extend(lines)
        batch_cury += cury_amt
        batch_base += base_amt
        entered.append((doc.doc_type, ref, cury_amt))
    conn.execute(insert(sl.Batch).values(full_row(sl.Batch, audit, {
        "Module": "AR", "BatNbr": batnbr, "CpnyID": cpny_id, "Status": "B", "Rlsed": 0,
        "EditScrnNbr": "08010", "OrigScrnNbr": orig_screen, "JrnlType": jrnl_type,
        "BatType": "N", "PerPost": per_post, "PerEnt": per_post, "DateEnt": doc_date,
        "CtrlTot": float(batch_base), "CrTot": float(batch_base),
        "CuryCtrlTot": float(batch_cury), "CuryCrTot": float(batch_cury), "BalanceType": "A",
        "GLPostOpt": "D", "Descr": clip(descr, 30), **cury.columns(sl.Batch),
    })))  # fmt: skip
    conn.execute(insert(sl.ARDoc), doc_rows)
    conn.execute(insert(sl.ARTran), line_rows)
    return Entered(batnbr, entered)


def _next_ref(conn: Connection, ar: dict[str, Any], doc_type: str) -> str:
    if doc_type in ("CM", "DM"):
        return memo_numbers(conn, ar, doc_type, 1)[0]
    column = _REF_COLUMNS[doc_type]
    d = sl.ARDoc.c

    def used(candidates: list[str]) -> set[str]:
        rows = conn.execute(
            select(d.RefNbr).where(d.DocType == doc_type, d.RefNbr.in_(candidates))
        ).scalars()
        return {read_char(v) for v in rows}

    (ref,), last = allocate(ar[column], 1, used)
    conn.execute(sl.ARSetup.update().where(sl.ARSetup.c.SetupId == "AR").values({column: last}))
    ar[column] = last
    return ref


def _line_row(
    audit: Audit, cury: Currency, head: dict[str, Any], index: int, line: Line
) -> dict[str, Any]:
    cury_amt = round_money(line.cury_amt, cury.decpl)
    price = round_money(cury_amt / line.qty, cury.decpl) if line.qty else cury_amt
    return full_row(sl.ARTran, audit, {
        **head, "LineNbr": line_nbr(index), "LineRef": line_ref(index), "LineId": index + 1,
        "Acct": line.acct, "Sub": line.sub, "TranClass": "N",
        "CuryTranAmt": float(cury_amt), "TranAmt": float(cury.base(cury_amt)),
        "Qty": float(line.qty), "CuryUnitPrice": float(price),
        "UnitPrice": float(cury.base(price)), "UnitDesc": "EA", "CnvFact": 1.0,
        "InvtId": line.invt_id, "TranDesc": clip(line.desc, 30), "OrdNbr": line.ord_nbr,
        "ShipperID": line.shipper_id, "ShipperLineRef": line.shipper_line_ref,
    })  # fmt: skip
