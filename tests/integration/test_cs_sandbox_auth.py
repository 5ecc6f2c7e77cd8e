"""The sandbox refuses what Cybersource refuses: every HTTP Signature failure mode is a 401 with
Cybersource's body, and bad input gets Cybersource's error shapes, never a stack trace."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from slpay.connectors.cybersource.auth import (
    Credentials,
    body_digest,
    hmac_b64,
    http_date,
    sign,
    signing_string,
)
from slpay.sandbox.cybersource import SandboxApp, SandboxConfig, create_app
from slpay.sandbox.cybersource.asgi import Request, Response
from slpay.sandbox.cybersource.testing import API_HOST, card_payment, signed_async_client

pytestmark = pytest.mark.anyio

CONFIG = SandboxConfig()
GOOD = Credentials.from_base64(CONFIG.merchant_id, CONFIG.key_id, CONFIG.shared_secret)
BODY = json.dumps(card_payment("AUTH-1", "10.00"), separators=(",", ":")).encode()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def app() -> AsyncIterator[SandboxApp]:
    sandbox = create_app(SandboxConfig())
    yield sandbox
    sandbox.close()


@pytest.fixture
async def raw(app: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    """Unsigned client: each test signs (or mis-signs) by hand."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://{API_HOST}"
    ) as client:
        yield client


def signed(
    creds: Credentials = GOOD,
    *,
    method: str = "POST",
    target: str = "/pts/v2/payments",
    body: bytes | None = BODY,
    date: str | None = None,
    host: str = API_HOST,
) -> dict[str, str]:
    headers = sign(
        creds,
        method=method,
        target=target,
        host=host,
        date=date or http_date(),
        body=body,
    )
    headers["Content-Type"] = "application/json;charset=utf-8"
    return headers


def assert_auth_failed(resp: httpx.Response) -> None:
    assert resp.status_code == 401
    body = resp.json()
    assert body["response"] == {"rmsg": "Authentication Failed"}
    assert body["errorInformation"]["message"] == "Authentication Failed"


async def test_correctly_signed_payment_is_accepted(raw: httpx.AsyncClient) -> None:
    resp = await raw.post("/pts/v2/payments", content=BODY, headers=signed())
    assert resp.status_code == 201
    assert resp.json()["status"] == "AUTHORIZED"


async def test_unknown_key_id_is_refused(raw: httpx.AsyncClient) -> None:
    other = Credentials(GOOD.merchant_id, "00000000-0000-0000-0000-000000000000", GOOD.secret)
    assert_auth_failed(await raw.post("/pts/v2/payments", content=BODY, headers=signed(other)))


async def test_wrong_shared_secret_is_refused(raw: httpx.AsyncClient) -> None:
    other = Credentials(GOOD.merchant_id, GOOD.key_id, b"not the shared secret")
    assert_auth_failed(await raw.post("/pts/v2/payments", content=BODY, headers=signed(other)))


async def test_body_changed_after_signing_is_refused(raw: httpx.AsyncClient) -> None:
    tampered = BODY.replace(b'"10.00"', b'"99.00"')
    assert_auth_failed(await raw.post("/pts/v2/payments", content=tampered, headers=signed()))


async def test_digest_of_a_reserialised_body_is_refused(raw: httpx.AsyncClient) -> None:
    # Same JSON, different bytes: the digest must cover exactly what is sent.
    spaced = json.dumps(json.loads(BODY)).encode()
    assert_auth_failed(await raw.post("/pts/v2/payments", content=spaced, headers=signed()))


@pytest.mark.parametrize("minutes", [16, -16])
async def test_date_more_than_15_minutes_off_is_refused(
    raw: httpx.AsyncClient, minutes: int
) -> None:
    stale = http_date(datetime.now(UTC) + timedelta(minutes=minutes))
    assert_auth_failed(await raw.post("/pts/v2/payments", content=BODY, headers=signed(date=stale)))


async def test_date_14_minutes_off_is_accepted(raw: httpx.AsyncClient) -> None:
    skewed = http_date(datetime.now(UTC) - timedelta(minutes=14))
    resp = await raw.post("/pts/v2/payments", content=BODY, headers=signed(date=skewed))
    assert resp.status_code == 201


@pytest.mark.parametrize("dropped", ["Signature", "Date", "v-c-merchant-id", "Digest"])
async def test_missing_signed_header_is_refused(raw: httpx.AsyncClient, dropped: str) -> None:
    headers = signed()
    del headers[dropped]
    assert_auth_failed(await raw.post("/pts/v2/payments", content=BODY, headers=headers))


async def test_signature_for_another_host_is_refused(raw: httpx.AsyncClient) -> None:
    headers = signed(host="api.cybersource.com")
    headers.pop("Host")  # the client sends apitest.cybersource.com
    assert_auth_failed(await raw.post("/pts/v2/payments", content=BODY, headers=headers))


