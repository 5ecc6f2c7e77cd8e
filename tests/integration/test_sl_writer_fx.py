"""GL journals with fixed base amounts and base-only exchange lines (SQLite and PostgreSQL).

A foreign-currency settlement credits clearing at the base amount the captures were booked
at, debits bank and fees at the settlement day's rate, and puts the base difference on a line
of zero in the currency: SL's realised gain/loss shape (CuryDrAmt/CuryCrAmt 0, DrAmt/CrAmt set).
The company's EUR rate is 1.08 (the sandbox seed).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, update
from sqlalchemy.dialects import mssql
from test_sl_writer_support import (  # noqa: F401 - fixtures
    ACC,
    NOW,
    SETTINGS,
    company_fixture,
    count,
    counts,
    one,
    pg_company_fixture,
    pg_schema_fixture,
    rows,
    sqlite_company,
    sqlite_template_fixture,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.journal import journal_rate
from slpay.connectors.dynamics_sl.models import JournalInput, JournalLine
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money
from slpay.errors import ValidationError
from slpay.sandbox.sl.ledger import TBKey, trial_balance
from slpay.sandbox.sl.release import release_all

D = Decimal
CLEARING = (ACC.clearing_acct, ACC.clearing_sub)
BANK = (ACC.bank_acct, ACC.bank_sub)
FEES = (ACC.fees_acct, ACC.fees_sub)
FX = (ACC.fx_acct, ACC.fx_sub)


def eur(v: str) -> Money:
    return Money.of(v, "EUR")


def line(acct_sub: tuple[str, str], amount: str, base: str | None = None) -> JournalLine:
    return JournalLine(*acct_sub, eur(amount), base=None if base is None else D(base))


def settlement(key: str = "settle:fx", fx: str = "3.00", clearing_base: str = "-165.00") -> Any:
    """EUR 150 booked at 1.10 (base 165.00), settled at 1.08: net 146.80, fees 3.20."""
    return JournalInput(key, NOW, (
        line(CLEARING, "-150.00", clearing_base),
        line(BANK, "146.80"),  # 158.544 -> 158.54 at 1.08
        line(FEES, "3.20"),  # 3.456 -> 3.46
        line(FX, "0", fx),
    ), description="Cybersource EUR")  # fmt: skip


def by_acct(lines: list[dict[str, Any]]) -> dict[str, tuple[float, float, float, float]]:
    return {r["Acct"]: (r["CuryDrAmt"], r["CuryCrAmt"], r["DrAmt"], r["CrAmt"]) for r in lines}


def test_fx_line_is_zero_in_currency_and_balances_the_batch_in_base(company: Engine) -> None:
    doc = SLWriter(company).write_journal(settlement())

    lines = by_acct(rows(company, sl.GLTran, sl.GLTran.c.BatNbr == doc.bat_nbr))
    assert lines[ACC.clearing_acct] == (0.0, 150.0, 0.0, 165.0)
    assert lines[ACC.bank_acct] == (146.8, 0.0, 158.54, 0.0)
    assert lines[ACC.fees_acct] == (3.2, 0.0, 3.46, 0.0)
    assert lines[ACC.fx_acct] == (0.0, 0.0, 3.0, 0.0)
    batch = one(company, sl.Batch, sl.Batch.c.Module == "GL", sl.Batch.c.BatNbr == doc.bat_nbr)
    assert batch["CrTot"] == batch["DrTot"] == batch["CtrlTot"] == 165.0
    assert batch["CuryCrTot"] == batch["CuryDrTot"] == batch["CuryCtrlTot"] == 150.0
    assert (batch["CuryId"], batch["CuryRate"]) == ("EUR", 1.08)


def test_an_exchange_gain_is_a_base_only_credit(company: Engine) -> None:
    # Booked at 1.05 (157.50), settled at 1.08: the bank got more base than clearing held.
    item = settlement(fx="-4.50", clearing_base="-157.50")
    doc = SLWriter(company).write_journal(item)

    lines = by_acct(rows(company, sl.GLTran, sl.GLTran.c.BatNbr == doc.bat_nbr))
    assert lines[ACC.fx_acct] == (0.0, 0.0, 0.0, 4.5)
    batch = one(company, sl.Batch, sl.Batch.c.Module == "GL", sl.Batch.c.BatNbr == doc.bat_nbr)
    assert batch["CrTot"] == 162.0


def test_released_fx_batch_leaves_clearing_at_zero_in_base(company: Engine) -> None:
    SLWriter(company).write_journal(settlement())

    report = release_all(company)
    assert report.refused == []
    assert [r.status for r in report.released] == ["P"]
    base = trial_balance(company, base=True)
    assert base == {
        TBKey(*BANK, "USD"): D("158.54"),
        TBKey(*CLEARING, "USD"): D("-165.00"),
        TBKey(*FEES, "USD"): D("3.46"),
        TBKey(*FX, "USD"): D("3.00"),
    }
    # In the currency the exchange line is zero, so it does not appear.
    assert TBKey(*FX, "EUR") not in trial_balance(company)


def test_release_refuses_a_line_debited_in_currency_and_credited_in_base(company: Engine) -> None:
    doc = SLWriter(company).write_journal(settlement())
    g = sl.GLTran.c
    with company.begin() as conn:  # an SL user's bad edit: the bank line's base moved sides
        conn.execute(
            update(sl.GLTran)
            .where(g.BatNbr == doc.bat_nbr, g.Acct == ACC.bank_acct)
            .values(DrAmt=0.0, CrAmt=158.54)
        )

    report = release_all(company)
    assert [r.text for r in report.refused] == [
        "GL line 2: debit in one currency, credit in the other"
    ]
    assert trial_balance(company, base=True) == {}


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (settlement(fx="3.01"), "lines"),  # off by a cent in base
        (settlement(fx="3.005"), "lines[3].base"),  # more places than USD has
        (settlement(clearing_base="165.00", fx="333.00"), "lines[0]"),  # credit in EUR, debit base
    ],
    ids=["unbalanced-in-base", "too-many-places", "opposite-sides"],
)
def test_bad_base_amounts_are_refused_and_nothing_is_written(
    company: Engine, item: JournalInput, field: str
) -> None:
    before = counts(company)
    with pytest.raises(ValidationError) as err:
        SLWriter(company).write_journal(item)
    assert err.value.field == field
    assert counts(company) == before


def test_a_line_of_zero_without_a_base_amount_is_still_refused(company: Engine) -> None:
    item = JournalInput("z", NOW, (line(BANK, "10"), line(CLEARING, "-10"), line(FX, "0")))
    with pytest.raises(ValidationError) as err:
        SLWriter(company).write_journal(item)
    assert err.value.field == "lines[2].amount"
    assert count(company, sl.GLTran) == 0


def test_journal_rate_is_the_rate_the_writer_stores(company: Engine) -> None:
    with company.connect() as conn:
        eur_rate = journal_rate(conn, SETTINGS, "EUR", NOW)
        usd_rate = journal_rate(conn, SETTINGS, "USD", NOW)
    assert (eur_rate.rate, eur_rate.mult_div, eur_rate.base(D("146.80"))) == (
        D("1.08"), "M", D("158.54"))  # fmt: skip
    assert usd_rate.rate == 1
    doc = SLWriter(company).write_journal(settlement())
    assert one(company, sl.Batch, sl.Batch.c.BatNbr == doc.bat_nbr)["CuryRate"] == 1.08


def test_fx_journal_statements_compile_for_mssql(tmp_path: Path) -> None:
    engine = sqlite_company(tmp_path)
    seen: list[tuple[Any, Any]] = []

    def before(conn: Any, stmt: Any, multiparams: Any, params: Any, options: Any) -> None:
        seen.append((stmt, multiparams))

    writer = SLWriter(engine)
    writer.install()
    event.listen(engine, "before_execute", before)
    writer.write_journal(settlement())
    with engine.connect() as conn:
        journal_rate(conn, SETTINGS, "EUR", NOW)
    event.remove(engine, "before_execute", before)
    compiled = [
        str(stmt.compile(dialect=mssql.dialect(), column_keys=_keys(multiparams)))
        for stmt, multiparams in seen
        if not isinstance(stmt, str)
    ]
    assert any("INSERT INTO [GLTran]" in sql for sql in compiled)
    assert any("FROM [CuryRate]" in sql for sql in compiled)
    engine.dispose()


def _keys(multiparams: Any) -> list[str] | None:
    if multiparams and isinstance(multiparams[0], dict):
        return list(multiparams[0])
    if multiparams and isinstance(multiparams[0], list) and multiparams[0]:
        return list(multiparams[0][0])
    return None
