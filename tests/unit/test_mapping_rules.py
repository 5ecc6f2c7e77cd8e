"""Mapping rules checked one behaviour at a time (the golden files hold the worked examples)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, get_args

import pytest
from test_mapping_support import FakeDirectory, FakeRates, customer, mapping_with

from slpay.connectors.cybersource.models.tss import TransactionDetails
from slpay.connectors.dynamics_sl import schema as sl
from slpay.domain.money import Money
from slpay.domain.orders import ADDRESS_FIELDS, PaymentEvent
from slpay.errors import ValidationError
from slpay.mapping import Lookups, so_change, so_document
from slpay.mapping.load import field_path
from slpay.mapping.spec import FieldSpec
from slpay.mapping.steps import compile_steps, expand

#: Every status FACTS §3.4 lists for payments, captures, reversals, voids and DM actions.
FACTS_STATUSES = [
    "AUTHORIZED", "PARTIAL_AUTHORIZED", "AUTHORIZED_PENDING_REVIEW", "AUTHORIZED_RISK_DECLINED",
    "PENDING_AUTHENTICATION", "PENDING_REVIEW", "DECLINED", "INVALID_REQUEST", "PENDING",
    "TRANSMITTED", "REVERSED", "VOIDED", "ACCEPTED", "REJECTED",
]  # fmt: skip
NOW = datetime(2026, 5, 15, 14, 3, tzinfo=UTC)


@pytest.mark.parametrize("status", FACTS_STATUSES)
def test_default_mapping_knows_every_documented_status(status: str) -> None:
    assert mapping_with().harmonize(status).rule == f"status.{status}"


def test_held_or_cancelled_but_never_both_in_the_default_table() -> None:
    table = mapping_with().status
    rules = [*table.statuses.values(), *table.decisions.values(), table.unknown]

    assert not [r for r in rules if r.admin_hold and r.cancelled]


def test_step_shorthand_means_the_same_as_the_long_form() -> None:
    assert expand("trim") == {"type": "trim"}
    assert expand({"max_length": 25}) == {"type": "max_length", "length": 25}
    assert expand({"pad": {"length": 8, "side": "right"}}) == {
        "type": "pad",
        "length": 8,
        "side": "right",
    }
    assert expand({"type": "upper"}) == {"type": "upper"}


def test_steps_run_in_the_order_written() -> None:
    m = mapping_with({"order_number": {"steps": [{"pad": 6}, {"strip_prefix": "00"}]}})
    assert m.sl_order_number("12") == "0012"


def test_compiled_steps_refuse_naming_the_field() -> None:
    run = compile_steps([], "order_number")
    assert run(" x ") == " x "
    with pytest.raises(ValidationError) as caught:
        mapping_with().sl_order_number("X" * 26)
    assert caught.value.field == "order_number"


def test_field_path_reads_like_the_file() -> None:
    assert field_path(("order_number", "steps", 2, "max_length", "length")) == (
        "order_number.steps[2].length"
    )
    assert field_path(("customer", "fields", "Nmae", "[key]")) == "customer.fields.Nmae"


def test_every_address_field_can_fill_a_customer_column() -> None:
    sources = set(get_args(FieldSpec.model_fields["source"].annotation))
    assert sources == {*ADDRESS_FIELDS, "name"}


@pytest.mark.parametrize("column", ["Name", "Addr1", "Addr2", "City", "State", "Zip", "Country"])
def test_customer_lengths_also_fit_the_order_bill_and_ship_columns(column: str) -> None:
    # One set of length rules serves Customer, SOHeader.Bill* and SOHeader.Ship*.
    length = sl.Customer.c[column].type.length
    assert sl.SOHeader.c[f"Bill{column}"].type.length == length
    assert sl.SOHeader.c[f"Ship{column}"].type.length == length


def payload(**extra: Any) -> dict[str, Any]:
    return {
        "id": "7000000000000000000009",
        "status": "AUTHORIZED",
        "submitTimeUtc": "2026-05-15T14:03:00Z",
        "clientReferenceInformation": {"code": "WEB-9"},
        **extra,
    }


def test_payment_event_reads_the_decision_of_transaction_details() -> None:
    details = TransactionDetails.model_validate(
        payload(
            status="AUTHORIZED_PENDING_REVIEW",
            submitTimeUTC="2026-05-15T14:03:00Z",
            riskInformation={"profile": {"name": "default", "decision": "ACCEPT"}},
            processorInformation={"approvalCode": "831000"},
            orderInformation={"amountDetails": {"authorizedAmount": "12.50", "currency": "usd"}},
        )
    )
    data = details.model_dump(by_alias=True, exclude_none=True, mode="json")

    event = mapping_with().payment_from_cybersource(data)

    assert (event.status, event.decision, event.auth_code) == (
        "AUTHORIZED_PENDING_REVIEW",
        "ACCEPT",
        "831000",
    )
    assert event.amount == Money.of("12.50", "USD")
    assert event.order_number == "WEB-9"
    assert mapping_with().harmonize(event.status, event.decision).label == "Open"


@pytest.mark.parametrize(
    ("block", "key", "operation"),
    [
        ("refundAmountDetails", "refundAmount", "refund"),
        ("reversalAmountDetails", "reversedAmount", "reversal"),
        ("voidAmountDetails", "voidAmount", "void"),
    ],
)
def test_payment_event_reads_each_operations_amount(block: str, key: str, operation: Any) -> None:
    data = payload(**{block: {key: "7.25", "currency": "EUR"}})

    event = mapping_with().payment_from_cybersource(data, operation)

    assert event.amount == Money.of("7.25", "EUR")
    assert event.key == f"7000000000000000000009:{operation}"


def test_payment_without_id_refused() -> None:
    with pytest.raises(ValidationError, match="id: missing"):
        mapping_with().payment_from_cybersource({"status": "AUTHORIZED"})


def test_so_change_harmonizes_an_order_sl_already_holds() -> None:
    event = PaymentEvent("7000000000000000000009", "REJECTED", NOW, operation="decision")

    change = so_change(event, "000123", mapping_with())

    assert (change.key, change.ord_nbr) == ("7000000000000000000009:decision", "000123")
    assert (change.admin_hold, change.cancelled, change.label) == (False, True, "Cancelled")
    assert change.when == date(2026, 5, 15)
    assert change.auth_nbr is None


def test_authorization_code_longer_than_authnbr_refused() -> None:
    m = mapping_with()
    order = m.order_from_intake(
        {
            "order_number": "WEB-9",
            "currency": "USD",
            "total": "10.00",
            "payment_id": "7000000000000000000009",
            "customer": {"id": "C00001"},
            "lines": [{"sku": "A", "quantity": "1", "unit_price": "10.00"}],
        }
    )
    event = PaymentEvent("7000000000000000000009", "AUTHORIZED", NOW, auth_code="9" * 21)
    lookups = Lookups(FakeDirectory([customer("C00001")]), FakeRates(), "USD")

    with pytest.raises(ValidationError) as caught:
        so_document(order, event, m, lookups)

    assert caught.value.field == "processorInformation.approvalCode"


def test_transient_token_kept_out_of_the_order_repr() -> None:
    order = mapping_with().order_from_intake(
        {
            "order_number": "WEB-9",
            "currency": "USD",
            "total": "0.00",
            "transient_token": "eyJ.secret.token",
        }
    )
    assert order.transient_token == "eyJ.secret.token"
    assert "secret" not in repr(order)


def test_fixed_rates_take_the_latest_effective_row() -> None:
    m = mapping_with(
        {
            "currency": {
                "sources": ["fixed"],
                "fixed_rates": [
                    {"from": "CAD", "to": "USD", "rate": "0.70", "effective": "2026-01-01"},
                    {"from": "CAD", "to": "USD", "rate": "0.75", "effective": "2026-05-01"},
                ],
            }
        }
    )

    early, used_early = m.convert(Money.of("100.00", "CAD"), "USD", date(2026, 4, 30))
    late, used_late = m.convert(Money.of("100.00", "CAD"), "USD", date(2026, 5, 1))

    assert (early, used_early.rate) == (Money.of("70.00", "USD"), Decimal("0.70"))
    assert (late, used_late.rate) == (Money.of("75.00", "USD"), Decimal("0.75"))
