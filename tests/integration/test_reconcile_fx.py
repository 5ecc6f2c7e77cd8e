"""A EUR settlement day in a USD company: the exchange difference goes to Exchange gain/loss.

The captures are booked in SL at the rate of their day (SL's CuryRate table: 1.10 on 14 May);
Cybersource settles them on 15 May, when SL's rate is 1.08. In EUR the batch is the usual one;
in USD clearing must be credited what the captures were booked at (165.00) while bank and fees
are worth 158.54 + 3.46 at the settlement rate, so 3.00 is an exchange loss — a line of zero
EUR. Released, clearing is zero in both currencies for what settled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import insert, select
from test_reconcile_support import (  # noqa: F401 - fixtures
    ACC,
    CLEARING,
    SL,
    Day,
    day_fixture,
    sandbox_fixture,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.rows import Audit, full_row
from slpay.sandbox.sl.ledger import TBKey, trial_balance
from slpay.sandbox.sl.moneymap import CapturedBeforeInvoice, Settled, predict_trial_balance
from slpay.sandbox.sl.release import release_all

D = Decimal
FX = (ACC.fx_acct, ACC.fx_sub)
BOOKED_ON = datetime(2026, 5, 14, 12, tzinfo=UTC)
SETTLED_ON = datetime(2026, 5, 15, 12, tzinfo=UTC)


def sl_rates(day: Day) -> None:
    """SL users keep the SPOT rate table: EUR→USD 1.10 on 14 May, 1.08 from 15 May."""
    audit = Audit(user="SL", now=datetime(2026, 5, 14, 8, 0), prog="24020")  # noqa: DTZ001
    rows = [
        {"FromCuryId": "EUR", "ToCuryId": "USD", "RateType": SL.cury_rate_type,
         "EffDate": datetime(2026, 5, m), "MultDiv": "M", "Rate": rate,  # noqa: DTZ001
         "RateReciprocal": 1 / rate, "AutoCalcMeth": " ", "Triangulate": " "}
        for m, rate in ((14, 1.10), (15, 1.08))
    ]  # fmt: skip
    with day.writer.engine.begin() as conn:
        conn.execute(insert(sl.CuryRate), [full_row(sl.CuryRate, audit, r) for r in rows])


def eur_day(day: Day, booked_on: datetime) -> None:
    """EUR 100 and EUR 50 sold and settled on 15 May; SL booked them on ``booked_on``."""
    sl_rates(day)
    a = day.sale("ORD-E1", "100.00", "EUR")
    b = day.sale("ORD-E2", "50.00", "EUR")
    day.close()
    day.sl_capture(a, "ORD-E1", "100.00", "EUR", when=booked_on)
    day.sl_capture(b, "ORD-E2", "50.00", "EUR", when=booked_on)


def fx_lines(day: Day) -> list[tuple[float, float, float, float]]:
    g = sl.GLTran.c
    query = select(g.CuryDrAmt, g.CuryCrAmt, g.DrAmt, g.CrAmt).where(
        g.Module == "GL", g.Acct == FX[0], g.Sub == FX[1]
    )
    with day.writer.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def test_captures_booked_at_another_rate_post_the_difference_as_exchange_loss(day: Day) -> None:
    eur_day(day, BOOKED_ON)
    result = day.reconcile()
    assert result.summary()["discrepancies"] == {}
    assert set(result.gl_batches) == {"EUR"}
    assert result.postings[0].exchange == 300  # USD 3.00, a loss (debit)
    assert fx_lines(day) == [(0.0, 0.0, 3.0, 0.0)]
    csv_text = result.files[0].read_text()
    assert "exchange difference,EUR,USD,,,3.00,in base currency; + is a loss" in csv_text

    report = release_all(day.writer.engine)
    assert report.refused == []
    # Fees: 2% + 0.10 per sale = 2.10 + 1.10; net = 150 - 3.20.
    events = [
        CapturedBeforeInvoice(D("100.00"), "EUR", D("1.10")),
        CapturedBeforeInvoice(D("50.00"), "EUR", D("1.10")),
        Settled(D("150.00"), D("146.80"), D("3.20"), "EUR", fx=D("3.00"), rate=D("1.08")),
    ]
    in_eur, in_usd = trial_balance(day.writer.engine), trial_balance(day.writer.engine, base=True)
    assert in_eur == predict_trial_balance(events)
    assert in_usd == predict_trial_balance(events, base="USD")
    assert TBKey(*CLEARING, "EUR") not in in_eur
    assert TBKey(*CLEARING, "USD") not in in_usd
    assert in_usd[TBKey(*FX, "USD")] == D("3.00")


def test_a_day_settled_at_the_rate_it_was_booked_posts_no_exchange_line(day: Day) -> None:
    eur_day(day, SETTLED_ON)
    result = day.reconcile()
    assert set(result.gl_batches) == {"EUR"}
    assert result.postings[0].exchange == 0
    assert fx_lines(day) == []
    assert "exchange difference" not in result.files[0].read_text()

    assert release_all(day.writer.engine).refused == []
    events = [
        CapturedBeforeInvoice(D("100.00"), "EUR", D("1.08")),
        CapturedBeforeInvoice(D("50.00"), "EUR", D("1.08")),
        Settled(D("150.00"), D("146.80"), D("3.20"), "EUR", rate=D("1.08")),
    ]
    in_usd = trial_balance(day.writer.engine, base=True)
    assert in_usd == predict_trial_balance(events, base="USD")
    assert TBKey(*CLEARING, "USD") not in in_usd


def test_rerunning_a_fx_day_keeps_one_batch_and_one_exchange_line(day: Day) -> None:
    eur_day(day, BOOKED_ON)
    first = day.reconcile()
    second = day.reconcile()
    assert second.gl_batches == first.gl_batches
    assert fx_lines(day) == [(0.0, 0.0, 3.0, 0.0)]
