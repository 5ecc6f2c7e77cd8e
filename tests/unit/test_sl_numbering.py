"""SL numbering (FACTS §3.6): increment, zero-pad (minimum width 6), wrap, skip used numbers."""

from __future__ import annotations

import pytest

from slpay.connectors.dynamics_sl.numbering import allocate, increment


@pytest.mark.parametrize(
    ("last", "expected"),
    [("000041", "000042"), ("41", "000042"), ("", "000001"), ("   ", "000001"),
     ("0000000099", "0000000100"), ("999999", "000001"), ("AB0099", "AB0100"),
     ("300000    ", "300001")],
)  # fmt: skip
def test_increment_pads_keeps_width_and_wraps(last: str, expected: str) -> None:
    assert increment(last) == expected


def test_payment_reference_width_wraps_inside_its_field() -> None:
    assert increment("00000009", min_width=8, max_width=8) == "00000010"
    assert increment("99999999", min_width=8, max_width=8) == "00000001"


def test_allocate_skips_numbers_already_used_and_returns_the_new_last() -> None:
    used = {"000002", "000003", "000006"}
    numbers, last = allocate("000001", 3, lambda c: used & set(c))
    assert numbers == ["000004", "000005", "000007"]
    assert last == "000007"


def test_allocate_wraps_past_the_top_and_keeps_skipping() -> None:
    numbers, last = allocate("999998", 3, lambda c: {"000001"} & set(c))
    assert numbers == ["999999", "000002", "000003"]
    assert last == "000003"


def test_allocate_zero_numbers_changes_nothing() -> None:
    assert allocate("000010", 0, lambda c: set()) == ([], "000010")
