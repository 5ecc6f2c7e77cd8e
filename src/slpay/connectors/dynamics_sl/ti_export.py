"""The documents slpay wrote, as SL Transaction Import (TI, screen 98.500) data files.

For shops that forbid direct SQL: the same batches are handed to SL's own entry screens through
TI. What FACTS §5.1 confirms is followed: comma-delimited lines, each starting with the level
identifier of the screen's levels (batch, then document, then detail lines); an optional
currency line (currency, rate type, effective date, rate, multiply/divide) before any detail
line; one currency per batch. What is *not* confirmed - the exact level names, the field order
each screen's control macro expects, the date format - is a documented choice here
(docs/sl-connector.md) and lives in :data:`LAYOUTS` so it can be changed in one place after
generating the real control macro on a live SL system.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, or_, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char, read_money
from slpay.connectors.dynamics_sl.sqltypes import SmallDateTime

#: screen → levels (identifier, SL table, columns in file order).
LAYOUTS: dict[str, tuple[tuple[str, Table, tuple[str, ...]], ...]] = {
    "08030": (
        ("Batch", sl.Batch, ("BatNbr", "CpnyID", "PerPost", "DateEnt", "CuryCtrlTot",
                             "CuryDepositAmt", "BankAcct", "BankSub", "Descr")),
        ("Document", sl.ARDoc, ("CustId", "DocType", "RefNbr", "DocDate", "CuryOrigDocAmt",
                                "CuryApplAmt", "OrdNbr", "CustOrdNbr", "DocDesc", "User1",
                                "User2")),
        ("Application", sl.ARTran, ("CostType", "SiteId", "CuryTranAmt", "CuryUnitPrice")),
    ),
    "08010": (
        ("Batch", sl.Batch, ("BatNbr", "CpnyID", "PerPost", "DateEnt", "CuryCtrlTot", "Descr")),
        ("Document", sl.ARDoc, ("CustId", "DocType", "RefNbr", "DocDate", "CuryOrigDocAmt",
                                "Terms", "OrdNbr", "CustOrdNbr", "DocDesc", "User1", "User2")),
        ("Detail", sl.ARTran, ("Acct", "Sub", "CuryTranAmt", "TranDesc")),
    ),
    "01010": (
        ("Batch", sl.Batch, ("BatNbr", "CpnyID", "PerPost", "DateEnt", "JrnlType",
                             "CuryCtrlTot", "Descr")),
        ("Transaction", sl.GLTran, ("Acct", "Sub", "CuryDrAmt", "CuryCrAmt", "TranDesc",
                                    "RefNbr", "ExtRefNbr")),
    ),
}  # fmt: skip
CURRENCY = ("Currency", ("CuryId", "CuryRateType", "CuryEffDate", "CuryRate", "CuryMultDiv"))
DATE_FORMAT = "%m/%d/%Y"


@dataclass(frozen=True)
class TIFile:
    """One TI data file: the screen it drives, a file name and its text."""

    screen: str
    name: str
    text: str


@dataclass
class TIDocument:
    """A parsed ``Document`` level and the detail lines under it."""

    fields: dict[str, str]
    lines: list[dict[str, str]] = field(default_factory=list)


@dataclass
class TIBatch:
    """A parsed TI data file."""

    screen: str
    batch: dict[str, str]
    currency: dict[str, str]
    documents: list[TIDocument]
    #: Detail lines of screens without a document level (01.010 journal transactions).
    lines: list[dict[str, str]]


def export_batch(conn: Connection, module: str, bat_nbr: str) -> TIFile:
    """The TI file for one batch slpay wrote."""
    b = sl.Batch.c
    batch = conn.execute(select(sl.Batch).where(b.Module == module, b.BatNbr == bat_nbr)).one()
    screen = read_char(batch.EditScrnNbr)
    if screen not in LAYOUTS:
        raise ValueError(f"no TI layout for screen {screen}")
    places = {
        read_char(r[0]): int(r[1])
        for r in conn.execute(select(sl.Currncy.c.CuryId, sl.Currncy.c.DecPl))
    }
    cury = read_char(batch.CuryId)
    fmt = _Formatter(places.get(cury, 2))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    levels = LAYOUTS[screen]
    w.writerow([levels[0][0], *fmt.row(levels[0][1], batch, levels[0][2])])
    w.writerow([CURRENCY[0], *fmt.row(sl.Batch, batch, CURRENCY[1])])
    if screen == "01010":
        t = sl.GLTran.c
        rows = conn.execute(
            select(sl.GLTran).where(t.Module == module, t.BatNbr == bat_nbr).order_by(t.LineNbr)
        )
        name, table, cols = levels[1]
        for r in rows:
            w.writerow([name, *fmt.row(table, r, cols)])
    else:
        _documents(conn, w, fmt, levels, bat_nbr)
    return TIFile(screen, f"{screen}_{module}{bat_nbr}.txt", out.getvalue())


def _documents(conn: Connection, w: Any, fmt: _Formatter, levels: Any, bat_nbr: str) -> None:
    d, t = sl.ARDoc.c, sl.ARTran.c
    docs = conn.execute(
        select(sl.ARDoc)
        .where(or_(d.BatNbr == bat_nbr, d.ApplBatNbr == bat_nbr))
        .order_by(d.BatSeq, d.RefNbr)
    ).all()
    (doc_name, doc_table, doc_cols), (line_name, line_table, line_cols) = levels[1], levels[2]
    for doc in docs:
        w.writerow([doc_name, *fmt.row(doc_table, doc, doc_cols)])
        lines = conn.execute(
            select(sl.ARTran)
            .where(
                t.BatNbr == bat_nbr,
                t.CustId == doc.CustId,
                t.TranType == doc.DocType,
                t.RefNbr == doc.RefNbr,
            )
            .order_by(t.LineNbr)
        )
        for line in lines:
            w.writerow([line_name, *fmt.row(line_table, line, line_cols)])


@dataclass(frozen=True)
class _Formatter:
    places: int

    def row(self, table: Table, row: Any, cols: tuple[str, ...]) -> list[str]:
        m = row._mapping
        return [self.value(table, c, m[c]) for c in cols]

    def value(self, table: Table, col: str, value: Any) -> str:
        kind = table.c[col].type
        if isinstance(kind, SmallDateTime):
            return value.strftime(DATE_FORMAT) if isinstance(value, datetime) else ""
        if isinstance(value, float):
            if col in ("CuryRate", "UnitPrice"):
                return repr(value)
            return f"{read_money(value, self.places):f}"
        return read_char(value) if isinstance(value, str) else str(value)


def parse_ti(text: str) -> TIBatch:
    """Read a TI data file written by :func:`export_batch` back into fields by level."""
    rows = list(csv.reader(io.StringIO(text)))
    screen = next(s for s, levels in LAYOUTS.items() if _matches(rows, levels))
    levels = {name: cols for name, _table, cols in LAYOUTS[screen]}
    levels[CURRENCY[0]] = CURRENCY[1]
    parsed = TIBatch(screen, {}, {}, [], [])
    for row in rows:
        name, values = row[0], row[1:]
        fields = dict(zip(levels[name], values, strict=True))
        if name == "Batch":
            parsed.batch = fields
        elif name == CURRENCY[0]:
            parsed.currency = fields
        elif name == "Document":
            parsed.documents.append(TIDocument(fields))
        elif parsed.documents:
            parsed.documents[-1].lines.append(fields)
        else:
            parsed.lines.append(fields)
    return parsed


def _matches(rows: list[list[str]], levels: Any) -> bool:
    names = {name for name, _t, _c in levels} | {CURRENCY[0]}
    widths = {name: len(cols) for name, _t, cols in levels} | {CURRENCY[0]: len(CURRENCY[1])}
    return all(r and r[0] in names and len(r) - 1 == widths[r[0]] for r in rows)
