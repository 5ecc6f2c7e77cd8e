"""Tokenization: TMS tokens, Microform-style transient tokens, and card numbers that never reach
the sandbox's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from slpay.sandbox.cybersource import SandboxApp, SandboxConfig, create_app
from slpay.sandbox.cybersource.testing import MutableClock, card_payment, signed_async_client

pytestmark = pytest.mark.anyio

VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock()


@pytest.fixture
async def app(tmp_path: Path, clock: MutableClock) -> AsyncIterator[SandboxApp]:
    sandbox = create_app(SandboxConfig(db_url=f"sqlite:///{tmp_path / 'cs.db'}", clock=clock))
    yield sandbox
    sandbox.close()


@pytest.fixture
async def cs(app: SandboxApp, clock: MutableClock) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_async_client(app, app.config, clock=clock) as client:
        yield client


def pay_with(code: str, value: str, payment_information: dict[str, Any]) -> dict[str, Any]:
    return {
        "clientReferenceInformation": {"code": code},
        "paymentInformation": payment_information,
        "orderInformation": {"amountDetails": {"totalAmount": value, "currency": "USD"}},
    }


async def new_instrument_identifier(cs: httpx.AsyncClient, number: str) -> httpx.Response:
    return await cs.post("/tms/v1/instrumentidentifiers", json={"card": {"number": number}})


async def test_instrument_identifier_is_one_per_card_number(cs: httpx.AsyncClient) -> None:
    first = await new_instrument_identifier(cs, VISA)
    second = await new_instrument_identifier(cs, VISA)
    other = await new_instrument_identifier(cs, MASTERCARD)
    assert (first.status_code, second.status_code, other.status_code) == (201, 200, 201)
    assert first.json()["id"] == second.json()["id"] != other.json()["id"]
    assert first.json()["card"]["number"] == "411111XXXXXX1111"


async def test_customer_with_default_instrument_pays_by_customer_id(
    cs: httpx.AsyncClient,
) -> None:
    ii = (await new_instrument_identifier(cs, MASTERCARD)).json()
    customer = (
        await cs.post("/tms/v2/customers", json={"buyerInformation": {"merchantCustomerID": "C-1"}})
    ).json()
    pi_body = {
        "card": {"expirationMonth": "11", "expirationYear": "2030"},
        "instrumentIdentifier": {"id": ii["id"]},
    }
    pi = await cs.post(f"/tms/v2/customers/{customer['id']}/payment-instruments", json=pi_body)
    assert pi.status_code == 201
    assert pi.json()["default"] is True
    fetched = (await cs.get(f"/tms/v2/customers/{customer['id']}")).json()
    assert fetched["defaultPaymentInstrument"]["id"] == pi.json()["id"]
    assert fetched["buyerInformation"]["merchantCustomerID"] == "C-1"

    paid = await cs.post(
        "/pts/v2/payments", json=pay_with("TOK-1", "9.99", {"customer": {"id": customer["id"]}})
    )
    assert paid.status_code == 201
    body = paid.json()
    assert body["status"] == "AUTHORIZED"
    assert body["paymentInformation"]["paymentInstrument"]["id"] == pi.json()["id"]
    assert body["paymentInformation"]["card"]["suffix"] == "4444"
    details = (await cs.get(f"/tss/v2/transactions/{body['id']}")).json()
    assert details["tokenInformation"]["customer"]["id"] == customer["id"]
    assert details["paymentInformation"]["card"]["type"] == "002"


async def test_payment_by_instrument_identifier_and_by_payment_instrument(
    cs: httpx.AsyncClient,
) -> None:
    ii = (await new_instrument_identifier(cs, AMEX)).json()
    by_ii = pay_with(
        "TOK-2",
        "1.00",
        {
            "instrumentIdentifier": {"id": ii["id"]},
            "card": {"expirationMonth": "01", "expirationYear": "2030"},
        },
    )
    assert (await cs.post("/pts/v2/payments", json=by_ii)).json()["status"] == "AUTHORIZED"
    pi_body = {
        "card": {"expirationMonth": "01", "expirationYear": "2030"},
        "instrumentIdentifier": {"id": ii["id"]},
    }
    pi = (await cs.post("/tms/v1/paymentinstruments", json=pi_body)).json()
    by_pi = pay_with("TOK-3", "2.00", {"paymentInstrument": {"id": pi["id"]}})
    assert (await cs.post("/pts/v2/payments", json=by_pi)).json()["status"] == "AUTHORIZED"


async def test_unknown_or_deleted_tokens_are_refused(cs: httpx.AsyncClient) -> None:
    customer = (await cs.post("/tms/v2/customers", json={})).json()
    assert (await cs.delete(f"/tms/v2/customers/{customer['id']}")).status_code == 204
    gone = await cs.get(f"/tms/v2/customers/{customer['id']}")
    assert gone.status_code == 404
    assert gone.json()["errors"][0]["type"] == "notFound"
    resp = await cs.post(
        "/pts/v2/payments", json=pay_with("TOK-4", "1.00", {"customer": {"id": customer["id"]}})
    )
    assert resp.status_code == 400
    assert resp.json()["details"] == [
        {"field": "paymentInformation.customer.id", "reason": "INVALID_DATA"}
    ]


async def test_token_create_on_a_payment_returns_new_tokens(cs: httpx.AsyncClient) -> None:
    body = card_payment("TOK-5", "3.00", number=MASTERCARD)
    body["processingInformation"] |= {
        "actionList": ["TOKEN_CREATE"],
        "actionTokenTypes": ["customer", "paymentInstrument", "instrumentIdentifier"],
    }
    resp = (await cs.post("/pts/v2/payments", json=body)).json()
    tokens = resp["tokenInformation"]
    assert tokens["instrumentidentifierNew"] is True
    customer = (await cs.get(f"/tms/v2/customers/{tokens['customer']['id']}")).json()
    assert customer["defaultPaymentInstrument"]["id"] == tokens["paymentInstrument"]["id"]
    again = (await cs.post("/pts/v2/payments", json=body)).json()
    assert again["tokenInformation"]["instrumentidentifierNew"] is False


async def transient_token(cs: httpx.AsyncClient, number: str = VISA) -> str:
    resp = await cs.post(
        "/sandbox/transient-tokens",
        json={"number": number, "expirationMonth": "12", "expirationYear": "2031"},
    )
    assert resp.status_code == 201
    token: str = resp.json()["transientTokenJwt"]
    return token


async def test_transient_token_pays_once(cs: httpx.AsyncClient) -> None:
    token = await transient_token(cs)
    body = {
        "clientReferenceInformation": {"code": "TT-1"},
        "tokenInformation": {"transientTokenJwt": token},
        "orderInformation": {"amountDetails": {"totalAmount": "5.00", "currency": "USD"}},
    }
    first = await cs.post("/pts/v2/payments", json=body)
    second = await cs.post("/pts/v2/payments", json=body)
    assert first.json()["status"] == "AUTHORIZED"
    assert second.status_code == 400
    assert second.json()["details"][0]["field"] == "tokenInformation.transientTokenJwt"


async def test_declined_payment_leaves_the_transient_token_usable(cs: httpx.AsyncClient) -> None:
    token = await transient_token(cs)
    body = {
        "clientReferenceInformation": {"code": "TT-2"},
        "tokenInformation": {"transientTokenJwt": token},
        "orderInformation": {"amountDetails": {"totalAmount": "3001.00", "currency": "USD"}},
    }
    assert (await cs.post("/pts/v2/payments", json=body)).json()["status"] == "DECLINED"
    body["orderInformation"]["amountDetails"]["totalAmount"] = "5.00"
    assert (await cs.post("/pts/v2/payments", json=body)).json()["status"] == "AUTHORIZED"


async def test_transient_token_expires_after_15_minutes(
    cs: httpx.AsyncClient, clock: MutableClock
) -> None:
    token = await transient_token(cs)
    clock.advance(minutes=16)
    body = {
        "clientReferenceInformation": {"code": "TT-3"},
        "tokenInformation": {"transientTokenJwt": token},
        "orderInformation": {"amountDetails": {"totalAmount": "5.00", "currency": "USD"}},
    }
    resp = await cs.post("/pts/v2/payments", json=body)
    assert resp.status_code == 400
    assert "expired" in resp.json()["message"]


async def test_forged_transient_token_is_refused(cs: httpx.AsyncClient) -> None:
    forged_key = RSAKey.generate_key(2048)
    forged = jwt.encode({"alg": "RS256"}, {"jti": "X", "exp": 4102444800}, forged_key)
    body = {
        "clientReferenceInformation": {"code": "TT-4"},
        "tokenInformation": {"transientTokenJwt": forged},
        "orderInformation": {"amountDetails": {"totalAmount": "5.00", "currency": "USD"}},
    }
    assert (await cs.post("/pts/v2/payments", json=body)).status_code == 400


async def test_capture_context_carries_the_key_that_verifies_transient_tokens(
    cs: httpx.AsyncClient,
) -> None:
    resp = await cs.post("/microform/v2/sessions", json={"targetOrigins": ["https://shop.example"]})
    assert resp.status_code == 201
    assert resp.headers["content-type"].startswith("application/jwt")
    context = jwt.decode(resp.text, lambda obj: RSAKey.import_key(_unverified_jwk(resp.text)))
    assert context.claims["ctx"][0]["data"]["targetOrigins"] == ["https://shop.example"]
    key = RSAKey.import_key(context.claims["flx"]["jwk"])
    token = jwt.decode(await transient_token(cs), key)
    assert token.claims["content"]["paymentInformation"]["card"]["number"]["bin"] == "411111"


def _unverified_jwk(token: str) -> dict[str, Any]:
    import base64
    import json

    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    jwk: dict[str, Any] = claims["flx"]["jwk"]
    return jwk


async def test_card_numbers_never_reach_the_database_file(
    app: SandboxApp, cs: httpx.AsyncClient, tmp_path: Path
) -> None:
    await new_instrument_identifier(cs, AMEX)
    await transient_token(cs, MASTERCARD)
    body = card_payment("PAN-1", "4.00", number=VISA)
    body["merchantDefinedInformation"] = [{"key": "1", "value": f"card {VISA}"}]
    body["orderInformation"]["billTo"] = {"address1": "1 Main St", "company": VISA}
    assert (await cs.post("/pts/v2/payments", json=body)).status_code == 201
    app.close()
    files = [p for p in tmp_path.iterdir() if p.name.startswith("cs.db")]
    assert files
    for path in files:
        data = path.read_bytes()
        for pan in (VISA, MASTERCARD, AMEX):
            assert pan.encode() not in data, f"{pan} found in {path.name}"
