"""Every request our connector builds validates against the official spec (closed, FACTS rules).

Each case builds a :class:`~slpay.connectors.cybersource.operations.Call` with the connector's
own request builders — the same object the client signs and sends, ``call.body`` being the
exact bytes — and checks: the method + path is an operation the spec or field map knows, the
body passes the closed request schema, and the query string uses only documented parameters
(and all required ones). The bytes actually put on the wire are checked again in
``test_spec_responses.py``, which records them at the transport during a real HTTP run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from _spec import Contract, describe, violations

from slpay.connectors.cybersource import operations as ops
from slpay.connectors.cybersource import requests as rq
from slpay.connectors.cybersource.models.common import Address, LineItem
from slpay.connectors.cybersource.models.notifications import WebhookRetryPolicy
from slpay.connectors.cybersource.models.payments import (
    AuthorizationOptions,
    BuyerInformation,
    DeviceInformation,
    Initiator,
)
from slpay.domain.money import Money

USD = Money.of("25.00", "USD")
PART = Money.of("10.00", "USD")
# Token ids shaped like real ones (the spec has length limits: instrument identifiers ≥ 12).
CUSTOMER = "AB695DA801DD1BB6E05341588E0A3BDC"
INSTRUMENT = "AB6A54B982A6FCB6E05341588E0A3935"
IDENTIFIER = "7010000000016241111"
PAYMENT_ID = "7000000000000000000001"
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 2, tzinfo=UTC)
BILL_TO = Address(
    first_name="Ada",
    last_name="Lovelace",
    address1="1 London Bridge",
    locality="London",
    postal_code="SE1 9BG",
    country="GB",
    email="ada@example.com",
    phone_number="+442071234567",
)
LINES = [
    LineItem(product_code="default", product_name="Widget", product_sku="W-1", quantity=2,
             unit_price=PART.amount, total_amount=Money.of("20.00", "USD").amount),
]  # fmt: skip


def _authorize(**kw: Any) -> ops.Call[Any]:
    return ops.authorize(rq.build_authorize_request(USD, code="SO-1001", **kw))


CASES: dict[str, Callable[[], ops.Call[Any]]] = {
    "authorize with a customer token, billTo, lines, MDD": lambda: _authorize(
        customer_id=CUSTOMER,
        bill_to=BILL_TO,
        ship_to=BILL_TO,
        line_items=LINES,
        merchant_defined={1: "web", 2: "priority"},
        commerce_indicator="internet",
        buyer=BuyerInformation(merchant_customer_id="CUST-9"),
        device=DeviceInformation(ip_address="192.0.2.1", fingerprint_session_id="fp-1"),
    ),
    "sale (authorize + capture) with a payment instrument": lambda: _authorize(
        payment_instrument_id=INSTRUMENT, capture=True
    ),
    "authorize with an instrument identifier and expiry": lambda: _authorize(
        instrument_identifier_id=IDENTIFIER, expiration_month="12", expiration_year="2031"
    ),
    "authorize with a Microform transient token and TOKEN_CREATE": lambda: _authorize(
        transient_token="eyJ.transient.token",
        action_list=["TOKEN_CREATE"],
        action_token_types=["customer", "paymentInstrument", "instrumentIdentifier"],
    ),
    "merchant-initiated authorize on a stored credential": lambda: _authorize(
        customer_id=CUSTOMER,
        authorization_options=AuthorizationOptions(
            initiator=Initiator(type="merchant", stored_credential_used=True)
        ),
    ),
    "capture": lambda: ops.capture(PAYMENT_ID, rq.build_capture_request(USD, code="SO-1001")),
    "partial capture 1 of 2 with lines": lambda: ops.capture(
        PAYMENT_ID,
        rq.build_capture_request(PART, code="SO-1001", sequence=(1, 2), line_items=LINES),
    ),
    "refund of a payment": lambda: ops.refund_payment(
        PAYMENT_ID, rq.build_refund_request(PART, code="SO-1001", reason="returned")
    ),
    "refund of a capture": lambda: ops.refund_capture(
        PAYMENT_ID, rq.build_refund_request(PART, code="CM-7", transaction_id="cm-7-refund")
    ),
    "reversal": lambda: ops.reverse(PAYMENT_ID, rq.build_reversal_request(USD, code="SO-1001")),
    "void of a payment": lambda: ops.void(
        "payments", PAYMENT_ID, rq.build_void_request(code="SO-1")
    ),
    "void of a capture": lambda: ops.void(
        "captures", PAYMENT_ID, rq.build_void_request(code="SO-1")
    ),
    "void of a refund": lambda: ops.void("refunds", PAYMENT_ID, rq.build_void_request(code="SO-1")),
    "timeout reversal": lambda: ops.timeout_reversal(
        rq.build_timeout_reversal_request("lost-auth-1", USD, code="SO-1001")
    ),
    "timeout void": lambda: ops.timeout_void(rq.build_timeout_void_request("lost-cap-1")),
    "transaction details": lambda: ops.get_transaction("7000000000000000000001"),
    "transaction search": lambda: ops.search(
        rq.build_search_request("clientReferenceInformation.code:SO-1001", limit=50)
    ),
    "DM accept + capture": lambda: ops.decision_action(
        PAYMENT_ID, rq.build_decision_action_request(accept=True, comments="looks fine")
    ),
    "DM reject + reverse": lambda: ops.decision_action(
        PAYMENT_ID, rq.build_decision_action_request(accept=False)
    ),
    "TMS create customer": lambda: ops.create_customer(
        rq.build_customer_request(
            merchant_customer_id="CUST-9",
            email="ada@example.com",
            code="CUST-9",
            merchant_defined={"data1": "gold"},
            title="Ada",
        )
    ),
    "TMS get customer": lambda: ops.get_customer(CUSTOMER),
    "TMS delete customer": lambda: ops.delete_customer(CUSTOMER),
    "TMS customer payment instrument": lambda: ops.create_customer_payment_instrument(
        CUSTOMER,
        rq.build_payment_instrument_request(
            instrument_identifier_id=IDENTIFIER,
            expiration_month="12",
            expiration_year="2031",
            card_type="001",
            bill_to=BILL_TO,
            default=True,
        ),
    ),
    "TMS list customer payment instruments": lambda: ops.list_customer_payment_instruments(
        CUSTOMER
    ),
    "TMS get customer payment instrument": lambda: ops.get_customer_payment_instrument(
        CUSTOMER, INSTRUMENT
    ),
    "TMS stand-alone payment instrument": lambda: ops.create_payment_instrument(
        rq.build_payment_instrument_request(
            instrument_identifier_id=IDENTIFIER, expiration_month="12", expiration_year="2031"
        )
    ),
    "TMS get payment instrument": lambda: ops.get_payment_instrument(INSTRUMENT),
    "TMS instrument identifier": lambda: ops.create_instrument_identifier(
        rq.build_instrument_identifier_request("4111111111111111")
    ),
    "TMS get instrument identifier": lambda: ops.get_instrument_identifier(IDENTIFIER),
    "net fundings": lambda: ops.net_fundings(START, END, group_name="default"),
    "payment batch summaries": lambda: ops.payment_batch_summaries(START, END, roll_up="daily"),
    "report download": lambda: ops.download_report(date(2026, 1, 2), "PaymentBatchDetailReport"),
    "chargeback details": lambda: ops.chargeback_details(START, END),
    "webhook key": lambda: ops.create_webhook_key(rq.build_webhook_key_request("slpay_demo")),
    "webhook subscription": lambda: ops.create_webhook(
        rq.build_webhook_request(
            webhook_url="https://hub.example.com/webhooks/cybersource",
            products={"cardProcessing": ["payments.captures.accept"]},
            organization_id="slpay_demo",
            name="slpay",
            health_check_url="https://hub.example.com/health",
            retry_policy=WebhookRetryPolicy(algorithm="ARITHMETIC", first_retry=1, interval=1),
        )
    ),
    "webhook list": lambda: ops.list_webhooks("slpay_demo", product_id="cardProcessing"),
    "webhook get": lambda: ops.get_webhook("W1"),
    "webhook delete": lambda: ops.delete_webhook("W1"),
}


def test_buyer_information_carries_no_email_field(contract: Contract) -> None:
    """Neither the 2020 spec nor SDK 0.0.80 has ``buyerInformation.email`` on a payment: the
    buyer's e-mail goes in ``orderInformation.billTo.email`` (FACTS §3.2). The connector's
    ``BuyerInformation`` model accepts ``email`` and must never serialize it there."""
    call = _authorize(customer_id=CUSTOMER, buyer=BuyerInformation(email="ada@example.com"))
    problems = check_request(contract, call.method, call.path, call.body)
    assert not problems, describe(problems)


def check_request(contract: Contract, method: str, target: str, body: bytes | None) -> list[str]:
    """Problems with one request as sent: unknown operation, body or query string."""
    op = contract.operation(method, target)
    problems: list[str] = []
    if body is not None:
        document = json.loads(body)
        problems += violations(contract.request_validator(method, target), document)
    elif op.body_schemas() != (None, None) and method in ("POST", "PUT", "PATCH"):
        problems.append("no body, but the operation documents one")
    sent = {name for name, _ in parse_qsl(urlsplit(target).query, keep_blank_values=True)}
    known, required = op.query_names()
    problems += [f"undocumented query parameter {n!r}" for n in sorted(sent - known)]
    problems += [f"missing required query parameter {n!r}" for n in sorted(required - sent)]
    return problems


@pytest.mark.parametrize("case", sorted(CASES))
def test_connector_request_matches_the_official_spec(contract: Contract, case: str) -> None:
    call = CASES[case]()
    problems = check_request(contract, call.method, call.path, call.body)
    assert not problems, f"{call.method} {call.path}: " + describe(problems)


def test_the_request_check_rejects_an_undocumented_query_parameter(contract: Contract) -> None:
    target = "/reporting/v3/net-fundings?startTime=a&endTime=b&currency=USD"
    assert check_request(contract, "GET", target, None) == [
        "undocumented query parameter 'currency'"
    ]


def test_the_request_check_rejects_a_missing_required_query_parameter(contract: Contract) -> None:
    problems = check_request(contract, "GET", "/reporting/v3/net-fundings?startTime=a", None)
    assert problems == ["missing required query parameter 'endTime'"]
