"""Request builders produce exactly the JSON Cybersource expects (FACTS §3.2, §4-§6, §8.1)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from slpay.connectors.cybersource import operations as ops
from slpay.connectors.cybersource import requests as rq
from slpay.connectors.cybersource.models.common import Address, LineItem, to_json
from slpay.connectors.cybersource.models.payments import BuyerInformation, PaymentInformation
from slpay.connectors.cybersource.models.tss import query
from slpay.domain.money import Money
from slpay.errors import ValidationError

USD10 = Money.of("10.00", "USD")


def body(call: ops.Call[Any]) -> dict[str, Any]:
    assert call.body is not None
    return json.loads(call.body)  # type: ignore[no-any-return]


def test_authorize_body_is_compact_with_amounts_as_strings() -> None:
    request = rq.build_authorize_request(
        USD10, code="ORDER-1", transaction_id="tx1", transient_token="eyJhbGciOi.x.y"
    )
    call = ops.authorize(request)
    assert call.method == "POST"
    assert call.path == "/pts/v2/payments"
    assert call.body == (
        b'{"clientReferenceInformation":{"code":"ORDER-1","transactionId":"tx1"},'
        b'"tokenInformation":{"transientTokenJwt":"eyJhbGciOi.x.y"},'
        b'"orderInformation":{"amountDetails":{"totalAmount":"10.00","currency":"USD"}}}'
    )
    assert call.money_moving
    assert call.resolution == "reverse"


def test_sale_sets_capture_and_resolves_by_void_then_reversal() -> None:
    call = ops.authorize(
        rq.build_authorize_request(USD10, code="O", customer_id="C1", capture=True)
    )
    assert body(call)["processingInformation"] == {"capture": True}
    assert call.resolution == "void_reverse"


def test_token_payment_with_bill_to_line_items_and_merchant_defined_data() -> None:
    request = rq.build_authorize_request(
        Money.of("1234.5", "USD"),
        code="SO-77",
        customer_id="CUST",
        payment_instrument_id="PI",
        bill_to=Address(first_name="Ada", address1="1 London Bridge", country="GB"),
        line_items=[LineItem(product_sku="SKU-1", quantity=2, unit_price=Decimal("617.25"))],
        merchant_defined={1: "web", 2: "B2B"},
    )
    sent = body(ops.authorize(request))
    assert sent["paymentInformation"] == {
        "customer": {"id": "CUST"},
        "paymentInstrument": {"id": "PI"},
    }
    assert sent["orderInformation"] == {
        "amountDetails": {"totalAmount": "1234.50", "currency": "USD"},
        "billTo": {"firstName": "Ada", "address1": "1 London Bridge", "country": "GB"},
        "lineItems": [{"productSku": "SKU-1", "quantity": 2, "unitPrice": "617.25"}],
    }
    assert sent["merchantDefinedInformation"] == [
        {"key": "1", "value": "web"},
        {"key": "2", "value": "B2B"},
    ]


def test_instrument_identifier_payment_carries_expiry_but_no_card_number() -> None:
    request = rq.build_authorize_request(
        USD10,
        code="O",
        instrument_identifier_id="7010000000016241111",
        expiration_month="12",
        expiration_year="2031",
    )
    assert body(ops.authorize(request))["paymentInformation"] == {
        "instrumentIdentifier": {"id": "7010000000016241111"},
        "card": {"expirationMonth": "12", "expirationYear": "2031"},
    }


def test_payment_information_refuses_a_raw_card_number() -> None:
    with pytest.raises(pydantic.ValidationError):
        PaymentInformation.model_validate({"card": {"number": "4111111111111111"}})


def test_a_payment_needs_a_token() -> None:
    with pytest.raises(ValidationError) as info:
        rq.build_authorize_request(USD10, code="O")
    assert info.value.field == "payment"


def test_buyer_email_is_sent_in_bill_to_not_buyer_information() -> None:
    request = rq.build_authorize_request(
        USD10,
        code="O",
        customer_id="C",
        buyer=BuyerInformation(merchant_customer_id="42", email="ada@example.com"),
    )
    sent = body(ops.authorize(request))
    assert sent["buyerInformation"] == {"merchantCustomerId": "42"}
    assert sent["orderInformation"]["billTo"] == {"email": "ada@example.com"}


def test_transaction_id_is_generated_unique_and_within_30_characters() -> None:
    ids = {rq.build_void_request().client_reference_information.transaction_id for _ in range(50)}
    assert len(ids) == 50
    assert all(i is not None and 0 < len(i) <= 30 for i in ids)


def test_too_long_references_are_refused() -> None:
    with pytest.raises(ValidationError):
        rq.build_void_request(transaction_id="x" * 31)
    with pytest.raises(ValidationError):
        rq.build_capture_request(USD10, code="x" * 51)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValidationError):
        rq.build_refund_request(Money.of("-1.00", "USD"))


def test_zero_decimal_currency_amount_has_no_fraction() -> None:
    sent = body(ops.capture("1", rq.build_capture_request(Money.of("1500", "JPY"))))
    assert sent["orderInformation"] == {"amountDetails": {"totalAmount": "1500", "currency": "JPY"}}


def test_partial_capture_carries_sequence_options() -> None:
    request = rq.build_capture_request(USD10, code="O", transaction_id="t", sequence=(1, 2))
    call = ops.capture("6000000000000000000001", request)
    assert call.path == "/pts/v2/payments/6000000000000000000001/captures"
    assert body(call)["processingInformation"] == {
        "captureOptions": {"captureSequenceNumber": 1, "totalCaptureCount": 2}
    }
    assert call.resolution == "void"


def test_refund_paths_for_payment_and_capture() -> None:
    request = rq.build_refund_request(USD10, code="O")
    assert ops.refund_payment("P1", request).path == "/pts/v2/payments/P1/refunds"
    assert ops.refund_capture("C1", request).path == "/pts/v2/captures/C1/refunds"


def test_reversal_body_uses_reversal_information() -> None:
    call = ops.reverse("P1", rq.build_reversal_request(USD10, transaction_id="t", reason="cancel"))
    assert body(call) == {
        "clientReferenceInformation": {"transactionId": "t"},
        "reversalInformation": {
            "amountDetails": {"totalAmount": "10.00", "currency": "USD"},
            "reason": "cancel",
        },
    }
    assert call.resolution == "search"


def test_timeout_reversal_and_void_use_current_paths_and_the_same_transaction_id() -> None:
    rev = ops.timeout_reversal(rq.build_timeout_reversal_request("abc", USD10))
    void = ops.timeout_void(rq.build_timeout_void_request("abc"))
    assert (rev.path, void.path) == ("/pts/v2/reversals", "/pts/v2/voids")
    assert body(void) == {"clientReferenceInformation": {"transactionId": "abc"}}
    assert rev.transaction_id == "abc"
    assert rev.resolution is None
    assert rev.money_moving


@pytest.mark.parametrize(
    ("kind", "operation"),
    [("payments", "void_payment"), ("captures", "void_capture"), ("refunds", "void_refund")],
)
def test_void_paths(kind: ops.VoidTarget, operation: str) -> None:
    call = ops.void(kind, "X1", rq.build_void_request(code="O"))
    assert call.path == f"/pts/v2/{kind}/X1/voids"
    assert call.operation == operation


def test_ids_cannot_change_the_path() -> None:
    call = ops.get_transaction("../../reporting/v3/net-fundings")
    assert call.path == "/tss/v2/transactions/..%2F..%2Freporting%2Fv3%2Fnet-fundings"


def test_search_request_defaults_and_limits() -> None:
    call = ops.search(rq.build_search_request(query(transaction_id="abc")))
    assert body(call) == {
        "save": False,
        "query": "clientReferenceInformation.transactionId:abc",
        "offset": 0,
        "limit": 20,
        "sort": "submitTimeUtc:desc",
    }
    with pytest.raises(ValidationError):
        rq.build_search_request("id:1", limit=2501)


def test_query_quotes_values_that_need_it_and_ands_terms() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    q = query(code="SO 1", submitted=(start, start + timedelta(days=1)))
    assert q == (
        'clientReferenceInformation.code:"SO 1" AND '
        "submitTimeUtc:[2026-01-01T00:00:00Z TO 2026-01-02T00:00:00Z]"
    )
    with pytest.raises(ValueError, match="at least one term"):
        query()


def test_decision_actions_pair_accept_with_capture_and_reject_with_reverse() -> None:
    accept = rq.build_decision_action_request(accept=True, comments="ok")
    reject = rq.build_decision_action_request(accept=False)
    assert json.loads(to_json(accept)) == {
        "decisionInformation": {"decision": "ACCEPT", "comments": "ok"},
        "processingInformation": {"actionList": ["CAPTURE"]},
    }
    assert json.loads(to_json(reject)) == {
        "decisionInformation": {"decision": "REJECT"},
        "processingInformation": {"actionList": ["REVERSE"]},
    }
    assert ops.decision_action("T1", accept).path == "/risk/v1/decisions/T1/actions"


def test_instrument_identifier_number_is_masked_until_serialized_for_the_wire() -> None:
    request = rq.build_instrument_identifier_request("4111111111111111")
    assert "4111111111111111" not in repr(request)
    assert "4111111111111111" not in str(request.model_dump())
    assert json.loads(to_json(request)) == {"card": {"number": "4111111111111111"}}


def test_tms_customer_uses_tms_spellings() -> None:
    customer = rq.build_customer_request(
        merchant_customer_id="C-42", email="ada@example.com", merchant_defined={"data1": "x"}
    )
    assert json.loads(to_json(customer)) == {
        "buyerInformation": {"merchantCustomerID": "C-42", "email": "ada@example.com"},
        "merchantDefinedInformation": [{"name": "data1", "value": "x"}],
    }


def test_payment_instrument_refers_to_its_instrument_identifier() -> None:
    pi = rq.build_payment_instrument_request(
        instrument_identifier_id="II", expiration_month="12", expiration_year="2031"
    )
    call = ops.create_customer_payment_instrument("CUST", pi)
    assert call.path == "/tms/v2/customers/CUST/payment-instruments"
    assert body(call) == {
        "card": {"expirationMonth": "12", "expirationYear": "2031"},
        "instrumentIdentifier": {"id": "II"},
    }


def test_reporting_queries_use_utc_millisecond_times() -> None:
    tz = timezone(timedelta(hours=-6))
    call = ops.net_fundings(datetime(2026, 1, 1, 18, tzinfo=tz), datetime(2026, 1, 2, tzinfo=UTC))
    assert call.path == (
        "/reporting/v3/net-fundings?startTime=2026-01-02T00%3A00%3A00.000Z"
        "&endTime=2026-01-02T00%3A00%3A00.000Z"
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        ops.chargeback_details(datetime(2026, 1, 1), datetime(2026, 1, 2))  # noqa: DTZ001


def test_report_download_asks_for_csv_by_date_and_name() -> None:
    call = ops.download_report(date(2026, 3, 10), "Payment Batch Detail Report")
    assert call.path == (
        "/reporting/v3/report-downloads?reportDate=2026-03-10"
        "&reportName=Payment%20Batch%20Detail%20Report"
    )
    assert call.accept == "text/csv"


def test_webhook_key_and_subscription_requests() -> None:
    key = ops.create_webhook_key(rq.build_webhook_key_request("org1"))
    assert body(key) == {
        "clientRequestAction": "CREATE",
        "keyInformation": {
            "provider": "nrtd",
            "tenant": "org1",
            "keyType": "sharedSecret",
            "organizationId": "org1",
            "expiryDuration": "365",
        },
    }
    hook = ops.create_webhook(
        rq.build_webhook_request(
            webhook_url="https://hub.example/webhooks/cybersource",
            products={"cardProcessing": ["payments.captures.accept"]},
            organization_id="org1",
        )
    )
    assert body(hook) == {
        "organizationId": "org1",
        "products": [{"productId": "cardProcessing", "eventTypes": ["payments.captures.accept"]}],
        "webhookUrl": "https://hub.example/webhooks/cybersource",
        "securityPolicy": {"securityType": "key"},
    }
    listing = ops.list_webhooks("org1", product_id="cardProcessing")
    assert listing.path == (
        "/notification-subscriptions/v2/webhooks?organizationId=org1&productId=cardProcessing"
    )
