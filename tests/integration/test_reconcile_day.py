"""A settlement day reconciled end to end: Cybersource sandbox ↔ SL sandbox company ↔ hub."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from test_reconcile_support import (  # noqa: F401 - fixtures
    CLEARING,
    DAY,
    Day,
    day_fixture,
    sandbox_fixture,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.sandbox.sl.ledger import TBKey, trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    Chargeback,
    Settled,
    predict_trial_balance,
)
from slpay.sandbox.sl.release import release_all

D = Decimal


def clean_day(day: Day) -> dict[str, str]:
    """Three sales, a partial refund and a chargeback, all mirrored in SL."""
    a = day.sale("ORD-A", "100.00")
    b = day.sale("ORD-B", "50.00")
    c = day.sale("ORD-C", "30.00")
    rb = day.refund(b, "20.00")
    day.close()
    day.chargeback(c, "30.00")
    for txn, code, amount in ((a, "ORD-A", "100.00"), (b, "ORD-B", "50.00"), (c, "ORD-C", "30.00")):
        day.sl_capture(txn, code, amount)
    day.sl_memo(rb, "refund", "ORD-B", "20.00")
    day.sl_memo(c, "chargeback", "ORD-C", "30.00")
    return {"a": a, "b": b, "c": c, "rb": rb}


def gl_batch_count(day: Day) -> int:
    with day.writer.engine.connect() as conn:
        stmt = select(func.count()).select_from(sl.Batch).where(sl.Batch.c.Module == "GL")
        return int(conn.execute(stmt).scalar_one())


def test_a_clean_day_posts_one_balanced_batch_that_clears_what_settled(day: Day) -> None:
    clean_day(day)
    result = day.reconcile()
    assert result.summary()["discrepancies"] == {}
    assert result.matched == 5
    assert set(result.gl_batches) == {"USD"}
    report = release_all(day.writer.engine)
    assert report.refused == []
    # Fees: 2% + 0.10 per sale = 2.10 + 1.10 + 0.70; net = 180 - 20 - 30 - 3.90.
    settled = Settled(cleared=D("130.00"), net=D("126.10"), fees=D("3.90"))
    # A card-refund DM books like a chargeback DM before any application: Dr AR, Cr clearing.
    events = [
        CapturedBeforeInvoice(D("100.00")),
        CapturedBeforeInvoice(D("50.00")),
        CapturedBeforeInvoice(D("30.00")),
        Chargeback(D("20.00")),
        Chargeback(D("30.00")),
        settled,
    ]
    actual = trial_balance(day.writer.engine)
    assert actual == predict_trial_balance(events)
    assert TBKey(*CLEARING, "USD") not in actual


def test_rerunning_a_day_changes_nothing(day: Day) -> None:
    clean_day(day)
    first = day.reconcile()
    batches = gl_batch_count(day)
    second = day.reconcile()
    assert second.summary() == first.summary()
    assert gl_batch_count(day) == batches == 1
    assert day.open_tasks() == []


def test_a_day_whose_report_is_not_out_yet_is_not_available_not_all_missing(day: Day) -> None:
    day.sale("ORD-A", "100.00")
    day.sl_capture("123", "ORD-A", "100.00")
    result = day.reconcile()
    assert result.status == "not-available"
    assert result.summary() == {"matched": 0, "discrepancies": {}, "gl_batches": {}}
    assert day.open_tasks() == []
    assert gl_batch_count(day) == 0


def test_report_files_hold_the_matched_totals_and_the_batch(day: Day) -> None:
    clean_day(day)
    result = day.reconcile()
    csv_path, html_path = result.files
    text = csv_path.read_text()
    assert "matched,USD,,,5,130.00" in text
    assert f"gl batch,USD,,{result.gl_batches['USD']},,,posted" in text
    assert "Cybersource settlement 2026-05-15" in html_path.read_text()
