"""Webhook ``v-c-signature`` signing and verification (FACTS §8.4).

Header: ``t=<epoch ms>;keyId=<uuid>;sig=<base64>``; ``sig`` = base64(HMAC-SHA256(base64-decoded
key, ``t + "." + raw body``)). Verification runs on the raw bytes received, before any JSON
parsing, compares in constant time, looks the key up by ``keyId`` and refuses a stale ``t``.
The sandbox uses :func:`sign_webhook` to sign what it delivers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass


class WebhookSignatureError(Exception):
    """The notification is not authentic; ``reason`` says why (safe to log)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class ParsedSignature:
    t: str
    key_id: str
    sig: str


def parse_signature(header: str) -> ParsedSignature:
    parts: dict[str, str] = {}
    for chunk in header.split(";"):
        name, sep, value = chunk.strip().partition("=")  # sig may end in '='
        if not sep or not name:
            raise WebhookSignatureError("malformed signature header")
        parts[name.strip()] = value.strip()
    try:
        t, key_id, sig = parts["t"], parts["keyId"], parts["sig"]
    except KeyError as exc:
        raise WebhookSignatureError(f"signature header lacks {exc.args[0]}") from None
    if not t.isdigit() or not key_id or not sig:
        raise WebhookSignatureError("malformed signature header")
    return ParsedSignature(t, key_id, sig)


def _mac(key: bytes, t: str, body: bytes) -> bytes:
    return hmac.new(key, t.encode("ascii") + b"." + body, hashlib.sha256).digest()


def sign_webhook(body: bytes, *, key_b64: str, key_id: str, t_ms: int | None = None) -> str:
    """The ``v-c-signature`` value for ``body``."""
    t = str(t_ms if t_ms is not None else int(time.time() * 1000))
    sig = base64.b64encode(_mac(base64.b64decode(key_b64), t, body)).decode("ascii")
    return f"t={t};keyId={key_id};sig={sig}"


def verify_webhook(
    body: bytes,
    header: str | None,
    keys: Mapping[str, str],
    *,
    tolerance_s: float | None = 300,
    now_ms: int | None = None,
) -> str:
    """Check ``header`` against the raw ``body``; return which variant matched.

    ``keys`` maps keyId → base64 key. Returns ``"raw"`` when the signature covers the raw body,
    ``"payload"`` when it covers the compact re-serialised ``payload`` member (a variant one
    official plugin uses, FACTS §8.4). Raises :class:`WebhookSignatureError` otherwise.
    """
    if not header:
        raise WebhookSignatureError("missing v-c-signature header")
    parsed = parse_signature(header)
    key_b64 = keys.get(parsed.key_id)
    if key_b64 is None:
        raise WebhookSignatureError("unknown keyId")
    if tolerance_s is not None:
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        if abs(now - int(parsed.t)) > tolerance_s * 1000:
            raise WebhookSignatureError("timestamp outside the replay window")
    try:
        given = base64.b64decode(parsed.sig, validate=True)
        key = base64.b64decode(key_b64)
    except (binascii.Error, ValueError):
        raise WebhookSignatureError("malformed signature header") from None
    if hmac.compare_digest(_mac(key, parsed.t, body), given):
        return "raw"
    payload = _compact_payload(body)
    if payload is not None and hmac.compare_digest(_mac(key, parsed.t, payload), given):
        return "payload"
    raise WebhookSignatureError("signature mismatch")


def _compact_payload(body: bytes) -> bytes | None:
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict) or "payload" not in doc:
        return None
    return json.dumps(doc["payload"], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
