"""The Payment Batch Detail CSV (FACTS §9): header line above column names, credits negative."""

from __future__ import annotations

import pytest

from slpay.connectors.cybersource.reports import CAPTURE, CREDIT, parse_payment_batch_detail
from slpay.domain.money import Money
from slpay.errors import ValidationError

REPORT = (
    "Payment Batch Detail Report,1.0,2026-01-01 to 2026-01-02,,,,,,,\n"
    "batch_id,merchant_id,batch_date,request_id,merchant_ref_number,trans_ref_no,"
    "payment_method,currency,amount,transaction_type\n"
    "1001,slpay_demo,2026-01-01,7000000000000000000001,SO-1,R1,Visa,USD,25.00,ics_bill\n"
    "1001,slpay_demo,2026-01-01,7000000000000000000002,SO-1,R2,Visa,USD,-5.00,ics_credit\n"
    "1001,slpay_demo,2026-01-01,7000000000000000000003,SO-2,R3,Visa,JPY,1500,ics_bill\n"
)


def test_rows_are_read_by_column_name_with_money_amounts() -> None:
    report = parse_payment_batch_detail(REPORT.encode())
    assert (report.name, report.version) == ("Payment Batch Detail Report", "1.0")
    assert report.period == "2026-01-01 to 2026-01-02"
    capture, credit, yen = report.rows
    assert capture.request_id == "7000000000000000000001"
    assert capture.merchant_ref_number == "SO-1"
    assert (capture.transaction_type, capture.amount) == (CAPTURE, Money.of("25.00", "USD"))
    assert (credit.transaction_type, credit.amount) == (CREDIT, Money.of("-5.00", "USD"))
    assert yen.amount == Money.of("1500", "JPY")


def test_streamed_lines_parse_like_bytes_and_extra_columns_are_kept() -> None:
    lines = REPORT.replace("transaction_type\n", "transaction_type,payment_processor\n")
    lines = lines.replace("ics_bill\n", "ics_bill,vdcvantiv\n", 1)
    report = parse_payment_batch_detail(iter(lines.splitlines()))
    assert report.rows[0].extra == {"payment_processor": "vdcvantiv"}
    assert report.rows[1].extra == {"payment_processor": ""}


def test_a_file_without_the_standard_columns_is_refused() -> None:
    with pytest.raises(ValidationError, match="missing columns"):
        parse_payment_batch_detail(b"Payment Batch Detail Report,1.0\nbatch_id,amount\n1,2\n")


def test_an_amount_with_too_many_decimals_names_the_line() -> None:
    bad = REPORT.replace("25.00,ics_bill", "25.001,ics_bill")
    with pytest.raises(ValidationError, match="line 3"):
        parse_payment_batch_detail(bad)
