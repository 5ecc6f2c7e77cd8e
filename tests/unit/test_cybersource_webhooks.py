"""Inbound notifications: verified on raw bytes, parsed, decrypted, keyed for dedupe."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from joserfc.jwk import RSAKey
from pydantic import SecretStr

from slpay.config import CybersourceSettings
from slpay.connectors.cybersource import jwe
from slpay.connectors.cybersource.webhook_signature import WebhookSignatureError, sign_webhook
from slpay.connectors.cybersource.webhooks import (
    WebhookOpener,
    WebhookPayloadError,
    open_notification,
)

# FACTS §8.4 test vector.
VECTOR_KEY = "d2ViaG9vay10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGU="
VECTOR_T = 1764072000000
VECTOR_BODY = (
    b'{"eventType":"payments.captures.accept","webhookId":"0f4a1c2e-1111-2222-3333-444455556666",'
    b'"productId":"cardProcessing","organizationId":"demo_merchant",'
    b'"eventDate":"2026-11-25T12:00:00","transactionTraceId":"a1b2c3d4e5-0","retryNumber":0,'
    b'"requestType":"NEW","payload":{"data":{"id":"7642912345678901234567","type":"captures"},'
    b'"organizationId":"demo_merchant"}}'
)
VECTOR_SIG = "t=1764072000000;keyId=k1;sig=RD8EB0onJqQAU3UxnUr7+AhcbG4nZYdrhN2vatkgtwY="
KEY_ID = "k1"


@pytest.fixture(scope="module")
def rsa() -> RSAKey:
    return jwe.generate_key()


def opener(decryption_key: RSAKey | None = None) -> WebhookOpener:
    return WebhookOpener(keys={KEY_ID: VECTOR_KEY}, decryption_key=decryption_key)


def deliver(envelope: dict[str, Any] | bytes, t_ms: int = VECTOR_T) -> tuple[bytes, dict[str, str]]:
    raw = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    return raw, {"v-c-signature": sign_webhook(raw, key_b64=VECTOR_KEY, key_id=KEY_ID, t_ms=t_ms)}


def test_facts_vector_is_verified_and_parsed() -> None:
    note = opener().open(VECTOR_BODY, {"V-C-Signature": VECTOR_SIG}, now_ms=VECTOR_T + 1000)
    assert note.event_type == "payments.captures.accept"
    assert note.retry_number == 0
    assert note.resource_id == "7642912345678901234567"
    assert note.dedupe_key == (
        "demo_merchant",
        "payments.captures.accept",
        "7642912345678901234567",
    )
    assert note.signature_variant == "raw"
    assert not note.encrypted
    assert note.event_at is not None
    assert note.event_at.isoformat() == "2026-11-25T12:00:00+00:00"


def test_a_changed_body_is_refused_before_parsing() -> None:
    tampered = VECTOR_BODY.replace(b"7642912345678901234567", b"7642912345678901234568")
    with pytest.raises(WebhookSignatureError):
        opener().open(tampered, {"v-c-signature": VECTOR_SIG}, now_ms=VECTOR_T)


def test_a_stale_delivery_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="replay"):
        opener().open(VECTOR_BODY, {"v-c-signature": VECTOR_SIG}, now_ms=VECTOR_T + 301_000)


def test_retries_of_one_event_share_the_dedupe_key() -> None:
    first = json.loads(VECTOR_BODY)
    retry = {**first, "transactionTraceId": "zzz-1", "retryNumber": 1, "requestType": "RETRY"}
    keys = {opener().open(*deliver(e), now_ms=VECTOR_T).dedupe_key for e in (first, retry)}
    assert len(keys) == 1


def test_list_payloads_and_header_only_fields_are_understood() -> None:
    envelope = {
        "webhookId": "w",
        "payload": [{"data": {"id": "7000000000000000000001"}, "organizationId": "org9"}],
    }
    raw, headers = deliver(envelope)
    headers["v-c-event-type"] = "payments.payments.accept"
    note = opener().open(raw, headers, now_ms=VECTOR_T)
    assert note.dedupe_key == ("org9", "payments.payments.accept", "7000000000000000000001")


def test_notification_without_resource_id_is_keyed_by_payload_hash() -> None:
    envelope = {
        "eventType": "test",
        "organizationId": "o",
        "payload": {"testPayload": {"message": "hi"}},
    }
    note = opener().open(*deliver(envelope), now_ms=VECTOR_T)
    assert note.resource_id is None
    assert note.dedupe_key[2].startswith("sha256:")
    again = opener().open(*deliver({**envelope, "retryNumber": 2}), now_ms=VECTOR_T)
    assert again.dedupe_key == note.dedupe_key


@pytest.mark.parametrize("member", ["encryptedPayload", "encData", "encryptedRequest"])
def test_encrypted_payload_member_is_decrypted(rsa: RSAKey, member: str) -> None:
    secret = {"data": {"id": "7000000000000000000007", "type": "payments"}}
    envelope = {
        "eventType": "payments.payments.accept",
        "organizationId": "org",
        "payload": {
            member: jwe.encrypt_payload(secret, jwe.public_pem(rsa)),
            "organizationId": "o",
        },
    }
    note = opener(rsa).open(*deliver(envelope), now_ms=VECTOR_T)
    assert note.encrypted
    assert note.resource_id == "7000000000000000000007"
    assert note.payload == {"organizationId": "o", **secret}


def test_a_body_holding_only_an_encrypted_envelope_is_decrypted(rsa: RSAKey) -> None:
    """The embedded sandbox's shape: ``{"encData": JWE(whole envelope)}``, signed as sent."""
    envelope = json.loads(VECTOR_BODY)
    raw, headers = deliver({"encData": jwe.encrypt_payload(envelope, rsa)})
    note = opener(rsa).open(raw, headers, now_ms=VECTOR_T)
    assert note.encrypted
    assert note.dedupe_key == (
        "demo_merchant",
        "payments.captures.accept",
        "7642912345678901234567",
    )


