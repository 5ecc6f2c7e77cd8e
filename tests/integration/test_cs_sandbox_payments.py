"""Payment lifecycle through the sandbox: authorize, capture, refund, reverse, void, declines,
Decision Manager outcomes and timeout reversal/void by clientReferenceInformation.transactionId."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from slpay.sandbox.cybersource import SandboxApp, SandboxConfig, create_app
from slpay.sandbox.cybersource.testing import card_payment, signed_async_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def app() -> AsyncIterator[SandboxApp]:
    sandbox = create_app(SandboxConfig())
    yield sandbox
    sandbox.close()


@pytest.fixture
async def cs(app: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_async_client(app, app.config) as client:
        yield client


def amount(value: str, currency: str = "USD") -> dict[str, Any]:
    return {"orderInformation": {"amountDetails": {"totalAmount": value, "currency": currency}}}


async def authorize(cs: httpx.AsyncClient, value: str = "100.00", **kw: Any) -> dict[str, Any]:
    resp = await cs.post("/pts/v2/payments", json=card_payment("ORDER-1", value, **kw))
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def tss_status(cs: httpx.AsyncClient, txn_id: str) -> str:
    resp = await cs.get(f"/tss/v2/transactions/{txn_id}")
    assert resp.status_code == 200
    status: str = resp.json()["status"]
    return status


async def test_authorization_is_approved_with_id_links_and_approval_code(
    cs: httpx.AsyncClient,
) -> None:
    auth = await authorize(cs)
    assert auth["status"] == "AUTHORIZED"
    assert len(auth["id"]) == 22
    assert auth["id"].isdigit()
    assert auth["processorInformation"]["approvalCode"] == "123456"
    assert auth["orderInformation"]["amountDetails"]["authorizedAmount"] == "100.00"
    assert auth["_links"]["capture"]["href"] == f"/pts/v2/payments/{auth['id']}/captures"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", auth["submitTimeUtc"])


async def test_partial_captures_add_up_to_the_authorized_amount_and_no_more(
    cs: httpx.AsyncClient,
) -> None:
    auth = await authorize(cs, "100.00")
    first = await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount("60.00"))
    second = await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount("40.00"))
    third = await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount("0.01"))
    assert (first.status_code, first.json()["status"]) == (201, "PENDING")
    assert second.json()["orderInformation"]["amountDetails"]["totalAmount"] == "40.00"
    assert third.status_code == 400
    assert third.json()["reason"] == "EXCEEDS_AUTH_AMOUNT"


async def test_several_partial_refunds_up_to_the_captured_amount(cs: httpx.AsyncClient) -> None:
    auth = await authorize(cs, "100.00")
    capture = (
        await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount("80.00"))
    ).json()
    r1 = await cs.post(f"/pts/v2/captures/{capture['id']}/refunds", json=amount("30.00"))
    r2 = await cs.post(f"/pts/v2/captures/{capture['id']}/refunds", json=amount("50.00"))
    too_much = await cs.post(f"/pts/v2/captures/{capture['id']}/refunds", json=amount("0.01"))
    assert r1.json()["status"] == r2.json()["status"] == "PENDING"
    assert r2.json()["refundAmountDetails"] == {"refundAmount": "50.00", "currency": "USD"}
    assert too_much.status_code == 400
    assert too_much.json()["reason"] == "INVALID_AMOUNT"


async def test_refund_of_an_uncaptured_authorization_is_refused(cs: httpx.AsyncClient) -> None:
    auth = await authorize(cs, "20.00")
    resp = await cs.post(f"/pts/v2/payments/{auth['id']}/refunds", json=amount("1.00"))
    assert resp.status_code == 400
    assert resp.json()["reason"] == "INVALID_AMOUNT"


async def test_sale_is_captured_and_refundable_through_the_payment_id(
    cs: httpx.AsyncClient,
) -> None:
    sale = await authorize(cs, "25.00", capture=True)
    assert sale["status"] == "AUTHORIZED"
    assert await tss_status(cs, sale["id"]) == "PENDING"
    refund = await cs.post(f"/pts/v2/payments/{sale['id']}/refunds", json=amount("25.00"))
    assert refund.status_code == 201
    again = await cs.post(f"/pts/v2/payments/{sale['id']}/refunds", json=amount("0.01"))
    assert again.json()["reason"] == "INVALID_AMOUNT"


async def test_reversal_of_an_uncaptured_authorization(cs: httpx.AsyncClient) -> None:
    auth = await authorize(cs, "15.00")
    body = {"reversalInformation": {"amountDetails": {"totalAmount": "15.00"}, "reason": "cancel"}}
    resp = await cs.post(f"/pts/v2/payments/{auth['id']}/reversals", json=body)
    assert resp.status_code == 201
    assert resp.json()["status"] == "REVERSED"
    assert resp.json()["reversalAmountDetails"]["reversedAmount"] == "15.00"
    assert await tss_status(cs, auth["id"]) == "REVERSED"
    capture = await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount("1.00"))
    assert capture.json()["reason"] == "AUTH_ALREADY_REVERSED"


async def test_reversal_after_a_capture_is_refused(cs: httpx.AsyncClient) -> None:
    auth = await authorize(cs, "15.00")
    await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount("5.00"))
    resp = await cs.post(f"/pts/v2/payments/{auth['id']}/reversals", json={})
    assert resp.status_code == 400
    assert resp.json()["reason"] == "TRANSACTION_ALREADY_SETTLED"


async def test_void_before_batch_close_and_not_voidable_after(cs: httpx.AsyncClient) -> None:
    auth = await authorize(cs, "50.00")
    cap1 = (await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount("20.00"))).json()
    void = await cs.post(f"/pts/v2/captures/{cap1['id']}/voids", json={})
    assert void.status_code == 201
    assert void.json()["status"] == "VOIDED"
    assert void.json()["voidAmountDetails"]["voidAmount"] == "20.00"
    assert await tss_status(cs, cap1["id"]) == "VOIDED"
    # The voided capture no longer counts: the whole authorization can still be captured.
    cap2 = (await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount("50.00"))).json()
    await cs.post("/sandbox/close-day", json={})
    late = await cs.post(f"/pts/v2/captures/{cap2['id']}/voids", json={})
    assert late.status_code == 400
    assert late.json()["reason"] == "NOT_VOIDABLE"


async def test_void_of_a_refund_restores_what_can_be_refunded(cs: httpx.AsyncClient) -> None:
    sale = await authorize(cs, "30.00", capture=True)
    refund = (await cs.post(f"/pts/v2/payments/{sale['id']}/refunds", json=amount("30.00"))).json()
    assert (await cs.post(f"/pts/v2/refunds/{refund['id']}/voids", json={})).status_code == 201
    again = await cs.post(f"/pts/v2/payments/{sale['id']}/refunds", json=amount("30.00"))
    assert again.status_code == 201


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        ("3001.00", "DECLINED", "INSUFFICIENT_FUND"),
        ("3002.00", "DECLINED", "EXPIRED_CARD"),
        ("3003.00", "DECLINED", "STOLEN_LOST_CARD"),
        ("3004.00", "DECLINED", "PROCESSOR_DECLINED"),
        ("3005.00", "AUTHORIZED_PENDING_REVIEW", "AVS_FAILED"),
        ("3006.00", "AUTHORIZED_PENDING_REVIEW", "CVN_NOT_MATCH"),
    ],
)
async def test_amount_triggers_give_documented_outcomes(
    cs: httpx.AsyncClient, value: str, status: str, reason: str
) -> None:
    resp = await cs.post("/pts/v2/payments", json=card_payment("TRIGGER", value))
    assert resp.status_code == 201  # a decline is a 201: read the status
    body = resp.json()
    assert (body["status"], body["errorInformation"]["reason"]) == (status, reason)


async def test_avs_mismatch_review_carries_the_avs_code(cs: httpx.AsyncClient) -> None:
    body = (await cs.post("/pts/v2/payments", json=card_payment("AVS", "3005.00"))).json()
    assert body["processorInformation"]["avs"]["code"] == "N"


async def test_declined_authorization_cannot_be_captured(cs: httpx.AsyncClient) -> None:
    declined = (await cs.post("/pts/v2/payments", json=card_payment("D", "3001.00"))).json()
    resp = await cs.post(f"/pts/v2/payments/{declined['id']}/captures", json=amount("1.00"))
    assert resp.json()["reason"] == "MISSING_AUTH"


async def test_forced_decline_applies_to_the_next_authorization_only(
    cs: httpx.AsyncClient,
) -> None:
    forced = await cs.post("/sandbox/force", json={"outcome": "decline", "reason": "EXPIRED_CARD"})
    assert forced.status_code == 201
    first = (await cs.post("/pts/v2/payments", json=card_payment("F1", "5.00"))).json()
    second = (await cs.post("/pts/v2/payments", json=card_payment("F2", "5.00"))).json()
    assert (first["status"], first["errorInformation"]["reason"]) == ("DECLINED", "EXPIRED_CARD")
    assert second["status"] == "AUTHORIZED"


async def test_expired_card_is_declined(cs: httpx.AsyncClient) -> None:
    body = card_payment("EXP", "5.00")
    body["paymentInformation"]["card"]["expirationYear"] = "2020"
    resp = (await cs.post("/pts/v2/payments", json=body)).json()
    assert (resp["status"], resp["errorInformation"]["reason"]) == ("DECLINED", "EXPIRED_CARD")


async def test_decision_manager_london_bridge_convention(cs: httpx.AsyncClient) -> None:
    accept = await authorize(cs, "10.00", address1="1 London Bridge")
    review = await authorize(cs, "10.00", address1="2 London Bridge")
    reject = await authorize(cs, "10.00", address1="3 London Bridge")
    assert accept["status"] == "AUTHORIZED"
    assert review["status"] == "AUTHORIZED_PENDING_REVIEW"
    assert review["errorInformation"]["reason"] == "DECISION_PROFILE_REVIEW"
    assert review["riskInformation"]["score"]["factorCodes"]
    assert review["riskInformation"]["profile"]["name"]
    assert reject["status"] == "AUTHORIZED_RISK_DECLINED"
    assert reject["errorInformation"]["reason"] == "DECISION_PROFILE_REJECT"
    details = (await cs.get(f"/tss/v2/transactions/{review['id']}")).json()
    assert details["riskInformation"]["profile"]["decision"] == "REVIEW"
    assert isinstance(details["riskInformation"]["score"]["result"], int)
    names = [a["name"] for a in details["applicationInformation"]["applications"]]
    assert names == ["ics_auth", "ics_score", "ics_decision"]


async def test_reviewer_accept_with_capture_captures_in_full(cs: httpx.AsyncClient) -> None:
    review = await authorize(cs, "42.00", address1="2 London Bridge", capture=True)
    action = {
        "decisionInformation": {"decision": "ACCEPT", "comments": "looks fine"},
        "processingInformation": {"actionList": ["CAPTURE"]},
    }
    resp = await cs.post(f"/risk/v1/decisions/{review['id']}/actions", json=action)
    assert resp.status_code == 201
    body = resp.json()
    assert body["status"] == "ACCEPTED"
    capture_href = body["_embedded"]["capture"]["_links"]["self"]["href"]
    capture_id = capture_href.rsplit("/", 1)[1]
    capture = (await cs.get(f"/tss/v2/transactions/{capture_id}")).json()
    assert capture["orderInformation"]["amountDetails"]["totalAmount"] == "42.00"
    assert await tss_status(cs, review["id"]) == "AUTHORIZED"


async def test_reviewer_reject_with_reverse_reverses(cs: httpx.AsyncClient) -> None:
    review = await authorize(cs, "42.00", address1="2 London Bridge")
    action = {
        "decisionInformation": {"decision": "REJECT"},
        "processingInformation": {"actionList": ["REVERSE"]},
    }
    body = (await cs.post(f"/risk/v1/decisions/{review['id']}/actions", json=action)).json()
    assert body["status"] == "REJECTED"
    assert body["_embedded"]["reversal"]["status"] == "REVERSED"
    assert await tss_status(cs, review["id"]) == "REVERSED"


async def test_decision_on_a_transaction_not_in_review_is_refused(cs: httpx.AsyncClient) -> None:
    auth = await authorize(cs, "1.00")
    action = {"decisionInformation": {"decision": "ACCEPT"}}
    resp = await cs.post(f"/risk/v1/decisions/{auth['id']}/actions", json=action)
    assert resp.status_code == 400


@pytest.mark.parametrize("path", ["/pts/v2/reversals", "/pts/v2/reversals/"])
async def test_timeout_reversal_finds_the_authorization_by_transaction_id(
    cs: httpx.AsyncClient, path: str
) -> None:
    auth = await authorize(cs, "12.00", transaction_id="tx-auth-77")
    body = {
        "clientReferenceInformation": {"code": "ORDER-1", "transactionId": "tx-auth-77"},
        "reversalInformation": {"amountDetails": {"totalAmount": "12.00"}, "reason": "timeout"},
    }
    resp = await cs.post(path, json=body)
    assert resp.status_code == 201
    assert resp.json()["status"] == "REVERSED"
    assert await tss_status(cs, auth["id"]) == "REVERSED"
    again = await cs.post(path, json=body)
    assert again.json()["reason"] == "AUTH_ALREADY_REVERSED"


async def test_timeout_reversal_for_an_unknown_transaction_id_says_missing_auth(
    cs: httpx.AsyncClient,
) -> None:
    body = {"clientReferenceInformation": {"transactionId": "never-sent"}}
    resp = await cs.post("/pts/v2/reversals", json=body)
    assert resp.status_code == 400
    assert resp.json()["reason"] == "MISSING_AUTH"


@pytest.mark.parametrize("path", ["/pts/v2/voids", "/pts/v2/voids/"])
async def test_timeout_void_finds_the_capture_by_transaction_id(
    cs: httpx.AsyncClient, path: str
) -> None:
    auth = await authorize(cs, "12.00")
    capture_req = {**amount("12.00"), "clientReferenceInformation": {"transactionId": "tx-cap-5"}}
    capture = (await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=capture_req)).json()
    resp = await cs.post(path, json={"clientReferenceInformation": {"transactionId": "tx-cap-5"}})
    assert resp.status_code == 201
    assert resp.json()["status"] == "VOIDED"
    assert await tss_status(cs, capture["id"]) == "VOIDED"


async def test_stand_alone_credit_is_pending_until_batch_close(cs: httpx.AsyncClient) -> None:
    body = card_payment("CREDIT-1", "7.50")
    resp = await cs.post("/pts/v2/credits", json=body)
    assert resp.status_code == 201
    credit = resp.json()
    assert credit["creditAmountDetails"] == {"creditAmount": "7.50", "currency": "USD"}
    await cs.post("/sandbox/close-day", json={})
    assert await tss_status(cs, credit["id"]) == "TRANSMITTED"


async def test_amount_trigger_3008_records_the_authorization_then_answers_502(
    cs: httpx.AsyncClient,
) -> None:
    resp = await cs.post("/pts/v2/payments", json=card_payment("AMBIG-1", "3008.00"))
    assert resp.status_code == 502
    assert resp.json()["status"] == "SERVER_ERROR"
    search = {"query": "clientReferenceInformation.code:AMBIG-1"}
    found = (await cs.post("/tss/v2/searches", json=search)).json()
    assert found["totalCount"] == 1
    assert found["_embedded"]["transactionSummaries"][0]["status"] == "AUTHORIZED"


async def test_amount_trigger_3007_answers_502_and_records_nothing(cs: httpx.AsyncClient) -> None:
    resp = await cs.post("/pts/v2/payments", json=card_payment("FAIL-1", "3007.00"))
    assert resp.status_code == 502
    found = (
        await cs.post("/tss/v2/searches", json={"query": "clientReferenceInformation.code:FAIL-1"})
    ).json()
    assert found["totalCount"] == 0
