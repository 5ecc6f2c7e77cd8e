"""Inbound Cybersource notifications: verify, parse, decrypt (FACTS §8.3–§8.4, DESIGN).

:func:`open_notification` is the one entry point the webhook endpoint needs::

    opener = WebhookOpener.from_settings(settings.cybersource)       # once
    note = opener.open(raw_body, request.headers)                    # per request
    inbox.add(note.dedupe_key, note)                                 # persist, then 2xx

1. **verify** ``v-c-signature`` over the raw bytes received, before any parsing
   (:func:`~.webhook_signature.verify_webhook`: key by ``keyId``, replay window on ``t``,
   constant-time compare). Failure raises
   :class:`~.webhook_signature.WebhookSignatureError` (answer 401).
2. **parse** the envelope (``eventType``, ``webhookId``, ``productId``, ``organizationId``,
   ``eventDate``, ``transactionTraceId``, ``retryNumber``, ``requestType``, ``payload``; the
   payload is an object or, in older deliveries, a list of objects). Unknown fields are kept.
3. **decrypt** message-level encryption when present: the whole body may be a compact JWE,
   or the envelope (or its ``payload``) may carry one as a string ``payload`` or in a member
   named ``encryptedPayload``, ``encData`` or ``encryptedRequest``. The decrypted JSON object
   replaces that member (its other members are kept). A JWE that does not decrypt with the
   configured key raises :class:`WebhookPayloadError` (answer 400, never 2xx).

Dedupe key (DESIGN "Keys"): ``(organizationId, eventType, payload.data.id)``. There is no
notification id and ``transactionTraceId`` changes on every retry. When the payload has no
resource id (test notifications) the third part is ``sha256:`` of the canonical payload.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from joserfc.jwk import RSAKey
from pydantic import PrivateAttr
from pydantic import ValidationError as PydanticValidationError

from slpay.config import CybersourceSettings
from slpay.connectors.cybersource.jwe import JweError, decrypt_json, load_key, looks_like_jwe
from slpay.connectors.cybersource.models.common import Wire, parse_utc
from slpay.connectors.cybersource.webhook_signature import verify_webhook
from slpay.errors import ValidationError

#: Members that carry a JWE in encrypted deliveries (FACTS §8.3; names seen in plugins).
ENCRYPTED_MEMBERS = ("encryptedPayload", "encData", "encryptedRequest")


class WebhookPayloadError(ValidationError):
    """An authentic notification whose body cannot be used (not JSON, not decryptable)."""


class Notification(Wire):
    """A verified, decrypted notification envelope."""

    event_type: str | None = None
    webhook_id: str | None = None
    product_id: str | None = None
    organization_id: str | None = None
    event_date: str | None = None
    transaction_trace_id: str | None = None
    retry_number: int | None = None
    request_type: str | None = None
    payload: dict[str, Any] | list[Any] | None = None

    _signature_variant: str = PrivateAttr(default="raw")
    _encrypted: bool = PrivateAttr(default=False)

    @property
    def signature_variant(self) -> str:
        """``raw`` (signature over the body) or ``payload`` (over the compact payload)."""
        return self._signature_variant

    @property
    def encrypted(self) -> bool:
        """True when the delivery was message-level encrypted."""
        return self._encrypted

    @property
    def data(self) -> dict[str, Any] | None:
        """``payload.data`` (first element when the payload is a list)."""
        payload = self.payload
        if isinstance(payload, list):
            payload = payload[0] if payload else None
        data = payload.get("data") if isinstance(payload, dict) else None
        return data if isinstance(data, dict) else None

    @property
    def resource_id(self) -> str | None:
        """The id of the transaction/token the event is about (``payload.data.id``)."""
        data = self.data
        value = data.get("id") if data else None
        return str(value) if value is not None else None

    @property
    def dedupe_key(self) -> tuple[str, str, str]:
        """``(organizationId, eventType, resource id)`` — stable across retries."""
        resource = (
            self.resource_id or "sha256:" + hashlib.sha256(_canonical(self.payload)).hexdigest()
        )
        return (self.organization_id or "", self.event_type or "", resource)

    @property
    def event_at(self) -> datetime | None:
        """``eventDate`` as an aware UTC datetime (Cybersource sends it without offset)."""
        return parse_utc(self.event_date)


@dataclass(frozen=True)
class WebhookOpener:
    """Verification keys, replay window and decryption key, prepared once."""

    keys: Mapping[str, str]
    tolerance_s: float | None = 300
    decryption_key: RSAKey | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: CybersourceSettings) -> WebhookOpener:
        key = settings.webhook_decryption_key
        return cls(
            keys={kid: secret.get_secret_value() for kid, secret in settings.webhook_keys.items()},
            tolerance_s=settings.webhook_tolerance_s,
            decryption_key=load_key(key.get_secret_value()) if key is not None else None,
        )

    def open(
        self, raw_body: bytes, headers: Mapping[str, str], *, now_ms: int | None = None
    ) -> Notification:
        """Verify → parse → decrypt one delivery (see the module docstring)."""
        signature = _header(headers, "v-c-signature")
        variant = verify_webhook(
            raw_body, signature, self.keys, tolerance_s=self.tolerance_s, now_ms=now_ms
        )
        document, encrypted = self._document(raw_body)
        try:
            note = Notification.model_validate(document)
        except PydanticValidationError as exc:
            raise WebhookPayloadError(
                f"not a notification envelope: {exc.errors()[0]['msg']}"
            ) from None
        _fill_from_headers(note, headers)
        note._signature_variant = variant
        note._encrypted = encrypted
        return note

    def _document(self, raw_body: bytes) -> tuple[dict[str, Any], bool]:
        if looks_like_jwe(raw_body):
            return _as_object(self._decrypt(raw_body.strip())), True
        try:
            document = json.loads(raw_body)
        except ValueError:
            raise WebhookPayloadError("body is not JSON") from None
        if not isinstance(document, dict):
            raise WebhookPayloadError("body is not a JSON object")
        encrypted = self._open_member(document)
        payload = document.get("payload")
        if isinstance(payload, str) and looks_like_jwe(payload):
            document["payload"] = self._decrypt(payload)
            encrypted = True
        elif isinstance(payload, dict):
            encrypted = self._open_member(payload) or encrypted
        return document, encrypted

    def _open_member(self, container: dict[str, Any]) -> bool:
        """Replace an encrypted member of ``container`` by the object it decrypts to."""
        for name in ENCRYPTED_MEMBERS:
            value = container.get(name)
            if isinstance(value, str):
                decrypted = _as_object(self._decrypt(value))
                del container[name]
                container.update(decrypted)
                return True
        return False

    def _decrypt(self, token: str | bytes) -> Any:
        if self.decryption_key is None:
            raise WebhookPayloadError(
                "encrypted notification but no cybersource.webhook_decryption_key configured"
            )
        try:
            return decrypt_json(token, self.decryption_key)
        except JweError as exc:
            raise WebhookPayloadError(str(exc)) from None


def open_notification(
    raw_body: bytes,
    headers: Mapping[str, str],
    opener: WebhookOpener | CybersourceSettings,
    *,
    now_ms: int | None = None,
) -> Notification:
    """Verify, parse and decrypt one delivery (build a :class:`WebhookOpener` once if hot)."""
    if isinstance(opener, CybersourceSettings):
        opener = WebhookOpener.from_settings(opener)
    return opener.open(raw_body, headers, now_ms=now_ms)


def _as_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WebhookPayloadError("decrypted payload is not a JSON object")
    return value


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, val in headers.items():
            if key.lower() == name:
                return val
    return value


# Envelope members that Cybersource also sends as headers (FACTS §8.3).
_HEADER_FIELDS = {
    "event_type": "v-c-event-type",
    "organization_id": "v-c-organization-id",
    "webhook_id": "v-c-webhook-id",
    "transaction_trace_id": "v-c-transaction-trace-id",
    "request_type": "v-c-request-type",
}


def _fill_from_headers(note: Notification, headers: Mapping[str, str]) -> None:
    """Take missing envelope members from the ``v-c-*`` headers (never override the body)."""
    for attr, header in _HEADER_FIELDS.items():
        if getattr(note, attr) is None:
            value = _header(headers, header)
            if value:
                setattr(note, attr, value)
    if note.organization_id is None and note.data is not None:
        payload = note.payload[0] if isinstance(note.payload, list) else note.payload
        org = payload.get("organizationId") if isinstance(payload, dict) else None
        if isinstance(org, str):
            note.organization_id = org