def test_payload_that_is_itself_a_jwe_string_is_decrypted(rsa: RSAKey) -> None:
    secret = {"data": {"id": "7000000000000000000008"}}
    envelope = {
        "eventType": "e",
        "organizationId": "o",
        "payload": jwe.encrypt_payload(secret, rsa),
    }
    note = opener(rsa).open(*deliver(envelope), now_ms=VECTOR_T)
    assert note.resource_id == "7000000000000000000008"


def test_a_body_that_is_a_compact_jwe_is_decrypted_after_verification(rsa: RSAKey) -> None:
    envelope = {"eventType": "e", "organizationId": "o", "payload": {"data": {"id": "9"}}}
    raw = jwe.encrypt_payload(envelope, rsa).encode()
    note = opener(rsa).open(*deliver(raw), now_ms=VECTOR_T)
    assert note.encrypted
    assert note.dedupe_key == ("o", "e", "9")


def test_a_tampered_jwe_is_refused(rsa: RSAKey) -> None:
    token = jwe.encrypt_payload({"data": {"id": "1"}}, rsa)
    head, key, iv, ciphertext, tag = token.split(".")
    flipped = ("B" if ciphertext[0] != "B" else "C") + ciphertext[1:]
    envelope = {"eventType": "e", "payload": {"encData": f"{head}.{key}.{iv}.{flipped}.{tag}"}}
    with pytest.raises(WebhookPayloadError, match="cannot decrypt"):
        opener(rsa).open(*deliver(envelope), now_ms=VECTOR_T)


def test_a_jwe_for_another_key_is_refused(rsa: RSAKey) -> None:
    other = jwe.generate_key()
    envelope = {"eventType": "e", "payload": {"encData": jwe.encrypt_payload({"a": 1}, other)}}
    with pytest.raises(WebhookPayloadError):
        opener(rsa).open(*deliver(envelope), now_ms=VECTOR_T)


def test_an_encrypted_delivery_without_a_configured_key_is_refused(rsa: RSAKey) -> None:
    envelope = {"eventType": "e", "payload": {"encData": jwe.encrypt_payload({"a": 1}, rsa)}}
    with pytest.raises(WebhookPayloadError, match="webhook_decryption_key"):
        opener(None).open(*deliver(envelope), now_ms=VECTOR_T)


def test_a_signed_body_that_is_not_json_is_refused() -> None:
    with pytest.raises(WebhookPayloadError, match="not JSON"):
        opener().open(*deliver(b"hello"), now_ms=VECTOR_T)


def test_open_notification_reads_keys_and_decryption_key_from_settings(rsa: RSAKey) -> None:
    settings = CybersourceSettings(
        webhook_keys={KEY_ID: SecretStr(VECTOR_KEY)},
        webhook_decryption_key=SecretStr(jwe.private_pem(rsa)),
    )
    sealed = jwe.encrypt_payload({"data": {"id": "42"}}, rsa)
    envelope = {"eventType": "e", "organizationId": "o", "payload": {"encData": sealed}}
    raw, headers = deliver(envelope)
    note = open_notification(raw, headers, settings, now_ms=VECTOR_T)
    assert note.resource_id == "42"


def test_jwe_uses_rsa_oaep_256_with_a256gcm(rsa: RSAKey) -> None:
    token = jwe.encrypt_payload(b"x", rsa, kid="mle-1")
    encoded = token.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert header == {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "mle-1"}
    assert jwe.decrypt_payload(token, rsa) == b"x"
