"""The sandbox refuses, with 401 and without acting, what Cybersource would refuse (FACTS §2).

Requests are signed with our own signer (``connectors.cybersource.auth.sign``) and sent over
real HTTP with httpx, then tampered with the way an attacker or a broken client would. After
each refusal, a transaction search for the request's order number must find nothing: the
sandbox refused before doing anything.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from slpay.connectors.cybersource import CybersourceClient
from slpay.connectors.cybersource.auth import Credentials, body_digest, http_date, sign
from slpay.sandbox.cybersource.server import SandboxHandle

API_HOST = "apitest.cybersource.com"
PATH = "/pts/v2/payments"


def _body(code: str, amount: str = "5.00") -> bytes:
    return json.dumps(
        {
            "clientReferenceInformation": {"code": code, "transactionId": code[-20:]},
            "paymentInformation": {
                "card": {
                    "number": "4111111111111111",
                    "expirationMonth": "12",
                    "expirationYear": "2031",
                }
            },
            "orderInformation": {"amountDetails": {"totalAmount": amount, "currency": "USD"}},
        },
        separators=(",", ":"),
    ).encode()


def _creds(sandbox: SandboxHandle, secret_b64: str | None = None) -> Credentials:
    cfg = sandbox.config
    return Credentials.from_base64(cfg.merchant_id, cfg.key_id, secret_b64 or cfg.shared_secret)


def _send(sandbox: SandboxHandle, headers: dict[str, str], body: bytes) -> httpx.Response:
    headers = {**headers, "Content-Type": "application/json;charset=utf-8"}
    return httpx.post(sandbox.base_url + PATH, headers=headers, content=body, timeout=10.0)


def _signed(creds: Credentials, body: bytes, when: datetime | None = None) -> dict[str, str]:
    date = http_date(when or datetime.now(UTC))
    return sign(creds, method="POST", target=PATH, host=API_HOST, date=date, body=body)


def _found(sandbox: SandboxHandle, code: str) -> int:
    with CybersourceClient(base_url=sandbox.base_url) as cs:
        return len(cs.search(f"clientReferenceInformation.code:{code}").transactions)


@pytest.fixture
def code() -> str:
    return "SIG-" + uuid.uuid4().hex[:20]


def test_a_correctly_signed_request_is_accepted(sandbox: SandboxHandle, code: str) -> None:
    body = _body(code)
    response = _send(sandbox, _signed(_creds(sandbox), body), body)
    assert response.status_code == 201
    assert _found(sandbox, code) == 1


def test_a_wrong_secret_is_refused(sandbox: SandboxHandle, code: str) -> None:
    wrong = base64.b64encode(b"not-the-sandbox-shared-secret-00").decode()
    body = _body(code)
    response = _send(sandbox, _signed(_creds(sandbox, wrong), body), body)
    assert response.status_code == 401
    assert _found(sandbox, code) == 0


def test_a_changed_body_is_refused(sandbox: SandboxHandle, code: str) -> None:
    headers = _signed(_creds(sandbox), _body(code, "5.00"))
    response = _send(sandbox, headers, _body(code, "500.00"))
    assert response.status_code == 401
    assert _found(sandbox, code) == 0


def test_a_changed_body_with_a_recomputed_digest_is_refused(
    sandbox: SandboxHandle, code: str
) -> None:
    tampered = _body(code, "500.00")
    headers = _signed(_creds(sandbox), _body(code, "5.00"))
    headers["Digest"] = body_digest(tampered)  # matches the body, but was never signed
    response = _send(sandbox, headers, tampered)
    assert response.status_code == 401
    assert _found(sandbox, code) == 0


@pytest.mark.parametrize("minutes", [-16, 16])
def test_a_date_more_than_15_minutes_off_is_refused(
    sandbox: SandboxHandle, code: str, minutes: int
) -> None:
    body = _body(code)
    when = datetime.now(UTC) + timedelta(minutes=minutes)
    response = _send(sandbox, _signed(_creds(sandbox), body, when), body)
    assert response.status_code == 401
    assert _found(sandbox, code) == 0


def test_a_date_14_minutes_old_is_still_accepted(sandbox: SandboxHandle, code: str) -> None:
    body = _body(code)
    when = datetime.now(UTC) - timedelta(minutes=14)
    response = _send(sandbox, _signed(_creds(sandbox), body, when), body)
    assert response.status_code == 201


def test_the_refusal_carries_cybersource_s_401_body(sandbox: SandboxHandle, code: str) -> None:
    body = _body(code)
    headers = _signed(_creds(sandbox), body)
    headers["Signature"] = headers["Signature"].replace('signature="', 'signature="AAAA')
    response = _send(sandbox, headers, body)
    assert response.status_code == 401
    assert response.json()["response"]["rmsg"] == "Authentication Failed"
