"""The official Cybersource Python SDK (0.0.80) completes a payment lifecycle against our sandbox.

The SDK runs in its own virtualenv as a subprocess (``_sdk_runner``), configured with HTTP
Signature credentials, ``run_environment`` = ``apitest.cybersource.com`` (what it signs and
sends as ``Host``) and ``IntermediateHost`` = the sandbox's loopback URL (where it connects).
Its requests are built from the SDK's own model classes, and its responses deserialize into
the SDK's models: what a merchant's existing SDK code would see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _sdk_runner import run_sdk_steps, sdk_config, sdk_missing_reason

from slpay.sandbox.cybersource.server import SandboxHandle

pytestmark = [
    pytest.mark.sdk,
    pytest.mark.skipif(sdk_missing_reason() is not None, reason=sdk_missing_reason() or ""),
]

TEST_CARD = {"number": "4111111111111111", "expirationMonth": "12", "expirationYear": "2031"}


def _bill_to(line1: str) -> dict[str, str]:
    return {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "address1": line1,
        "locality": "London",
        "postalCode": "SE1 9RA",
        "country": "GB",
        "email": "ada@example.com",
    }


def _payment(code: str, amount: str, payment: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "clientReferenceInformation": {"code": code, "transactionId": f"sdk-{code}"},
        "paymentInformation": payment,
        "orderInformation": {
            "amountDetails": {"totalAmount": amount, "currency": "USD"},
            "billTo": _bill_to(extra.pop("line1", "1 London Bridge")),
        },
    }
    body.update(extra)
    return body


def _step(name: str, api: str, call: str, args: list[Any], **kw: Any) -> dict[str, Any]:
    return {"name": name, "api": api, "call": call, "args": args, **kw}


TOKEN = {
    "instrumentIdentifier": {"id": "${tokenize.id}"},
    "card": {"expirationMonth": "12", "expirationYear": "2031"},
}
CAPTURE = {
    "clientReferenceInformation": {"code": "SDK-1", "transactionId": "sdk-cap-1"},
    "orderInformation": {"amountDetails": {"totalAmount": "25.00", "currency": "USD"}},
}
REFUND = {
    "clientReferenceInformation": {"code": "SDK-1", "transactionId": "sdk-ref-1"},
    "orderInformation": {"amountDetails": {"totalAmount": "4.00", "currency": "USD"}},
}
STEPS = [
    _step("tokenize", "InstrumentIdentifierApi", "post_instrument_identifier", ["$body"],
          model="PostInstrumentIdentifierRequest", body={"card": {"number": TEST_CARD["number"]}}),
    _step("authorize", "PaymentsApi", "create_payment", ["$body"],
          model="CreatePaymentRequest", body=_payment("SDK-1", "25.00", TOKEN)),
    _step("capture", "CaptureApi", "capture_payment", ["$body", "${authorize.id}"],
          model="CapturePaymentRequest", body=CAPTURE),
    _step("refund", "RefundApi", "refund_capture", ["$body", "${capture.id}"],
          model="RefundCaptureRequest", body=REFUND),
    _step("details", "TransactionDetailsApi", "get_transaction", ["${authorize.id}"]),
    _step("sale", "PaymentsApi", "create_payment", ["$body"], model="CreatePaymentRequest",
          body=_payment("SDK-2", "30.00", {"card": TEST_CARD},
                        processingInformation={"capture": True})),
    _step("decline", "PaymentsApi", "create_payment", ["$body"], model="CreatePaymentRequest",
          body=_payment("SDK-3", "3001.00", {"card": TEST_CARD})),
    _step("review", "PaymentsApi", "create_payment", ["$body"], model="CreatePaymentRequest",
          body=_payment("SDK-4", "40.00", {"card": TEST_CARD}, line1="2 London Bridge")),
]  # fmt: skip


@pytest.fixture(scope="module")
def sdk_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sdk")


@pytest.fixture(scope="module")
def sdk_run(sandbox: SandboxHandle, sdk_workdir: Path) -> dict[str, Any]:
    """All steps in one SDK process (its import alone takes about a second)."""
    return run_sdk_steps(sdk_config(sandbox.base_url, sandbox.config), STEPS, sdk_workdir)


def _ok(result: dict[str, Any], model: str, status: str, http: int = 201) -> dict[str, Any]:
    assert "error" not in result, result.get("error")
    assert result["http_status"] == http
    assert result["model"] == model
    assert result["status"] == status
    data: dict[str, Any] = result["data"]
    return data


def test_sdk_tokenizes_a_card_in_tms_without_echoing_the_number(sdk_run: dict[str, Any]) -> None:
    result = sdk_run["tokenize"]
    assert "error" not in result, result.get("error")
    assert result["http_status"] in (200, 201)
    assert result["model"] == "PostInstrumentIdentifierRequest"  # the SDK's response type
    assert result["data"]["id"]
    assert result["data"]["state"] == "ACTIVE"
    assert TEST_CARD["number"] not in str(result["data"])


def test_sdk_authorizes_with_the_token(sdk_run: dict[str, Any]) -> None:
    data = _ok(sdk_run["authorize"], "PtsV2PaymentsPost201Response", "AUTHORIZED")
    assert data["order_information"]["amount_details"]["authorized_amount"] == "25.00"
    assert data["client_reference_information"]["code"] == "SDK-1"


def test_sdk_captures_the_authorization(sdk_run: dict[str, Any]) -> None:
    data = _ok(sdk_run["capture"], "PtsV2PaymentsCapturesPost201Response", "PENDING")
    assert data["order_information"]["amount_details"]["total_amount"] == "25.00"


def test_sdk_refunds_part_of_the_capture(sdk_run: dict[str, Any]) -> None:
    data = _ok(sdk_run["refund"], "PtsV2PaymentsRefundPost201Response", "PENDING")
    assert data["refund_amount_details"]["refund_amount"] == "4.00"


def test_sdk_reads_the_transaction_details(sdk_run: dict[str, Any]) -> None:
    data = _ok(sdk_run["details"], "TssV2TransactionsGet200Response", "AUTHORIZED", http=200)
    assert data["id"] == sdk_run["authorize"]["id"]
    assert data["client_reference_information"]["code"] == "SDK-1"


def test_sdk_authorizes_and_captures_in_one_call(sdk_run: dict[str, Any]) -> None:
    data = _ok(sdk_run["sale"], "PtsV2PaymentsPost201Response", "AUTHORIZED")
    assert data["order_information"]["amount_details"]["authorized_amount"] == "30.00"


def test_sdk_sees_a_decline_as_a_201_with_its_reason(sdk_run: dict[str, Any]) -> None:
    data = _ok(sdk_run["decline"], "PtsV2PaymentsPost201Response", "DECLINED")
    assert data["error_information"]["reason"] == "INSUFFICIENT_FUND"


def test_sdk_sees_a_decision_manager_review(sdk_run: dict[str, Any]) -> None:
    data = _ok(sdk_run["review"], "PtsV2PaymentsPost201Response", "AUTHORIZED_PENDING_REVIEW")
    assert data["error_information"]["reason"] == "DECISION_PROFILE_REVIEW"
    assert data["risk_information"]["score"]["result"]


def test_sdk_writes_no_log_files(sdk_run: dict[str, Any], sdk_workdir: Path) -> None:
    assert sdk_run  # the SDK has run in sdk_workdir, its working directory
    assert list(sdk_workdir.iterdir()) == []


def test_sdk_with_a_wrong_secret_is_refused_with_401(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    wrong = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZw=="
    config = sdk_config(sandbox.base_url, sandbox.config, secret=wrong)
    steps = [
        _step("pay", "PaymentsApi", "create_payment", ["$body"], model="CreatePaymentRequest",
              body=_payment("SDK-401", "5.00", {"card": TEST_CARD})),
    ]  # fmt: skip
    result = run_sdk_steps(config, steps, tmp_path)["pay"]
    assert result["error"]["http_status"] == 401
