"""How an SL credit memo's refund is spread over an authorization's captures."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from slpay.connectors.cybersource.models import TransactionDetails
from slpay.domain.money import Money
from slpay.workflows.refunds import Txn
from slpay.workflows.sl_refunds import refund_balances, split_refund


def txn(tid: str, kind: Any, amount: str, status: str = "PENDING") -> Txn:
    return Txn(tid, kind, status, Money.of(amount, "USD"), "ORD-1")


class FakeCybersource:
    """TSS details with or without ``refundBalance`` per capture."""

    def __init__(self, balances: dict[str, str | None]) -> None:
        self.balances = balances

    def get_transaction(self, tid: str) -> TransactionDetails:
        amounts: dict[str, Any] = {"totalAmount": "1.00", "currency": "USD"}
        if self.balances.get(tid) is not None:
            amounts["refundBalance"] = self.balances[tid]
        body = {"id": tid, "orderInformation": {"amountDetails": amounts}}
        return TransactionDetails.model_validate(body)


def deps(balances: dict[str, str | None]) -> Any:
    return SimpleNamespace(cs=FakeCybersource(balances))


CHAIN = [
    txn("A", "auth", "100.00"),
    txn("C1", "capture", "60.00"),
    txn("C2", "capture", "40.00"),
    txn("R1", "refund", "30.00"),
]


def test_the_newest_capture_is_refunded_first_and_the_rest_from_the_older_one() -> None:
    balances = [(CHAIN[2], Decimal("10.00")), (CHAIN[1], Decimal("60.00"))]
    parts = split_refund(Decimal("50.00"), balances)
    assert [(c.id, a) for c, a in parts] == [("C2", Decimal("10.00")), ("C1", Decimal("40.00"))]


def test_a_refund_one_capture_can_take_is_a_single_part() -> None:
    balances = [(CHAIN[2], Decimal("40.00")), (CHAIN[1], Decimal("60.00"))]
    assert [(c.id, a) for c, a in split_refund(Decimal("25.00"), balances)] == [
        ("C2", Decimal("25.00"))
    ]


def test_what_no_capture_can_take_is_left_out_for_the_caller_to_refuse() -> None:
    balances = [(CHAIN[2], Decimal("0")), (CHAIN[1], Decimal("20.00"))]
    parts = split_refund(Decimal("50.00"), balances)
    assert sum(a for _, a in parts) == Decimal("20.00")


def test_balances_come_from_cybersources_refund_balance_when_it_gives_one() -> None:
    got = refund_balances(deps({"C1": "5.00", "C2": "40.00"}), CHAIN)
    assert [(c.id, b) for c, b in got] == [("C2", Decimal("40.00")), ("C1", Decimal("5.00"))]


def test_without_refund_balance_earlier_refunds_are_taken_from_the_newest_capture_first() -> None:
    got = refund_balances(deps({}), CHAIN)
    assert [(c.id, b) for c, b in got] == [("C2", Decimal("10.00")), ("C1", Decimal("60.00"))]


def test_voided_captures_are_never_refunded() -> None:
    chain = [*CHAIN[:2], txn("C2", "capture", "40.00", status="VOIDED")]
    assert [c.id for c, _ in refund_balances(deps({}), chain)] == ["C1"]
