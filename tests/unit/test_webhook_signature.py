"""The webhook verifier accepts FACTS §8.4's vector and refuses each failure mode."""

import pytest

from slpay.connectors.cybersource.webhook_signature import (
    WebhookSignatureError,
    sign_webhook,
    verify_webhook,
)

KEY = "d2ViaG9vay10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGU="
T = 1764072000000
BODY = (
    b'{"eventType":"payments.captures.accept","webhookId":"0f4a1c2e-1111-2222-3333-444455556666",'
    b'"productId":"cardProcessing","organizationId":"demo_merchant",'
    b'"eventDate":"2026-11-25T12:00:00","transactionTraceId":"a1b2c3d4e5-0","retryNumber":0,'
    b'"requestType":"NEW","payload":{"data":{"id":"7642912345678901234567","type":"captures"},'
    b'"organizationId":"demo_merchant"}}'
)
HEADER = "t=1764072000000;keyId=kid-1;sig=RD8EB0onJqQAU3UxnUr7+AhcbG4nZYdrhN2vatkgtwY="
KEYS = {"kid-1": KEY}


def test_facts_vector_is_accepted_on_raw_bytes() -> None:
    assert verify_webhook(BODY, HEADER, KEYS, now_ms=T + 1000) == "raw"


def test_our_signer_reproduces_facts_vector() -> None:
    assert sign_webhook(BODY, key_b64=KEY, key_id="kid-1", t_ms=T) == HEADER


def test_bad_signature_is_refused() -> None:
    bad = HEADER.replace("RD8E", "RD8F")
    with pytest.raises(WebhookSignatureError, match="mismatch"):
        verify_webhook(BODY, bad, KEYS, now_ms=T)


def test_unknown_key_id_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="unknown keyId"):
        verify_webhook(BODY, HEADER, {"other": KEY}, now_ms=T)


def test_stale_timestamp_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="replay window"):
        verify_webhook(BODY, HEADER, KEYS, now_ms=T + 301_000, tolerance_s=300)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "t=abc;keyId=kid-1;sig=xx",
        "t=1764072000000;sig=abc=",
        "t=1;keyId=kid-1;sig=@@",
    ],
)
def test_malformed_header_is_refused(header: str) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_webhook(BODY, header, KEYS, now_ms=1, tolerance_s=None)


def test_changed_body_is_refused() -> None:
    changed = BODY.replace(b"7642912345678901234567", b"7642912345678901234568")
    with pytest.raises(WebhookSignatureError, match="mismatch"):
        verify_webhook(changed, HEADER, KEYS, now_ms=T)
