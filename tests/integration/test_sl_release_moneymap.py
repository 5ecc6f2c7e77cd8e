"""DESIGN.md's invariant: with everything released, the trial balance of released GLTran equals
the one predicted independently from the money-map events.

Every row of the money map happens once below, written the way slpay and SL's users write it:
orders, captures before and after invoicing, SL's invoices, applications, refunds before and
after invoicing (one of them started by an SL user's card-refund credit memo), a chargeback won
and one lost, a euro order, and the day's settlement GL batch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine
from test_sl_sandbox_support import (  # noqa: F401 - fixtures
    ACC,
    CLEARING,
    LOSSES,
    REFUNDS,
    SALES,
    apply,
    capture,
    company_fixture,
    memo,
    order,
    pg_company_fixture,
    pg_session_url_fixture,
    sqlite_company_fixture,
    writer,
)

from slpay.connectors.dynamics_sl.models import JournalInput, JournalLine
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money
from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import TBKey, trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedAfterInvoice,
    CapturedBeforeInvoice,
    Chargeback,
    ChargebackLost,
    ChargebackWon,
    Invoiced,
    MoneyMapEvent,
    PrepaymentApplied,
    RefundedAfterInvoice,
    RefundedBeforeInvoice,
    Settled,
    predict_trial_balance,
)
from slpay.sandbox.sl.release import release_all

D = Decimal


def released(engine: Engine) -> None:
    report = release_all(engine)
    assert report.refused == []


def ship_and_invoice(engine: Engine, ord_nbr: str) -> str:
    users.ship(engine, ord_nbr)
    return users.invoice(engine, ord_nbr).ref_nbr


def settle(w: SLWriter, cleared: str, net: str, fees: str) -> None:
    """The reconciliation's 01.010 batch: Cr clearing, Dr bank, Dr fees, rest to differences."""
    diff = D(cleared) - D(net) - D(fees)
    lines = [
        JournalLine(*CLEARING, Money.of(f"-{cleared}", "USD"), "Cybersource settlement"),
        JournalLine(ACC.bank_acct, ACC.bank_sub, Money.of(net, "USD"), "Net funding"),
        JournalLine(ACC.fees_acct, ACC.fees_sub, Money.of(fees, "USD"), "Fees"),
    ]
    if diff:
        lines.append(JournalLine(ACC.settlement_diff_acct, ACC.settlement_diff_sub,
                                 Money(diff, "USD"), "Settlement difference"))  # fmt: skip
    when = datetime(2026, 5, 15, 23, tzinfo=UTC)
    w.write_journal(JournalInput(key="settle:2026-05-15:USD", date=when, lines=tuple(lines)))


