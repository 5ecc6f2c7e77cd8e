"""Bad input is refused with the field named and nothing written; the fault switch works."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from test_sl_writer_support import (  # noqa: F401 - fixtures
    ACC,
    LAST_MONTH,
    NEXT_MONTH,
    NOW,
    company_fixture,
    count,
    counts,
    pg_company_fixture,
    pg_schema_fixture,
    released_invoice,
    sqlite_template_fixture,
)

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import (
    Application,
    CustomerRef,
    JournalInput,
    JournalLine,
    MemoInput,
    PaymentInput,
)
from slpay.connectors.dynamics_sl.reader import SLReader
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money
from slpay.errors import PermanentError, TransientError, ValidationError


def pay(**kw: object) -> PaymentInput:
    args: dict[str, object] = {
        "key": "t1:capture",
        "customer": CustomerRef(cust_id="C00001"),
        "amount": Money.of("10.00", "USD"),
        "date": NOW,
    }
    args.update(kw)
    return PaymentInput(**args)  # type: ignore[arg-type]


BAD_PAYMENTS: dict[str, tuple[PaymentInput, str]] = {
    "unknown customer, no e-mail": (pay(customer=CustomerRef(cust_id="NOSUCH")), "customer"),
    "no customer at all": (pay(customer=CustomerRef()), "customer"),
    "zero amount": (pay(amount=Money.of("0", "USD")), "amount"),
    "negative amount": (pay(amount=Money.of("-5.00", "USD")), "amount"),
    "currency not in Currncy": (pay(amount=Money.of("5.00", "CHF")), "currency"),
    "over-length key": (pay(key="k" * 121), "key"),
    "empty key": (pay(key=" "), "key"),
    "closed period": (pay(date=LAST_MONTH), "date"),
    "period after the current one": (pay(date=NEXT_MONTH), "date"),
    "over-length order number": (pay(order_nbr="X" * 16), "ARDoc.OrdNbr"),
    "over-length Cybersource id field": (pay(cyber_id="9" * 31), "ARDoc.User2"),
    "application to a missing invoice, new customer": (
        pay(customer=CustomerRef(email="someone@new.example"),
            applications=(Application("IN", "NOPE"),)),
        "applications[0].ref_nbr",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_PAYMENTS))
def test_bad_payment_is_refused_naming_the_field_and_nothing_is_written(
    company: Engine, case: str
) -> None:
    payment, field = BAD_PAYMENTS[case]
    before = counts(company)
    with pytest.raises(ValidationError) as err:
        SLWriter(company).write_payment(payment)
    assert err.value.field == field
    assert counts(company) == before


def test_bad_journal_and_memo_are_refused_naming_the_field(company: Engine) -> None:
    writer = SLWriter(company)
    before = counts(company)
    unbalanced = JournalInput("j1", NOW, (
        JournalLine(ACC.bank_acct, ACC.bank_sub, Money.of("10", "USD")),
        JournalLine(ACC.clearing_acct, ACC.clearing_sub, Money.of("-9", "USD")),
    ))  # fmt: skip
    with pytest.raises(ValidationError, match="differ by 1") as err:
        writer.write_journal(unbalanced)
    assert err.value.field == "lines"
    inactive = JournalInput("j2", NOW, (
        JournalLine("8888", ACC.bank_sub, Money.of("10", "USD")),
        JournalLine(ACC.clearing_acct, ACC.clearing_sub, Money.of("-10", "USD")),
    ))  # fmt: skip
    with pytest.raises(ValidationError) as err:
        writer.write_journal(inactive)
    assert err.value.field == "lines[0].acct"
    memo = MemoInput("m1", "CM", CustomerRef(cust_id="C00001"), Money.of("1", "USD"), NOW,
                     ACC.refunds_acct, "NOSUB")  # fmt: skip
    with pytest.raises(ValidationError) as err:
        writer.write_memo(memo)
    assert err.value.field == "line_acct"
    assert counts(company) == before


def test_batched_payments_keep_good_items_and_report_bad_ones(company: Engine) -> None:
    results = SLWriter(company).write_payments([
        pay(key="a"), pay(key="b", amount=Money.of("0", "USD")), pay(key="a"),
        pay(key="c", amount=Money.of("7.00", "EUR")), pay(key="d"), pay(key="e", cyber_id="9" * 31),
    ])  # fmt: skip

    assert [r.ok for r in results] == [True, False, True, True, True, False]
    assert [r.error.field for r in results if r.error] == ["amount", "ARDoc.User2"]
    assert results[0].document == results[2].document  # same key, one document
    assert count(company, sl.ARDoc) == 3
    assert count(company, sl.Batch) == 2  # one SL batch per currency


@pytest.mark.parametrize(
    ("mode", "match", "error"),
    [("unavailable", "", TransientError), ("fail_next", "", PermanentError),
     ("fail_matching", "capture", PermanentError)],
)  # fmt: skip
def test_fault_switch_fails_writes_without_writing(
    company: Engine, mode: str, match: str, error: type[Exception]
) -> None:
    writer = SLWriter(company, SLSettings(fault=mode, fault_match=match))  # type: ignore[arg-type]
    before = counts(company)
    with pytest.raises(error):
        writer.write_payment(pay())
    assert counts(company) == before
    if mode == "fail_next":
        assert writer.write_payment(pay()).created  # only the next write failed
    writer.faults.clear()
    assert writer.write_payment(pay(key="t2:capture")).created


def test_fault_switch_set_programmatically_covers_reads(company: Engine) -> None:
    writer = SLWriter(company)
    reader = SLReader(company, faults=writer.faults)
    writer.faults.set("unavailable")
    with pytest.raises(TransientError):
        reader.poll()
    writer.faults.set("fail_matching", "refund")
    writer.write_payment(pay())  # the key does not match: written
    with pytest.raises(PermanentError):
        writer.write_payment(pay(key="t1:refund"))


def test_applying_more_than_is_left_names_the_field(company: Engine) -> None:
    released_invoice(company, "C00001", "IN7", "10.00")
    with pytest.raises(ValidationError) as err:
        SLWriter(company).write_payment(
            pay(amount=Money.of("20.00", "USD"),
                applications=(Application("IN", "IN7", Money.of("15.00", "USD")),))
        )  # fmt: skip
    assert err.value.field == "applications[0].amount"
