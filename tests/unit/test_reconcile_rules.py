"""Pure reconciliation rules: minor units, tolerances, fees, the streaming report reader,
``slpay check`` on the GL mapping, and the daily schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from slpay.config import ReconcileSettings, SLAccounts
from slpay.domain.reconciliation import FeeRule, Tolerance, card_sub_type, from_minor, to_minor
from slpay.errors import ValidationError
from slpay.reconcile.checks import gl_mapping_problems
from slpay.reconcile.report_stream import read_settled_rows
from slpay.reconcile.schedule import due_day, next_run

HEADER = "Payment Batch Detail Report,1.0,2026-05-15 to 2026-05-15,,,,,,,"
COLUMNS = (
    "batch_id,merchant_id,batch_date,request_id,merchant_ref_number,trans_ref_no,"
    "payment_method,currency,amount,transaction_type"
)


def test_amounts_become_exact_minor_units_per_currency() -> None:
    assert to_minor("-12.34", "USD") == -1234
    assert to_minor("1000", "JPY") == 1000
    assert to_minor("0.5", "USD") == 50
    assert from_minor(-1234, "USD") == Decimal("-12.34")


@pytest.mark.parametrize("bad", ["1.234", "abc", "", "1,00"])
def test_malformed_or_too_precise_amounts_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        to_minor(bad, "USD")


def test_the_stricter_of_percentage_and_absolute_tolerance_applies() -> None:
    tol = Tolerance(Decimal("1.0"), absolute_minor=100)  # 1 % or 1.00
    assert tol.allows(50, 10_000)  # 0.50 on 100.00: both allow
    assert not tol.allows(150, 100_000)  # 1.50 on 1000.00: 1 % allows, 1.00 does not
    assert not tol.allows(50, 2_000)  # 0.50 on 20.00: 1.00 allows, 1 % (0.20) does not
    assert tol.allows(0, 0)


def test_fee_is_percent_plus_per_item_rounded_half_up() -> None:
    rule = FeeRule(Decimal("2.00"), per_item_minor=10)
    assert rule.fee_minor(10_000) == 210  # 100.00 → 2.00 + 0.10
    assert rule.fee_minor(1_025) == 31  # 10.25 → 0.205 → 0.21 + 0.10
    assert card_sub_type("American Express") == "AX"


def test_the_report_streams_rows_with_credits_negative() -> None:
    lines = iter([
        HEADER, COLUMNS,
        "1,m,2026-05-15,111,ORD-1,r1,Visa,USD,100.00,ics_bill",
        "",
        "1,m,2026-05-15,222,ORD-1,r2,Visa,usd,-30.00,ics_credit",
    ])  # fmt: skip
    rows = read_settled_rows(lines)
    first = next(rows)
    assert (first.request_id, first.amount, first.credit) == ("111", 10_000, False)
    second = next(rows)
    assert (second.currency, second.amount, second.credit, second.line) == ("USD", -3000, True, 5)
    assert next(rows, None) is None


def test_a_report_without_its_columns_is_refused_with_the_missing_names() -> None:
    with pytest.raises(ValidationError, match="request_id"):
        list(read_settled_rows([HEADER, "batch_id,amount,currency"]))


def test_a_bad_amount_names_its_line() -> None:
    lines = [HEADER, COLUMNS, "1,m,2026-05-15,111,ORD-1,r1,Visa,USD,1.001,ics_bill"]
    with pytest.raises(ValidationError, match="line 3"):
        list(read_settled_rows(lines))


def test_the_default_gl_mapping_passes_the_check() -> None:
    assert gl_mapping_problems(ReconcileSettings(), SLAccounts()) == []


@pytest.mark.parametrize(
    "figure", ["grossAmount", "totalPurchases", "totalRefunds", "totalChargebacks"]
)
def test_mapping_revenue_refunds_or_chargebacks_is_refused_with_the_reason(figure: str) -> None:
    cfg = ReconcileSettings(gl_accounts={**ReconcileSettings().gl_accounts, figure: "4000"})
    (problem,) = gl_mapping_problems(cfg, SLAccounts())
    assert problem.startswith(f"reconcile.gl_accounts.{figure}: refused")
    assert "twice" in problem


def test_posting_a_figure_to_the_sales_account_is_refused() -> None:
    cfg = ReconcileSettings(gl_accounts={**ReconcileSettings().gl_accounts, "totalFees": "4000"})
    (problem,) = gl_mapping_problems(cfg, SLAccounts())
    assert "revenue account" in problem


def test_yesterday_is_due_after_the_local_schedule_time() -> None:
    cfg = ReconcileSettings(schedule_time="06:30", timezone="America/New_York")
    before = datetime(2026, 5, 16, 10, 0, tzinfo=UTC)  # 06:00 in New York
    after = datetime(2026, 5, 16, 10, 45, tzinfo=UTC)  # 06:45
    assert due_day(before, cfg) is None
    assert due_day(after, cfg) == date(2026, 5, 15)
    assert next_run(before, cfg) == datetime(2026, 5, 16, 10, 30, tzinfo=UTC)
    assert next_run(after, cfg) == datetime(2026, 5, 17, 10, 30, tzinfo=UTC)


def test_a_bad_schedule_time_or_zone_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        ReconcileSettings(schedule_time="25:00")
    with pytest.raises(ValueError, match="IANA"):
        ReconcileSettings(timezone="Mars/Base")


def test_amounts_of_any_shape_and_exponent_parse_the_same_in_a_batch() -> None:
    lines = [
        HEADER, COLUMNS,
        "1,m,2026-05-15,1,A,r,Visa,USD,0.5,ics_bill",
        "1,m,2026-05-15,2,A,r,Visa,JPY,1200,ics_bill",
        "1,m,2026-05-15,3,A,r,Visa,KWD,-1.250,ics_credit",
    ]  # fmt: skip
    assert [r.amount for r in read_settled_rows(lines)] == [50, 1200, -1250]