def run_every_money_map_event(engine: Engine) -> list[MoneyMapEvent]:
    """Do every money-map event on the sandbox; return the events as the test records them."""
    w = writer(engine)
    events: list[MoneyMapEvent] = []
    usd = D

    # A: captured before the invoice (PP), SL invoices, slpay applies PP -> IN.
    a = order(w, "A", "100.00").ord_nbr
    pp_a = capture(w, "A", "100.00", ord_nbr=a)
    in_a = ship_and_invoice(engine, a)
    events += [CapturedBeforeInvoice(usd("100.00")), Invoiced(usd("100.00"))]
    # B: SL invoices first, the capture arrives afterwards (PA applied to the IN).
    b = order(w, "B", "50.00").ord_nbr
    in_b = ship_and_invoice(engine, b)
    events.append(Invoiced(usd("50.00")))
    # C: captured, then refunded in full before invoicing: DM "card refund", order cancelled.
    c = order(w, "C", "40.00").ord_nbr
    pp_c = capture(w, "C", "40.00", ord_nbr=c)
    dm_c = memo(w, "C-refund", "DM", "40.00", CLEARING)
    users.cancel(engine, c)
    events += [CapturedBeforeInvoice(usd("40.00")), RefundedBeforeInvoice(usd("40.00"))]
    # D: prepaid and invoiced; later an SL user issues a card-refund credit memo for 25.
    d = order(w, "D", "60.00").ord_nbr
    pp_d = capture(w, "D", "60.00", ord_nbr=d)
    in_d = ship_and_invoice(engine, d)
    events += [CapturedBeforeInvoice(usd("60.00")), Invoiced(usd("60.00"))]
    released(engine)

    pa_b = capture(w, "B", "50.00", ord_nbr=b, applies_to=(("IN", in_b),))
    apply(w, "A", ("PP", pp_a.ref_nbr), ("IN", in_a))
    apply(w, "C", ("PP", pp_c.ref_nbr), ("DM", dm_c.ref_nbr))
    apply(w, "D", ("PP", pp_d.ref_nbr), ("IN", in_d))
    cm_d = users.credit_memo(engine, "C00001", Money.of("25.00", "USD"), ord_nbr=d,
                             card_refund=True)  # fmt: skip
    dm_d = memo(w, "D-refund", "DM", "25.00", CLEARING)
    # Chargebacks: a DM to the customer on clearing each.
    cb_b = memo(w, "B-chargeback", "DM", "50.00", CLEARING)
    cb_a = memo(w, "A-chargeback", "DM", "30.00", CLEARING)
    events += [
        CapturedAfterInvoice(usd("50.00")),
        PrepaymentApplied(usd("100.00")),
        PrepaymentApplied(usd("60.00")),
        RefundedAfterInvoice(usd("25.00")),
        Chargeback(usd("50.00")),
        Chargeback(usd("30.00")),
    ]
    assert pa_b.doc_type == "PA"
    released(engine)

    apply(w, "D-refund", ("CM", cm_d.ref_nbr), ("DM", dm_d.ref_nbr))
    # Won: a PA on clearing applied to the chargeback DM. Lost: a CM on losses applied to it.
    capture(w, "B-won", "50.00", applies_to=(("DM", cb_b.ref_nbr),))
    lost = memo(w, "A-lost", "CM", "30.00", LOSSES)
    events += [ChargebackWon(usd("50.00")), ChargebackLost(usd("30.00"))]
    released(engine)
    apply(w, "A-lost", ("CM", lost.ref_nbr), ("DM", cb_a.ref_nbr))

    # E: a euro order, prepaid and invoiced.
    e = order(w, "E", "80.00", cust_id="C00004", currency="EUR").ord_nbr
    pp_e = capture(w, "E", "80.00", cust_id="C00004", currency="EUR", ord_nbr=e)
    in_e = ship_and_invoice(engine, e)
    euro = [CapturedBeforeInvoice(D("80.00"), "EUR"), Invoiced(D("80.00"), "EUR")]
    events += euro
    released(engine)
    apply(w, "E", ("PP", pp_e.ref_nbr), ("IN", in_e), cust_id="C00004")
    events.append(PrepaymentApplied(D("80.00"), "EUR"))

    # The day settles in USD: captures 250 - refunds 65 - chargebacks 80 + won 50 = 155.
    settle(w, "155.00", "149.00", "5.00")
    events.append(Settled(cleared=D("155.00"), net=D("149.00"), fees=D("5.00")))
    released(engine)
    return events


def test_released_trial_balance_equals_the_money_map_prediction(company: Engine) -> None:
    events = run_every_money_map_event(company)

    actual = trial_balance(company)

    assert actual == predict_trial_balance(events)
    # What the invariant says in words: USD clearing is fully settled, revenue booked once.
    assert TBKey(*CLEARING, "USD") not in actual
    assert actual[TBKey(*SALES, "USD")] == D("-210.00")
    assert actual[TBKey(*REFUNDS, "USD")] == D("25.00")
    assert actual[TBKey(*CLEARING, "EUR")] == D("80.00")


def test_a_double_booked_sale_breaks_the_invariant(sqlite_company: Engine) -> None:
    """The comparison can fail: revenue booked on capture as well (the seed's mistake)."""
    events = run_every_money_map_event(sqlite_company)
    w = writer(sqlite_company)
    w.write_journal(JournalInput(
        key="bad-mapping", date=datetime(2026, 5, 15, 23, tzinfo=UTC),
        lines=(JournalLine(*CLEARING, Money.of("100.00", "USD")),
               JournalLine(*SALES, Money.of("-100.00", "USD"))),
    ))  # fmt: skip
    released(sqlite_company)

    actual = trial_balance(sqlite_company)
    predicted = predict_trial_balance(events)

    assert actual != predicted
    assert actual[TBKey(*SALES, "USD")] - predicted[TBKey(*SALES, "USD")] == D("-100.00")


def test_prediction_follows_the_money_map_rows() -> None:
    """Spot checks of the predictor itself, from DESIGN.md's table."""
    assert predict_trial_balance([CapturedBeforeInvoice(D("10"))]) == {
        TBKey(*CLEARING, "USD"): D("10"),
        TBKey(ACC.prepay_acct, ACC.prepay_sub, "USD"): D("-10"),
    }
    assert predict_trial_balance([RefundedAfterInvoice(D("7"))]) == {
        TBKey(*REFUNDS, "USD"): D("7"),
        TBKey(*CLEARING, "USD"): D("-7"),
    }
    assert predict_trial_balance([Settled(cleared=D("100"), net=D("96"), fees=D("3"))]) == {
        TBKey(*CLEARING, "USD"): D("-100"),
        TBKey(ACC.bank_acct, ACC.bank_sub, "USD"): D("96"),
        TBKey(ACC.fees_acct, ACC.fees_sub, "USD"): D("3"),
        TBKey(ACC.settlement_diff_acct, ACC.settlement_diff_sub, "USD"): D("1"),
    }
