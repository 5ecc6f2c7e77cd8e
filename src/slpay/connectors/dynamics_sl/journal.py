"""01.010 GL journal batches: debits = credits = CrTot = DrTot = CtrlTot (FACTS §4.4).

Lines are signed (positive = debit, negative = credit), all in one currency, and must balance
in that currency. Base amounts are rounded line by line; a rounding difference left in base is
put on the largest line so the batch balances in base too (GL release checks base).

A line may fix its own base amount (``JournalLine.base``); a line of zero in the currency with
a base amount is a base-only adjustment (exchange gain/loss). When any line fixes its base, the
caller owns the base side: lines without one are converted at the journal's rate, nothing is
moved between lines, and the batch must balance in base exactly or it is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.context import Catalog, Company, Rate, read_gl_setup
from slpay.connectors.dynamics_sl.conventions import (
    clip,
    fiscal_year,
    line_nbr,
    line_ref,
    round_money,
)
from slpay.connectors.dynamics_sl.models import Day, JournalInput, SLDocument
from slpay.connectors.dynamics_sl.numbering import batch_numbers
from slpay.connectors.dynamics_sl.rows import Audit, check_text, full_row
from slpay.domain.money import Money
from slpay.errors import ValidationError


def base_amounts(lines: list[Decimal], rate: Rate) -> list[Decimal]:
    """Base amount of each signed line, the rounding difference put on the largest line."""
    base = [rate.base(a) for a in lines]
    diff = sum(base, Decimal(0))
    if diff:
        biggest = max(range(len(base)), key=lambda i: abs(base[i]))
        base[biggest] -= diff
    return base


def line_bases(item: JournalInput, rate: Rate) -> list[Decimal]:
    """Each line's signed base amount: the journal's rate, or the bases the caller fixed."""
    cury = [line.amount.amount for line in item.lines]
    if all(line.base is None for line in item.lines):
        return base_amounts(cury, rate)
    base = [
        rate.base(a) if line.base is None else line.base
        for a, line in zip(cury, item.lines, strict=True)
    ]
    for i, (line, b) in enumerate(zip(item.lines, base, strict=True)):
        if line.base is not None and round_money(b, rate.base_decpl) != b:
            raise ValidationError(
                f"more than {rate.base_decpl} decimal places in base", field=f"lines[{i}].base"
            )
        if b and line.amount.amount and (b > 0) != (line.amount.amount > 0):
            raise ValidationError("base and currency on opposite sides", field=f"lines[{i}]")
    off = sum(base, Decimal(0))
    if off:
        raise ValidationError(f"debits and credits differ by {off} in base", field="lines")
    return base


def journal_rate(conn: Connection, settings: SLSettings, currency: str, day: Day) -> Rate:
    """The rate :func:`write_journal` uses for a journal in ``currency`` dated ``day``
    (SL's CuryRate of the configured rate type on or before that day)."""
    company = Company(settings, Catalog(), read_gl_setup(conn), {}, datetime.now(UTC))
    return company.rate(conn, Money(Decimal(0), currency), day, None)


def check_journal(item: JournalInput) -> None:
    """Input checks that need no database."""
    if len(item.lines) < 2:
        raise ValidationError("a journal needs at least two lines", field="lines")
    currencies = {line.amount.currency for line in item.lines}
    if len(currencies) != 1:
        raise ValidationError("all lines must be in one currency", field="lines")
    for i, line in enumerate(item.lines):
        if line.amount.amount == 0 and not line.base:
            raise ValidationError("a line of zero", field=f"lines[{i}].amount")
    total = sum((line.amount.amount for line in item.lines), Decimal(0))
    if total != 0:
        raise ValidationError(f"debits and credits differ by {total}", field="lines")
    check_text(sl.Batch, {"Descr": clip(item.description, 30)})
    check_text(sl.GLTran, {"RefNbr": item.ref_nbr, "ExtRefNbr": item.ext_ref_nbr})


def write_journal(
    conn: Connection, company: Company, audit: Audit, item: JournalInput
) -> SLDocument:
    """Write the GL batch and its lines; the caller holds GLSetup locked."""
    check_journal(item)
    for i, line in enumerate(item.lines):
        company.catalog.check_account(conn, line.acct, line.sub, f"lines[{i}].acct")
    rate = company.rate(conn, item.lines[0].amount, item.date, item.rate)
    per_post = company.period(item.date, "GL")
    when = company.sl_date(item.date)
    cury = [line.amount.amount for line in item.lines]
    base = line_bases(item, rate)
    (bat_nbr,) = batch_numbers(conn, sl.GLSetup, company.gl["LastBatNbr"], "GL", 1)
    cury_total = float(sum((a for a in cury if a > 0), Decimal(0)))
    base_total = float(sum((a for a in base if a > 0), Decimal(0)))
    s = company.settings
    common = {
        "CpnyID": company.cpny_id,
        "LedgerID": company.ledger_id,
        "BalanceType": "A",
        "BaseCuryID": company.base_cury,
        "PerPost": per_post,
        "PerEnt": company.current_period("GL"),
        "JrnlType": s.gl_jrnl_type,
        **rate.columns(sl.GLTran),
    }
    conn.execute(
        insert(sl.Batch).values(
            full_row(
                sl.Batch,
                audit,
                {
                    **common,
                    "Module": "GL",
                    "BatNbr": bat_nbr,
                    "Status": s.batch_status,
                    "Rlsed": 0,
                    "EditScrnNbr": "01010",
                    "OrigScrnNbr": "01010",
                    "BatType": "N",
                    "DateEnt": when,
                    "CtrlTot": base_total,
                    "CrTot": base_total,
                    "DrTot": base_total,
                    "CuryCtrlTot": cury_total,
                    "CuryCrTot": cury_total,
                    "CuryDrTot": cury_total,
                    "Descr": clip(item.description or "slpay journal", 30),
                    "AutoRev": 0,
                },
            )
        )
    )
    rows = [
        _line(audit, common, item, i, bat_nbr, cury[i], base[i], when, per_post)
        for i in range(len(item.lines))
    ]
    conn.execute(insert(sl.GLTran), rows)
    return SLDocument(
        key=item.key,
        kind="journal",
        cpny_id=company.cpny_id,
        module="GL",
        bat_nbr=bat_nbr,
        ref_nbr=item.ref_nbr,
    )


def _line(
    audit: Audit,
    common: dict[str, Any],
    item: JournalInput,
    i: int,
    bat_nbr: str,
    cury: Decimal,
    base: Decimal,
    when: Any,
    per_post: str,
) -> dict[str, Any]:
    line = item.lines[i]
    # A base-only line (cury 0) takes its side from the base amount.
    debit = cury > 0 or (cury == 0 and base > 0)
    return full_row(
        sl.GLTran,
        audit,
        {
            **common,
            "Module": "GL",
            "BatNbr": bat_nbr,
            "LineNbr": line_nbr(i, step=1),
            "LineRef": line_ref(i),
            "LineId": i + 1,
            "Acct": line.acct,
            "Sub": line.sub,
            "DrAmt": float(base) if debit else 0.0,
            "CrAmt": 0.0 if debit else float(-base),
            "CuryDrAmt": float(cury) if debit else 0.0,
            "CuryCrAmt": 0.0 if debit else float(-cury),
            "FiscYr": fiscal_year(per_post),
            "TranDate": when,
            "TranDesc": clip(line.description or item.description, 30),
            "TranType": "GJ",
            "RefNbr": item.ref_nbr,
            "ExtRefNbr": item.ext_ref_nbr,
            "Posted": "U",
            "Rlsed": 0,
        },
    )
