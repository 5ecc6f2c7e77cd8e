"""Golden tests: every mapping rule, input JSON → expected output JSON.

Each folder under tests/unit/golden/mapping/ is one rule; each ``<case>.input.json`` there is
run through that rule with the packaged default mapping (plus the case's ``mapping`` overlay)
and compared with ``<case>.expected.json``. A refusal is expected as
``{"error": {"field": ..., "message": ...}}`` so that the field named is part of the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from test_mapping_support import (
    FakeRates,
    cases,
    directory_from,
    jsonable,
    mapping_with,
    read_case,
)

from slpay.connectors.cybersource.models.tss import TransactionDetails
from slpay.domain.money import Money
from slpay.errors import ValidationError
from slpay.mapping.dates import parse_time
from slpay.mapping.document import Lookups, so_document


def run_status(given: dict[str, Any]) -> Any:
    m = mapping_with(given.get("mapping"))
    return jsonable(m.harmonize(given.get("status"), given.get("decision")))


def run_order_number(given: dict[str, Any]) -> Any:
    m = mapping_with(given.get("mapping"))
    found = m.order_number_of(given["payload"])
    return {"found": found, "sl_field": m.order_number.target, "sl_value": m.sl_order_number(found)}


def run_customer(given: dict[str, Any]) -> Any:
    m = mapping_with(given.get("mapping"))
    directory = directory_from(given.get("directory"))
    match = m.match_customer(m.order_from_intake(given["order"]), directory)
    return {
        "how": match.how,
        "rule": match.rule,
        "ref": jsonable(match.ref),
        "asked": directory.asked,
    }


def run_dates(given: dict[str, Any]) -> Any:
    m = mapping_with(given.get("mapping"))
    if "payload" in given:
        moment = m.payment_from_cybersource(given["payload"]).submitted_at
    else:
        naive = m.business_zone if m.naive_times == "business_timezone" else None
        moment = parse_time(given["time"], field="time", naive_zone=naive)
    return {"utc": moment.isoformat(), "sl_date": m.sl_date(moment).isoformat()}


def run_currency(given: dict[str, Any]) -> Any:
    m = mapping_with(given.get("mapping"))
    money = Money(Decimal(given["amount"]), given["currency"])
    on = date.fromisoformat(given["on"])
    converted, used = m.convert(money, given["to"], on, FakeRates(given.get("rates")))
    return {"converted": jsonable(converted), "rate": jsonable(used)}


def _order(m: Any, given: dict[str, Any]) -> Any:
    if "transaction" in given:
        return m.order_from_transaction(TransactionDetails.model_validate(given["transaction"]))
    return m.order_from_intake(given["order"])


def run_lines(given: dict[str, Any]) -> Any:
    m = mapping_with(given.get("mapping"))
    return jsonable(m.map_lines(_order(m, given)))


def run_orders(given: dict[str, Any]) -> Any:
    m = mapping_with(given.get("mapping"))
    return jsonable(_order(m, given))


def run_so_document(given: dict[str, Any]) -> Any:
    m = mapping_with(given.get("mapping"), **given.get("sl", {}))
    lookups = Lookups(
        directory_from(given.get("directory")),
        FakeRates(given.get("rates")),
        given.get("base_currency", "USD"),
    )
    payment = m.payment_from_cybersource(given["payment"], given.get("operation", "authorize"))
    doc = so_document(_order(m, given), payment, m, lookups)
    return jsonable(doc)


RULES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "status": run_status,
    "order_number": run_order_number,
    "customer": run_customer,
    "dates": run_dates,
    "currency": run_currency,
    "lines": run_lines,
    "orders": run_orders,
    "so_document": run_so_document,
}
CASES = [(rule, name) for rule in RULES for name in cases(rule)]


def test_every_rule_has_golden_cases() -> None:
    assert {rule for rule, _ in CASES} == set(RULES)


@pytest.mark.parametrize(("rule", "name"), CASES, ids=[f"{r}/{n}" for r, n in CASES])
def test_golden_case_output_matches_expected(rule: str, name: str) -> None:
    given, expected = read_case(rule, name)
    try:
        actual = RULES[rule](given)
    except ValidationError as exc:
        actual = {"error": {"field": exc.field, "message": exc.reason}}
    assert actual == expected
