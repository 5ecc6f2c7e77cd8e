"""Matching rules on an in-memory SL side: request id, merchant reference, amount and date
1:1, many-to-one exact, and what is left flagged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from slpay.domain.reconciliation import FeeRule, Tolerance
from slpay.reconcile.matching import Dispute, Matcher, MatchResult, MatchRules
from slpay.reconcile.report_stream import SettledRow
from slpay.reconcile.sl_side import SLSide

DAY = date(2026, 5, 15)


def row(rid: str, ref: str, amount: int, currency: str = "USD", line: int = 3) -> SettledRow:
    return SettledRow(
        rid, ref, currency, amount, amount < 0, "Visa", "1", DAY.isoformat(), "", line
    )


def side(*docs: tuple[str, str, int, str]) -> SLSide:
    s = SLSide()
    for txn, op, amount, ref in docs:
        s.add(txn, op, amount, "USD", DAY.toordinal(), ref, "PP 1")
    return s


def run_rules() -> MatchRules:
    return MatchRules(
        tolerance=lambda _c: Tolerance(Decimal("1.0"), 100),
        fee_rule=lambda _c, _t: FeeRule(Decimal("2.00"), 10),
        date_tolerance_days=2,
        unsettled_cutoff=DAY.toordinal(),
        unsettled_after_days=0,
    )


def run(s: SLSide, rows: list[SettledRow], disputes: tuple[Dispute, ...] = ()) -> MatchResult:
    m = Matcher(s, run_rules())
    m.feed(rows)
    m.feed_disputes(disputes)
    return m.finish()


def kinds(result: MatchResult) -> list[tuple[str, str]]:
    return sorted((d.kind, d.what) for d in result.discrepancies)


def test_request_ids_match_and_clear_what_sl_booked() -> None:
    s = side(("1", "capture", 10_000, "A"), ("2", "refund", -3_000, "A"))
    result = run(s, [row("1", "A", 10_000), row("2", "A", -3_000)])
    assert kinds(result) == []
    usd = result.totals["USD"]
    assert (usd.matched, usd.cleared, usd.expected_fees) == (2, 7_000, 210)


def test_a_small_difference_within_tolerance_matches_and_shows_in_the_totals() -> None:
    result = run(side(("1", "capture", 10_000, "A")), [row("1", "A", 10_050)])
    assert kinds(result) == []
    assert (result.totals["USD"].cleared, result.totals["USD"].reported) == (10_000, 10_050)


def test_an_unknown_request_id_matches_by_merchant_reference() -> None:
    result = run(side(("sl-id", "capture", 10_000, "ORD-1")), [row("cs-id", "ORD-1", 10_000)])
    assert kinds(result) == []
    assert result.totals["USD"].matched == 1


def test_amount_and_date_match_only_one_to_one() -> None:
    one = run(side(("x", "capture", 5_000, "")), [row("cs", "", 5_000)])
    assert kinds(one) == []
    two_rows = run(side(("x", "capture", 5_000, "")), [row("c1", "", 5_000), row("c2", "", 5_000)])
    assert kinds(two_rows) == [("missing-in-sl", "c1"), ("missing-in-sl", "c2"),
                               ("not-settled", "x:capture")]  # fmt: skip


def test_partial_captures_settled_separately_match_one_sl_document_exactly() -> None:
    s = side(("sl", "capture", 10_000, "ORD-9"))
    result = run(s, [row("p1", "ORD-9", 6_000), row("p2", "ORD-9", 4_000)])
    assert kinds(result) == []
    assert result.totals["USD"].cleared == 10_000


def test_several_sl_refunds_for_one_settled_credit_match_exactly_or_not_at_all() -> None:
    s = side(("r1", "refund", -1_000, "ORD-9"), ("r2", "refund", -2_000, "ORD-9"))
    assert kinds(run(s, [row("cs", "ORD-9", -3_000)])) == []
    s = side(("r1", "refund", -1_000, "ORD-9"), ("r2", "refund", -2_000, "ORD-9"))
    flagged = kinds(run(s, [row("cs", "ORD-9", -3_001)]))
    assert ("missing-in-sl", "cs") in flagged


def test_a_row_settled_twice_is_one_match_and_one_duplicate() -> None:
    result = run(
        side(("1", "capture", 10_000, "A")), [row("1", "A", 10_000), row("1", "A", 10_000, line=4)]
    )
    assert kinds(result) == [("duplicate", "1#4")]
    assert result.totals["USD"].matched == 1


def test_chargebacks_and_won_chargebacks_match_their_sl_documents() -> None:
    s = side(("1", "chargeback", -2_500, "A"), ("1", "chargeback-won", 2_500, "A"))
    disputes = (
        Dispute("1", "chargeback", "USD", -2_500, {}),
        Dispute("1", "chargeback-won", "USD", 2_500, {}),
    )
    result = run(s, [], disputes)
    assert kinds(result) == []
    assert result.totals["USD"].cleared == 0
    missing = run(side(), [], (Dispute("7", "chargeback", "USD", -100, {}),))
    assert kinds(missing) == [("missing-in-sl", "7:chargeback")]


def test_a_batch_matches_exactly_like_rows_one_by_one() -> None:
    from slpay.reconcile.report_stream import read_report_batches

    lines = [
        "Payment Batch Detail Report,1.0,x,,,,,,,",
        "batch_id,merchant_id,batch_date,request_id,merchant_ref_number,trans_ref_no,"
        "payment_method,currency,amount,transaction_type",
        "1,m,2026-05-15,1,A,r,Visa,USD,100.00,ics_bill",  # clean
        "1,m,2026-05-15,1,A,r,Visa,USD,100.00,ics_bill",  # settled twice
        "1,m,2026-05-15,2,A,r,Visa,EUR,30.00,ics_bill",  # SL has it in USD
        "1,m,2026-05-15,3,B,r,Mastercard,USD,-20.00,ics_credit",  # clean refund
        "1,m,2026-05-15,4,C,r,Visa,USD,50.50,ics_bill",  # within tolerance
        "1,m,2026-05-15,9,Z,r,Visa,USD,7.00,ics_bill",  # not in SL
    ]
    docs = (
        ("1", "capture", 10_000, "A"),
        ("2", "capture", 3_000, "A"),
        ("3", "refund", -2_000, "B"),
        ("4", "capture", 5_000, "C"),
    )
    one_by_one = run(side(*docs), [r for b in read_report_batches(lines) for r in _rows(b)])
    batched = side(*docs)
    m = Matcher(batched, run_rules())
    for b in read_report_batches(lines, batch_size=4):
        m.feed_batch(b)
    in_batches = m.finish()
    assert (
        kinds(in_batches)
        == kinds(one_by_one)
        == [
            ("currency-mismatch", "2"),
            ("duplicate", "1#4"),
            ("missing-in-sl", "9"),
        ]
    )
    assert in_batches.totals == one_by_one.totals
    assert in_batches.totals["USD"].cleared == 10_000 - 2_000 + 5_000


def _rows(b: object) -> list[SettledRow]:
    from slpay.reconcile.report_stream import ReportBatch

    assert isinstance(b, ReportBatch)
    return [b.row(k) for k in range(len(b))]
