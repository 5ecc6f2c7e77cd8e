"""The contract validators have teeth: a stub, an echo or a sloppy body cannot pass them.

These tests pin the validator itself (built from the official 2020 spec + the SDK 0.0.80 field
map, closed, with FACTS' essential fields and status lists) before it is trusted to judge the
connector's requests and the sandbox's responses.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from _closed_schema import closed_union
from _spec import Contract, normalise_path, violations

AUTHORIZED: dict[str, Any] = {
    "_links": {"self": {"href": "/pts/v2/payments/7000000000000000000001", "method": "GET"}},
    "id": "7000000000000000000001",
    "submitTimeUtc": "2026-01-01T00:00:00Z",
    "status": "AUTHORIZED",
    "reconciliationId": "ABC123",
    "clientReferenceInformation": {"code": "ORDER-1"},
    "orderInformation": {"amountDetails": {"authorizedAmount": "10.00", "currency": "USD"}},
    "processorInformation": {"approvalCode": "123456", "avs": {"code": "Y"}},
}
INVALID_400: dict[str, Any] = {
    "submitTimeUtc": "2026-01-01T00:00:00Z",
    "status": "INVALID_REQUEST",
    "reason": "MISSING_FIELD",
    "message": "Declined - The request is missing one or more fields",
    "details": [{"field": "orderInformation.amountDetails.totalAmount", "reason": "MISSING_FIELD"}],
}
CAPTURE_REQUEST: dict[str, Any] = {
    "clientReferenceInformation": {"code": "ORDER-1", "transactionId": "t-1"},
    "orderInformation": {"amountDetails": {"totalAmount": "10.00", "currency": "USD"}},
}


def _payment_201(contract: Contract, body: object) -> list[str]:
    return violations(contract.response_validator("POST", "/pts/v2/payments", 201), body)


def test_a_realistic_authorization_is_accepted(contract: Contract) -> None:
    assert _payment_201(contract, AUTHORIZED) == []


def test_an_empty_body_fails_the_payment_response(contract: Contract) -> None:
    problems = _payment_201(contract, {})
    assert any("'id' is a required property" in p for p in problems)
    assert any("'status' is a required property" in p for p in problems)


def test_an_unknown_property_is_rejected_at_the_top_and_nested(contract: Contract) -> None:
    body = copy.deepcopy(AUTHORIZED)
    body["surprise"] = 1
    body["orderInformation"]["amountDetails"]["grossAmount"] = "10.00"
    problems = _payment_201(contract, body)
    assert any("'surprise' was unexpected" in p for p in problems)
    assert any("'grossAmount' was unexpected" in p for p in problems)


def test_an_integer_amount_is_rejected(contract: Contract) -> None:
    body = copy.deepcopy(AUTHORIZED)
    body["orderInformation"]["amountDetails"]["authorizedAmount"] = 10
    assert any("is not of type 'string'" in p for p in _payment_201(contract, body))


@pytest.mark.parametrize(
    "path", ["id", "submitTimeUtc", "status", "clientReferenceInformation.code", "reconciliationId"]
)
def test_each_essential_field_of_an_authorization_is_required(
    contract: Contract, path: str
) -> None:
    body = copy.deepcopy(AUTHORIZED)
    *parents, leaf = path.split(".")
    node = body
    for name in parents:
        node = node[name]
    del node[leaf]
    assert _payment_201(contract, body) != []


def test_an_unknown_status_value_is_rejected(contract: Contract) -> None:
    body = dict(AUTHORIZED, status="APPROVED")
    assert any("'APPROVED' is not one of" in p for p in _payment_201(contract, body))


def test_a_decline_needs_its_reason_but_no_amount(contract: Contract) -> None:
    decline = {k: AUTHORIZED[k] for k in ("id", "submitTimeUtc", "clientReferenceInformation")}
    decline["status"] = "DECLINED"
    assert any("errorInformation" in p for p in _payment_201(contract, decline))
    decline["errorInformation"] = {"reason": "PROCESSOR_DECLINED", "message": "Declined"}
    assert _payment_201(contract, decline) == []
    decline["errorInformation"]["reason"] = "NOPE"
    assert any("'NOPE' is not one of" in p for p in _payment_201(contract, decline))


def test_a_field_only_the_newer_sdk_knows_is_allowed(contract: Contract) -> None:
    body = copy.deepcopy(AUTHORIZED)
    body["paymentInsightsInformation"] = {
        "responseInsights": {"category": "ISSUER_WILL_NEVER_APPROVE", "categoryCode": "01"}
    }
    assert _payment_201(contract, body) == []


def test_a_400_is_checked_against_the_facts_reason_list(contract: Contract) -> None:
    validator = contract.response_validator("POST", "/pts/v2/payments/123/captures", 400)
    assert violations(validator, INVALID_400) == []
    assert violations(validator, dict(INVALID_400, reason="OOPS")) != []
    assert violations(validator, dict(INVALID_400, status="DECLINED")) != []
    no_message = {k: v for k, v in INVALID_400.items() if k != "message"}
    assert any("'message' is a required property" in p for p in violations(validator, no_message))
    bad_detail = dict(INVALID_400, details=[{"field": "x", "reason": "WRONG"}])
    assert violations(validator, bad_detail) != []


def test_a_sandbox_that_echoes_the_request_cannot_pass(contract: Contract) -> None:
    validator = contract.response_validator("POST", "/pts/v2/payments/123/captures", 201)
    assert violations(validator, CAPTURE_REQUEST) != []


def test_a_capture_request_needs_a_transaction_id_and_a_string_amount(
    contract: Contract,
) -> None:
    validator = contract.request_validator("POST", "/pts/v2/payments/123/captures")
    assert violations(validator, CAPTURE_REQUEST) == []
    missing = copy.deepcopy(CAPTURE_REQUEST)
    del missing["clientReferenceInformation"]["transactionId"]
    assert violations(validator, missing) != []
    for bad in (10, "-10.00", "10,00", "$10"):
        body = copy.deepcopy(CAPTURE_REQUEST)
        body["orderInformation"]["amountDetails"]["totalAmount"] = bad
        assert violations(validator, body) != [], bad


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/pts/v2/payments", 201),
        ("POST", "/pts/v2/payments/1/captures", 201),
        ("POST", "/pts/v2/payments/1/refunds", 201),
        ("POST", "/pts/v2/captures/1/refunds", 201),
        ("POST", "/pts/v2/payments/1/reversals", 201),
        ("POST", "/pts/v2/payments/1/voids", 201),
        ("POST", "/pts/v2/reversals", 201),
        ("POST", "/pts/v2/voids", 201),
        ("POST", "/pts/v2/payments", 400),
        ("POST", "/pts/v2/payments", 502),
        ("GET", "/tss/v2/transactions/1", 200),
        ("POST", "/tss/v2/searches", 201),
        ("POST", "/tms/v2/customers", 201),
        ("GET", "/tms/v2/customers/C1", 200),
        ("POST", "/tms/v1/instrumentidentifiers", 201),
        ("POST", "/tms/v2/customers/C1/payment-instruments", 201),
        ("POST", "/risk/v1/decisions/1/actions", 201),
        ("GET", "/reporting/v3/net-fundings", 200),
        ("GET", "/reporting/v3/payment-batch-summaries", 200),
        ("GET", "/reporting/v3/chargeback-details", 200),
        ("POST", "/kms/egress/v2/keys-sym", 201),
        ("POST", "/notification-subscriptions/v2/webhooks", 201),
    ],
)
def test_an_empty_object_fails_every_response_we_check(
    contract: Contract, method: str, path: str, status: int
) -> None:
    assert violations(contract.response_validator(method, path, status), {}) != []


def test_path_names_are_normalised_to_todays_names() -> None:
    assert normalise_path("/pts/v2/reversals/") == "/pts/v2/reversals"
    assert (
        normalise_path(
            "/tms/v2/customers/{customerTokenId}/payment-instruments/{paymentInstrumentTokenId}"
        )
        == "/tms/v2/customers/{customerId}/payment-instruments/{paymentInstrumentId}"
    )


def test_operations_join_both_sources_or_fall_back_to_the_field_map(contract: Contract) -> None:
    assert contract.operation("POST", "/pts/v2/reversals").sources == "spec+field-map"
    assert (
        contract.operation("GET", "/tms/v2/customers/ABC").template
        == "/tms/v2/customers/{customerId}"
    )
    assert contract.operation("GET", "/tms/v2/customers/ABC").sources == "spec+field-map"
    hooks = contract.operation("GET", "/notification-subscriptions/v2/webhooks?organizationId=x")
    assert hooks.sources == "field-map"
    with pytest.raises(KeyError):
        contract.operation("POST", "/pts/v2/bogus")
    with pytest.raises(KeyError):
        contract.response_validator("POST", "/pts/v2/payments", 418)


def _no_refs(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    return schema


def test_closed_union_keeps_both_sides_and_closes_the_object() -> None:
    spec = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 3}}}
    fmap = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "boolean"}},
    }
    merged = closed_union(spec, fmap, _no_refs)
    assert merged["additionalProperties"] is False
    assert set(merged["properties"]) == {"a", "b", "c"}
    assert merged["properties"]["a"] == {"type": "string", "maxLength": 3}  # the spec's limits
    assert merged["properties"]["b"] == {"type": "integer"}  # the field map's own subschema


def test_closed_union_accepts_either_type_where_the_sources_disagree() -> None:
    merged = closed_union({"type": "boolean"}, {"type": "string"}, _no_refs)
    assert merged["type"] == ["boolean", "string"]
