"""GL release (01.400, ``pp_01400``), GL posting (01.520, ``pp_01520``) and GLTran rows.

FACTS §4.4: GL release refuses a batch whose debits or credits differ from Batch.CrTot by more
than 10^-(DecPl+1) when its ledger requires balance (6019) and lines of another company (12341);
posting waits for a period after GLSetup.PerNbr (6035), refuses blank accounts (6658), an
unknown base currency (8060) and lines that do not balance against CrTot/CuryCrTot (3011).
The sandbox checks release and posting together, before changing anything, so a refused batch
is left exactly as it was.

Balance is checked in base and in the batch currency separately, so a base-only line (zero in
the currency, DrAmt or CrAmt set: how SL books realised exchange gain/loss) passes when the
batch balances in both. A line whose currency side and base side disagree is refused: no SL
screen writes one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import clip, fiscal_year, line_ref, read_char
from slpay.connectors.dynamics_sl.rows import Audit, full_row, update_values
from slpay.sandbox.sl.books import Books, GLLine, ReleaseRefused, refuse

ZERO = Decimal(0)


def check_posting(books: Books, batch: dict[str, Any], lines: list[GLLine]) -> None:
    """What GL posting requires of a batch and its lines (FACTS §4.4, §11.6)."""
    per_post = read_char(batch["PerPost"])
    if not per_post:
        raise _posting(None, "PerPost is blank")
    if per_post > books.gl_period:
        raise _posting(6035, f"period {per_post} is after the current GL period "
                       f"{books.gl_period}: SL would leave the batch unposted")  # fmt: skip
    if books.base_cury not in books.decpl:
        raise _posting(8060, f"base currency {books.base_cury} is not in Currncy")
    for n, line in enumerate(lines, start=1):
        if not line.acct or not line.sub:
            raise _posting(6658, f"GL line {n} ({line.desc}) has a blank account or subaccount")
    dr = sum((line.dr for line in lines), ZERO)
    cr = sum((line.cr for line in lines), ZERO)
    if dr != cr:
        raise _posting(3011, f"GL lines do not balance: debits {dr}, credits {cr}")


def _posting(number: int | None, text: str) -> ReleaseRefused:
    return refuse(number, text, stage="posting")


def gl_batch_lines(conn: Connection, books: Books, batch: dict[str, Any]) -> list[GLLine]:
    """Check a GL journal batch (01.010) as GL release and posting would; return its lines."""
    batnbr = read_char(batch["BatNbr"])
    g = sl.GLTran.c
    rows = conn.execute(
        select(sl.GLTran).where(g.Module == "GL", g.BatNbr == batnbr).order_by(g.LineNbr)
    ).all()
    if not rows:
        raise refuse(3011, "the batch has no GL lines")
    ledger = read_char(batch["LedgerID"])
    if ledger not in books.ledgers:
        raise refuse(None, f"ledger {ledger!r} does not exist: SL would skip its balance "
                     "checks (FACTS §11.6)")  # fmt: skip
    base = read_char(batch["BaseCuryID"])
    if base not in books.decpl:
        raise refuse(8060, f"base currency {base!r} is not in Currncy")
    lines = [_gl_line(books, batch, dict(r._mapping), n) for n, r in enumerate(rows, start=1)]
    if books.ledgers[ledger]:
        _check_balance(books, batch, lines)
    return lines


def _gl_line(books: Books, batch: dict[str, Any], row: dict[str, Any], n: int) -> GLLine:
    where = f"GL line {n}"
    if read_char(row["CpnyID"]) != read_char(batch["CpnyID"]):
        raise refuse(12341, f"{where} belongs to company {read_char(row['CpnyID'])}")
    if read_char(row["PerPost"]) != read_char(batch["PerPost"]):
        raise refuse(None, f"{where}: PerPost {read_char(row['PerPost'])} ≠ the batch's")
    acct, sub = read_char(row["Acct"]), read_char(row["Sub"])
    if not acct or not sub:
        raise refuse(6658, f"{where} has a blank account or subaccount")
    books.check_account(acct, sub, where=where)
    cury = read_char(row["CuryId"]) or books.base_cury
    line = GLLine(
        acct, sub,
        dr=books.base(row["DrAmt"]), cr=books.base(row["CrAmt"]),
        cury_dr=books.money(row["CuryDrAmt"], cury), cury_cr=books.money(row["CuryCrAmt"], cury),
        cury_id=cury, cury_rate=float(row["CuryRate"]) or 1.0,
        cury_mult_div=read_char(row["CuryMultDiv"]) or "M",
        tran_type=read_char(row["TranType"]), ref_nbr=read_char(row["RefNbr"]),
        desc=read_char(row["TranDesc"]), tran_date=row["TranDate"],
    )  # fmt: skip
    if min(line.dr, line.cr, line.cury_dr, line.cury_cr) < 0 or (line.dr and line.cr):
        raise refuse(None, f"{where}: one side per line, amounts positive")
    if (line.cury_dr and line.cr) or (line.cury_cr and line.dr) or (line.cury_dr and line.cury_cr):
        raise refuse(None, f"{where}: debit in one currency, credit in the other")
    return line


def _check_balance(books: Books, batch: dict[str, Any], lines: list[GLLine]) -> None:
    tolerance = Decimal(1).scaleb(-(books.base_decpl + 1))
    cr_tot = books.base(batch["CrTot"])
    dr = sum((line.dr for line in lines), ZERO)
    cr = sum((line.cr for line in lines), ZERO)
    if abs(dr - cr_tot) > tolerance or abs(cr - cr_tot) > tolerance:
        raise refuse(6019, f"debits {dr} and credits {cr} must both equal CrTot {cr_tot}")
    cury = read_char(batch["CuryId"]) or books.base_cury
    cury_cr_tot = books.money(batch["CuryCrTot"], cury)
    cury_dr = sum((line.cury_dr for line in lines), ZERO)
    cury_cr = sum((line.cury_cr for line in lines), ZERO)
    if not cury_dr == cury_cr == cury_cr_tot:
        raise refuse(3011, f"currency debits {cury_dr} and credits {cury_cr} must both equal "
                     f"CuryCrTot {cury_cr_tot}")  # fmt: skip


def mark_gl_lines(conn: Connection, audit: Audit, batch: dict[str, Any], posted: str) -> None:
    """GL release/posting of a journal batch: its lines become released (and posted)."""
    g = sl.GLTran.c
    conn.execute(
        update(sl.GLTran)
        .where(g.Module == "GL", g.BatNbr == read_char(batch["BatNbr"]))
        .values(update_values(sl.GLTran, audit, {"Rlsed": 1, "Posted": posted}))
    )


def insert_gl_lines(
    conn: Connection,
    audit: Audit,
    books: Books,
    batch: dict[str, Any],
    lines: list[GLLine],
    posted: str,
) -> None:
    """Write the GLTran rows an AR release makes (LineNbr from -32768, Id = CustId)."""
    per_post = read_char(batch["PerPost"])
    rows = [
        {
            "Module": read_char(batch["Module"]),
            "BatNbr": read_char(batch["BatNbr"]),
            "LineNbr": -32768 + n,
            "LineId": n + 1,
            "LineRef": line_ref(n),
            "CpnyID": read_char(batch["CpnyID"]),
            "Acct": line.acct,
            "Sub": line.sub,
            "DrAmt": float(line.dr),
            "CrAmt": float(line.cr),
            "CuryDrAmt": float(line.cury_dr),
            "CuryCrAmt": float(line.cury_cr),
            "CuryId": line.cury_id,
            "CuryRate": line.cury_rate,
            "CuryMultDiv": line.cury_mult_div,
            "CuryEffDate": batch["CuryEffDate"],
            "CuryRateType": read_char(batch["CuryRateType"]),
            "BaseCuryID": books.base_cury,
            "LedgerID": books.ledger_id,
            "BalanceType": "A",
            "FiscYr": fiscal_year(per_post),
            "PerPost": per_post,
            "PerEnt": read_char(batch["PerEnt"]) or per_post,
            "TranDate": line.tran_date or batch["DateEnt"],
            "TranDesc": clip(line.desc, 30),
            "TranType": line.tran_type,
            "JrnlType": read_char(batch["JrnlType"]) or "AR",
            "RefNbr": line.ref_nbr,
            "Id": line.cust_id,
            "Posted": posted,
            "Rlsed": 1,
        }
        for n, line in enumerate(lines)
    ]
    if rows:
        conn.execute(insert(sl.GLTran), [full_row(sl.GLTran, audit, r) for r in rows])
