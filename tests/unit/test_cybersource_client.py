"""CybersourceClient against the in-memory fake: signing, parsing, declines, retries, reports."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from test_cybersource_fakes import BASE_URL, HOST, KEY_ID, MERCHANT, SECRET_B64, FakeCybersource

from slpay.config import CybersourceSettings
from slpay.connectors.cybersource import AsyncCybersourceClient, CybersourceClient
from slpay.connectors.cybersource.auth import body_digest
from slpay.connectors.cybersource.models.common import Address
from slpay.connectors.cybersource.models.payments import PaymentRequest
from slpay.connectors.cybersource.requests import build_authorize_request
from slpay.domain.money import Money
from slpay.errors import (
    AuthenticationError,
    Declined,
    InvalidRequest,
    NotFoundError,
    TransientError,
)
from slpay.retry import RetryPolicy

USD = Money.of("10.00", "USD")
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake() -> FakeCybersource:
    return FakeCybersource()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake: FakeCybersource, sleeps: Sleeps) -> Iterator[CybersourceClient]:
    with CybersourceClient(
        base_url=BASE_URL,
        host=HOST,
        merchant_id=MERCHANT,
        key_id=KEY_ID,
        shared_secret_b64=SECRET_B64,
        transport=fake.transport(),
        retry=FAST,
        sleep=sleeps,
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    ) as c:
        yield c


def _auth(**kw: Any) -> PaymentRequest:
    return build_authorize_request(USD, code="SO-1", customer_id="CUST", **kw)


def test_requests_are_signed_for_the_api_host_and_sent_to_the_base_url(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    response = client.authorize(_auth())
    assert response.status == "AUTHORIZED"  # the fake answers 401 to a bad signature
    sent = fake.requests[0]
    assert sent.url.host == "cybersource.test"
    assert sent.headers["host"] == HOST
    assert sent.headers["digest"] == body_digest(sent.content)
    assert sent.headers["date"] == "Thu, 01 Jan 2026 00:00:00 GMT"
    assert sent.headers["content-type"] == "application/json;charset=utf-8"
    assert 'headers="host date request-target digest v-c-merchant-id"' in sent.headers["signature"]


def test_settings_supply_every_connection_detail() -> None:
    fake = FakeCybersource()
    settings = CybersourceSettings(
        base_url=BASE_URL,
        host=HOST,
        merchant_id=MERCHANT,
        key_id=KEY_ID,
        shared_secret=SecretStr(SECRET_B64),
    )
    with CybersourceClient(settings, transport=fake.transport()) as c:
        assert c.authorize(_auth()).status == "AUTHORIZED"


def test_a_wrong_secret_is_an_authentication_error_and_not_retried() -> None:
    fake = FakeCybersource()
    with (
        CybersourceClient(
            base_url=BASE_URL,
            host=HOST,
            merchant_id=MERCHANT,
            key_id=KEY_ID,
            shared_secret_b64="c2VjcmV0LXRoYXQtaXMtd3Jvbmc=",
            transport=fake.transport(),
            retry=FAST,
        ) as c,
        pytest.raises(AuthenticationError) as info,
    ):
        c.get_transaction("7000000000000000000001")
    assert info.value.status == 401
    assert len(fake.requests) == 1


def test_response_keeps_unknown_fields_and_unknown_statuses(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    fake.extra_routes[("POST", "/pts/v2/payments")] = lambda _: httpx.Response(
        201,
        json={
            "id": "7000000000000000000099",
            "status": "SOME_FUTURE_STATUS",
            "brandNewBlock": {"x": 1},
            "orderInformation": {"amountDetails": {"authorizedAmount": "7.50", "currency": "USD"}},
        },
    )
    response = client.authorize(_auth())
    assert response.status == "SOME_FUTURE_STATUS"
    assert response.model_extra == {"brandNewBlock": {"x": 1}}
    assert response.authorized_amount == Money.of("7.50", "USD")
    assert not response.is_declined


def test_a_decline_is_returned_and_can_be_raised(client: CybersourceClient) -> None:
    response = client.authorize(_auth(bill_to=Address(address1="decline")))
    assert response.is_declined
    assert response.decline_reason == "INSUFFICIENT_FUND"
    with pytest.raises(Declined) as info:
        response.raise_for_decline("authorize")
    assert info.value.reason == "INSUFFICIENT_FUND"
    assert info.value.request_id == response.id


def test_money_shortcuts_capture_refund_and_void(client: CybersourceClient) -> None:
    auth = client.authorize(_auth())
    assert auth.id is not None
    cap = client.capture(auth.id, USD, code="SO-1")
    assert (cap.status, cap.amount) == ("PENDING", USD)
    assert cap.client_reference_information is not None
    assert cap.client_reference_information.code == "SO-1"
    assert cap.id is not None
    refund = client.refund_capture(cap.id, Money.of("4.00", "USD"))
    assert (refund.status, refund.amount) == ("PENDING", Money.of("4.00", "USD"))
    assert refund.id is not None
    assert client.void_refund(refund.id).status == "VOIDED"


def test_reads_retry_on_503_honouring_retry_after(
    client: CybersourceClient, fake: FakeCybersource, sleeps: Sleeps
) -> None:
    auth = client.authorize(_auth())
    fake.fail_next("GET /tss/v2/transactions/", (503, {"Retry-After": "2"}, None))
    details = client.get_transaction(auth.id or "")
    assert details.id == auth.id
    assert details.submitted_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert sleeps == [2.0]


def test_retries_stop_when_attempts_run_out(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    for _ in range(3):
        fake.fail_next("GET /tss/", 500)
    with pytest.raises(TransientError):
        client.get_transaction("7000000000000000000001")
    assert len(fake.requests) == 3


def test_a_permanent_error_is_not_retried(client: CybersourceClient, fake: FakeCybersource) -> None:
    body = {"status": "INVALID_REQUEST", "reason": "EXCEEDS_AUTH_AMOUNT", "message": "too much"}
    fake.fail_next("POST /pts/v2/payments/.*/captures", (400, {}, body))
    with pytest.raises(InvalidRequest) as info:
        client.capture("7000000000000000000001", USD)
    assert info.value.reason == "EXCEEDS_AUTH_AMOUNT"
    assert len(fake.requests) == 1


def test_a_rate_limited_payment_is_resent_with_the_same_transaction_id(
    client: CybersourceClient, fake: FakeCybersource, sleeps: Sleeps
) -> None:
    fake.fail_next("POST /pts/v2/payments$", (429, {"Retry-After": "1"}, None))
    response = client.authorize(_auth(transaction_id="tx-429"))
    assert response.status == "AUTHORIZED"
    sent = fake.posts_to("/pts/v2/payments")
    assert [b["clientReferenceInformation"]["transactionId"] for b in sent] == ["tx-429"] * 2
    assert len(fake.txns) == 1
    assert sleeps == [1.0]


def test_unknown_transaction_is_not_found(client: CybersourceClient) -> None:
    with pytest.raises(NotFoundError):
        client.get_transaction("7999999999999999999999")


def test_report_download_and_streamed_lines(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    csv = b"Payment Batch Detail Report,1.0,2026-01-01 to 2026-01-02\nbatch_id,amount\n1,10.00\n"
    fake.extra_routes[("GET", "/reporting/v3/report-downloads")] = lambda r: httpx.Response(
        200 if r.headers["accept"] == "text/csv" else 406, content=csv
    )
    assert client.download_report(date(2026, 1, 2), "PBD") == csv
    lines = list(client.iter_report_lines(date(2026, 1, 2), "PBD"))
    assert lines[1:] == ["batch_id,amount", "1,10.00"]


def test_a_missing_report_is_not_found_when_streaming(client: CybersourceClient) -> None:
    with pytest.raises(NotFoundError):
        list(client.iter_report_lines(date(2026, 1, 2), "missing"))


def test_net_fundings_totals_are_money(client: CybersourceClient, fake: FakeCybersource) -> None:
    fake.extra_routes[("GET", "/reporting/v3/net-fundings")] = lambda _: httpx.Response(
        200,
        json={
            "totalPurchases": [{"currency": "USD", "value": "100.00"}],
            "totalFees": [{"currency": "USD", "value": "2.90"}],
            "netTotal": [{"currency": "USD", "value": "97.10"}],
        },
    )
    day = datetime(2026, 1, 1, tzinfo=UTC)
    funding = client.net_fundings(day, day)
    assert funding.currencies() == ["USD"]
    assert funding.total("net", "usd") == Money.of("97.10", "USD")
    assert funding.total("refunds", "USD") is None


def test_tms_delete_returns_nothing_and_webhooks_list_parses(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    fake.extra_routes[("DELETE", "/tms/v2/customers/C1")] = lambda _: httpx.Response(204)
    fake.extra_routes[("GET", "/notification-subscriptions/v2/webhooks")] = lambda _: (
        httpx.Response(200, json=[{"webhookId": "w1", "status": "ACTIVE", "newField": 1}])
    )
    client.delete_customer("C1")
    hooks = client.list_webhooks("org")
    assert [(h.webhook_id, h.status) for h in hooks] == [("w1", "ACTIVE")]


def test_webhook_key_secret_is_hidden(client: CybersourceClient, fake: FakeCybersource) -> None:
    fake.extra_routes[("POST", "/kms/egress/v2/keys-sym")] = lambda _: httpx.Response(
        201, json={"status": "SUCCESS", "keyInformation": {"keyId": "k1", "key": "c2VjcmV0"}}
    )
    key = client.create_webhook_key("org")
    assert key.key_information is not None
    assert key.key_information.key is not None
    assert key.key_information.key.get_secret_value() == "c2VjcmV0"
    assert "c2VjcmV0" not in repr(key)


def test_async_client_sends_the_same_signed_request(fake: FakeCybersource) -> None:
    async def run() -> str | None:
        async with AsyncCybersourceClient(
            base_url=BASE_URL,
            host=HOST,
            merchant_id=MERCHANT,
            key_id=KEY_ID,
            shared_secret_b64=SECRET_B64,
            transport=fake.transport(),
            retry=FAST,
        ) as c:
            auth = await c.authorize(_auth())
            cap = await c.capture(auth.id or "", USD)
            return cap.status

    assert asyncio.run(run()) == "PENDING"
    assert [r.url.path for r in fake.requests] == [
        "/pts/v2/payments",
        f"/pts/v2/payments/{next(iter(fake.txns))}/captures",
    ]
