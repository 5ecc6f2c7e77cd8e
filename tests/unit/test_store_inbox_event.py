"""How a verified notification becomes an inbox row: key, status, redacted payload."""

from __future__ import annotations

import json

from slpay.api.webhook import HANDLED_EVENT_TYPES, inbox_event, needs_redaction
from slpay.connectors.cybersource.webhooks import Notification
from slpay.store.schema import KEY_LENGTH

PAN = "4111111111111111"
TXN = "7642912345678901234567"


def note_and_raw(data: dict[str, object], event_type: str = "payments.captures.accept"):
    doc = {
        "eventType": event_type,
        "webhookId": "3f2c9d4e-8a7b-4c1d-9e0f-a1b2c3d4e5f6",
        "organizationId": "org1",
        "transactionTraceId": "trace-7",
        "payload": {"data": data, "organizationId": "org1"},
    }
    raw = json.dumps(doc).encode()
    return Notification.model_validate(doc), raw


def test_key_is_organization_event_type_and_resource_id() -> None:
    note, raw = note_and_raw({"id": TXN})
    event = inbox_event(note, _now(), raw)
    assert event.dedupe_key == f"org1|payments.captures.accept|{TXN}"
    assert (event.organization_id, event.resource_id) == ("org1", TXN)
    assert event.status == "new"
    assert event.trace_id == "trace-7"


def test_clean_payload_is_stored_as_received() -> None:
    note, raw = note_and_raw({"id": TXN, "status": "PENDING"})
    assert inbox_event(note, _now(), raw).payload == raw.decode()


def test_card_number_in_payload_is_masked_before_storage() -> None:
    note, raw = note_and_raw({"id": TXN, "note": f"card {PAN}", "securityCode": "123"})
    stored = inbox_event(note, _now(), raw).payload
    text = json.dumps(stored) if isinstance(stored, dict) else stored
    assert PAN not in text
    assert "411111******1111" in text
    assert "securityCode" not in text


def test_unknown_event_type_is_stored_as_ignored() -> None:
    note, raw = note_and_raw({"id": "tok1"}, event_type="tms.token.created")
    assert "tms.token.created" not in HANDLED_EVENT_TYPES
    assert inbox_event(note, _now(), raw).status == "ignored"


def test_very_long_resource_id_still_gives_a_bounded_unique_key() -> None:
    note_a, raw_a = note_and_raw({"id": "x" * 400 + "a"})
    note_b, raw_b = note_and_raw({"id": "x" * 400 + "b"})
    key_a = inbox_event(note_a, _now(), raw_a).dedupe_key
    key_b = inbox_event(note_b, _now(), raw_b).dedupe_key
    assert len(key_a) <= KEY_LENGTH
    assert key_a != key_b


def test_redaction_prescan_flags_what_the_redactor_would_change() -> None:
    assert not needs_redaction(f'{{"id":"{TXN}","t":"1764072000000"}}'.encode())
    assert not needs_redaction(b'{"webhookId":"0f4a1c2e-1111-2222-3333-444455556666"}')
    assert needs_redaction(f'{{"number":"{PAN}"}}'.encode())
    assert needs_redaction(f'{{"number": {PAN}}}'.encode())
    assert needs_redaction(b'{"n":"order 12 4111 1111 1111 1111"}')
    assert needs_redaction(b'{"n":"4111-1111-1111-1111"}')
    assert needs_redaction(b'{"card_security-Code":"1"}')
    assert needs_redaction(b'{"n":"\\u0034111111111111111"}')


def _now():
    from datetime import UTC, datetime

    return datetime(2026, 11, 25, 12, tzinfo=UTC)