async def test_query_string_is_part_of_the_signed_request_target(raw: httpx.AsyncClient) -> None:
    path = "/reporting/v3/net-fundings"
    query = "startTime=2026-01-01T00:00:00Z&endTime=2026-01-02T00:00:00Z"
    without_query = signed(method="GET", target=path, body=None)
    resp = await raw.get(f"{path}?{query}", headers=without_query)
    assert_auth_failed(resp)
    with_query = signed(method="GET", target=f"{path}?{query}", body=None)
    resp = await raw.get(f"{path}?{query}", headers=with_query)
    assert resp.status_code == 404  # signed correctly; nothing settled in that window


async def test_controls_need_no_signature(raw: httpx.AsyncClient) -> None:
    resp = await raw.get("/sandbox/health")
    assert resp.json() == {"status": "ok"}


async def test_malformed_json_gets_invalid_request_shape(app: SandboxApp) -> None:
    async with signed_async_client(app, app.config) as client:
        resp = await client.post("/pts/v2/payments", content=b'{"clientReferenceInformation":')
    assert resp.status_code == 400
    body = resp.json()
    assert body["status"] == "INVALID_REQUEST"
    assert body["reason"] == "INVALID_DATA"
    assert "errorInformation" not in body


@pytest.mark.parametrize(
    ("mutate", "reason", "field"),
    [
        (lambda b: b["clientReferenceInformation"].pop("code"), "MISSING_FIELD",
         "clientReferenceInformation.code"),
        (lambda b: b["orderInformation"]["amountDetails"].pop("totalAmount"), "MISSING_FIELD",
         "orderInformation.amountDetails.totalAmount"),
        (lambda b: b["orderInformation"]["amountDetails"].update(totalAmount=10), "INVALID_DATA",
         "orderInformation.amountDetails.totalAmount"),
        (lambda b: b["orderInformation"]["amountDetails"].update(totalAmount="10.001"),
         "INVALID_DATA", "orderInformation.amountDetails.totalAmount"),
        (lambda b: b["orderInformation"]["amountDetails"].update(currency="DOLLARS"),
         "INVALID_DATA", "orderInformation.amountDetails.currency"),
        (lambda b: b.pop("paymentInformation"), "MISSING_FIELD", "paymentInformation.card.number"),
    ],
)  # fmt: skip
async def test_missing_or_invalid_fields_are_named_in_details(
    app: SandboxApp, mutate: object, reason: str, field: str
) -> None:
    body = card_payment("BAD-1", "10.00")
    mutate(body)  # type: ignore[operator]
    async with signed_async_client(app, app.config) as client:
        resp = await client.post("/pts/v2/payments", json=body)
    assert resp.status_code == 400
    doc = resp.json()
    assert (doc["status"], doc["reason"]) == ("INVALID_REQUEST", reason)
    assert doc["details"] == [{"field": field, "reason": reason}]
    assert set(doc) == {"submitTimeUtc", "status", "reason", "message", "details"}


async def test_card_number_failing_luhn_is_invalid_card(app: SandboxApp) -> None:
    async with signed_async_client(app, app.config) as client:
        resp = await client.post(
            "/pts/v2/payments", json=card_payment("BAD-2", "1.00", number="4111111111111112")
        )
    assert resp.status_code == 400
    assert resp.json()["reason"] == "INVALID_CARD"
    assert "4111111111111112" not in resp.text


async def test_unknown_path_is_404_and_wrong_method_is_405(app: SandboxApp) -> None:
    async with signed_async_client(app, app.config) as client:
        missing = await client.get("/pts/v2/nothing-here")
        wrong = await client.get("/pts/v2/payments")
    assert missing.status_code == 404
    assert missing.json()["status"] == "NOT_FOUND"
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"


async def test_an_unexpected_failure_answers_502_without_a_stack_trace(app: SandboxApp) -> None:
    def explode(req: Request) -> Response:
        raise RuntimeError("internal detail that must not leak")

    app.router.add("GET", "/pts/v2/explode", explode)
    async with signed_async_client(app, app.config) as client:
        resp = await client.get("/pts/v2/explode")
    assert resp.status_code == 502
    assert resp.json()["status"] == "SERVER_ERROR"
    assert "Traceback" not in resp.text
    assert "internal detail" not in resp.text


async def test_older_docs_spelling_of_request_target_is_accepted(raw: httpx.AsyncClient) -> None:
    date = http_date()
    text = signing_string(
        method="POST",
        target="/pts/v2/payments",
        host=API_HOST,
        date=date,
        merchant_id=GOOD.merchant_id,
        digest=body_digest(BODY),
    ).replace("request-target: ", "(request-target): ")
    headers = {
        "v-c-merchant-id": GOOD.merchant_id,
        "Date": date,
        "Digest": body_digest(BODY),
        "Content-Type": "application/json",
        "Signature": f'keyid="{GOOD.key_id}", algorithm="HmacSHA256", '
        'headers="host date (request-target) digest v-c-merchant-id", '
        f'signature="{hmac_b64(GOOD.secret, text)}"',
    }
    resp = await raw.post("/pts/v2/payments", content=BODY, headers=headers)
    assert resp.status_code == 201
