"""Control totals and balances computed before anything is written (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from slpay.connectors.dynamics_sl.context import Rate
from slpay.connectors.dynamics_sl.journal import base_amounts, check_journal
from slpay.connectors.dynamics_sl.models import JournalInput, JournalLine
from slpay.domain.money import Money
from slpay.errors import ValidationError

WHEN = datetime(2026, 5, 15)  # noqa: DTZ001 - SL dates are naive
EUR = Rate("EUR", Decimal("1.0837"), "M", WHEN, "SPOT", 2, 2)


def test_base_amounts_of_a_balanced_journal_balance_after_rounding() -> None:
    lines = [Decimal("0.01")] * 7 + [Decimal("-0.07")]
    base = base_amounts(lines, EUR)
    assert sum(base) == 0
    assert all(b.as_tuple().exponent == -2 for b in base)
    # Rounded line by line, seven cents of EUR would be 0.07 USD against 0.08 USD: the largest
    # line absorbs the cent, so debits = credits = control total in base too.
    assert max(abs(b) for b in base) == Decimal("0.07")


def test_base_amounts_leave_exact_conversions_alone() -> None:
    base = base_amounts([Decimal("100.00"), Decimal("-100.00")], EUR)
    assert base == [Decimal("108.37"), Decimal("-108.37")]


def test_rate_converts_with_multiply_or_divide() -> None:
    assert EUR.base(Decimal("10.00")) == Decimal("10.84")
    divide = Rate("JPY", Decimal("150"), "D", WHEN, "SPOT", 0, 2)
    assert divide.base(Decimal("1500")) == Decimal("10.00")


def _journal(*amounts: str, currency: str = "USD") -> JournalInput:
    return JournalInput("k", datetime(2026, 5, 15, tzinfo=UTC), tuple(
        JournalLine("1000", "000000", Money.of(a, currency)) for a in amounts))  # fmt: skip


def test_journal_checks_refuse_unbalanced_single_line_zero_and_mixed_currency() -> None:
    check_journal(_journal("10.00", "-4.00", "-6.00"))
    cases = {
        "differ by 1.00": _journal("10.00", "-9.00"),
        "at least two lines": _journal("10.00"),
        "a line of zero": _journal("0", "0"),
    }
    for message, journal in cases.items():
        with pytest.raises(ValidationError, match=message):
            check_journal(journal)
    mixed = JournalInput("k", WHEN, (JournalLine("1", "1", Money.of("1", "USD")),
                                     JournalLine("1", "1", Money.of("-1", "EUR"))))  # fmt: skip
    with pytest.raises(ValidationError, match="one currency"):
        check_journal(mixed)
