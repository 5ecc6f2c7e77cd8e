"""Transaction details read as a JSON document (the hub's enrichment): the same answer as the
typed read, nulls dropped, and anything but a JSON object refused as unreadable."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from test_cybersource_fakes import BASE_URL, HOST, KEY_ID, MERCHANT, SECRET_B64

from slpay.connectors.cybersource import CybersourceClient
from slpay.errors import PermanentError

DETAILS: dict[str, Any] = {
    "id": "7642912345678901234567",
    "rootId": "7642912345678901234567",
    "status": "PENDING",
    "buyerInformation": None,
    "orderInformation": {
        "amountDetails": {"totalAmount": "30.00", "currency": "USD", "taxAmount": None},
        "lineItems": [{"productSku": "SKU-1", "quantity": 2, "unitPrice": "10.00"}],
    },
    "merchantDefinedInformation": [{"key": "1", "value": "WEB-1"}],
}


def client_answering(body: bytes) -> CybersourceClient:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/tss/v2/transactions/7642912345678901234567"
        assert "signature" in request.headers  # signed like every other call
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return CybersourceClient(
        base_url=BASE_URL, host=HOST, merchant_id=MERCHANT, key_id=KEY_ID,
        shared_secret_b64=SECRET_B64, transport=httpx.MockTransport(handler),
    )  # fmt: skip


def test_the_document_is_the_typed_read_without_its_nulls() -> None:
    with client_answering(json.dumps(DETAILS).encode()) as cs:
        document = cs.get_transaction_document(DETAILS["id"])
        typed = cs.get_transaction(DETAILS["id"])
    assert "buyerInformation" not in document
    assert document["orderInformation"]["amountDetails"] == {
        "totalAmount": "30.00",
        "currency": "USD",
    }
    assert document == typed.model_dump(by_alias=True, exclude_none=True, mode="json")


def test_nulls_inside_lists_are_dropped_too() -> None:
    body = {**DETAILS, "merchantDefinedInformation": [None, {"key": "1", "value": None}]}
    with client_answering(json.dumps(body).encode()) as cs:
        document = cs.get_transaction_document(DETAILS["id"])
    assert document["merchantDefinedInformation"] == [{"key": "1"}]


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b'"a string"'])
def test_an_answer_that_is_not_a_json_object_is_unreadable(body: bytes) -> None:
    with client_answering(body) as cs, pytest.raises(PermanentError, match="unreadable"):
        cs.get_transaction_document(DETAILS["id"])
