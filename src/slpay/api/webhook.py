"""``POST /webhooks/cybersource``: the raw ASGI ingest handler (the hub's fast path).

This route is served without the framework: at several thousand deliveries a second, routing,
request objects and dependency injection cost more than the work itself (DESIGN.md's probe:
≈9,400/s raw with group commit, ≈4,300/s behind a plain FastAPI route). Steps per delivery:

1. read the body, refusing more than ``api.max_webhook_body_bytes`` (413);
2. verify ``v-c-signature`` on the raw bytes, parse, decrypt (the connector's
   :class:`~slpay.connectors.cybersource.webhooks.WebhookOpener`): 401 bad signature, unknown
   key or stale ``t``; 400 not JSON, not an envelope, not decryptable;
3. the organization id must be one configured (403);
4. the event — redacted — goes to the group-commit writer, and the answer (2xx) waits for the
   commit. A duplicate is 2xx too (and counted); an event type the hub does not process is
   stored as ``ignored``, 2xx. A failed commit or a full queue answers 503, so Cybersource
   retries: nothing acknowledged is ever lost.

``GET`` and ``HEAD`` answer 200: Cybersource pings the webhook URL to activate a subscription.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from datetime import UTC, datetime
from typing import Any

from slpay.api.metrics import HubMetrics
from slpay.connectors.cybersource.webhook_signature import WebhookSignatureError
from slpay.connectors.cybersource.webhooks import Notification, WebhookOpener
from slpay.errors import ValidationError
from slpay.logs import get_logger
from slpay.redact import CVV_KEYS, redact_data, redact_text
from slpay.store.group_commit import GroupCommitWriter, WriterBusy
from slpay.store.inbox import NewEvent
from slpay.store.schema import KEY_LENGTH

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

WEBHOOK_PATH = "/webhooks/cybersource"

#: Event types the hub processes; any other authentic event is stored as ``ignored``
#: (FACTS §8.2: card processing and Decision Manager events).
HANDLED_EVENT_TYPES = frozenset(
    {
        "payments.payments.accept",
        "payments.payments.review",
        "payments.payments.reject",
        "payments.payments.partial.approval",
        "payments.reversals.accept",
        "payments.reversals.reject",
        "payments.captures.accept",
        "payments.captures.review",
        "payments.captures.reject",
        "payments.refunds.accept",
        "payments.refunds.reject",
        "payments.refunds.partial.approval",
        "payments.credits.accept",
        "payments.credits.review",
        "payments.credits.reject",
        "payments.credits.partial.approval",
        "payments.voids.accept",
        "payments.voids.reject",
        "risk.profile.decision.review",
        "risk.profile.decision.reject",
        "risk.casemanagement.decision.accept",
        "risk.casemanagement.decision.reject",
    }
)

_log = get_logger(__name__)
_JSON = [(b"content-type", b"application/json")]


class Refused(Exception):
    """A delivery answered with an error status; ``reason`` labels the metric."""

    def __init__(self, status: int, reason: str, detail: str):
        self.status = status
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


def dedupe_key(note: Notification) -> tuple[str, str, str, str]:
    """(key, organization id, event type, resource id); the key is at most KEY_LENGTH long."""
    org, event_type, resource = note.dedupe_key
    key = f"{org}|{event_type}|{resource}"
    if len(key) > KEY_LENGTH:  # absurdly long ids: keep the key unique and bounded
        key = f"{org[:64]}|{event_type[:100]}|sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key, org, event_type, resource[:128]


# Digits, spaces and dashes (what a card-number run is made of) become 0xFF, a byte that never
# occurs in UTF-8; 13 of them in a row mark a stretch the redactor might mask.
_RUN_BYTES = bytes.maketrans(b"0123456789 -", b"\xff" * 12)
_THIRTEEN = b"\xff" * 13
_CVV_NAMES = tuple(f'"{name}"'.encode() for name in CVV_KEYS)


def needs_redaction(raw: bytes) -> bool:
    """False only when the JSON ``raw`` provably holds nothing slpay.redact would change.

    The full walk of :func:`~slpay.redact.redact_data` costs more than everything else on the
    webhook path, and almost no notification carries card data (Cybersource sends tokens).
    So the raw bytes are scanned first, in C: a ``\\u`` escape, a stretch of digits that the
    redactor masks (each stretch of 13 or more digits, spaces and dashes is handed to
    :func:`~slpay.redact.redact_text` itself), or a CVV-like member name sends the event
    through the full walk.
    """
    if b"\\u" in raw:
        return True
    marked = raw.translate(_RUN_BYTES)
    start = marked.find(_THIRTEEN)
    while start != -1:
        end = start + 13
        while end < len(marked) and marked[end] == 0xFF:
            end += 1
        run = raw[start:end].decode("ascii")
        # An ungrouped run longer than any card (a 22-digit transaction id) is never masked.
        if not (len(run) > 19 and run.isdigit()) and redact_text(run) != run:
            return True
        start = marked.find(_THIRTEEN, end)
    folded = raw.lower().replace(b"_", b"").replace(b"-", b"")
    return any(name in folded for name in _CVV_NAMES)


def stored_payload(note: Notification, raw: bytes) -> dict[str, Any] | str:
    """What the inbox keeps: the raw JSON when it is clean, else the redacted envelope."""
    if not note.encrypted and not needs_redaction(raw):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    redacted: dict[str, Any] = redact_data(note.model_dump(by_alias=True, exclude_none=True))
    return redacted


def inbox_event(note: Notification, received_at: datetime, raw: bytes = b"") -> NewEvent:
    """The inbox row for a verified notification; the stored payload is redacted."""
    key, org, event_type, resource = dedupe_key(note)
    return NewEvent(
        dedupe_key=key,
        organization_id=org,
        event_type=event_type,
        resource_id=resource,
        payload=stored_payload(note, raw),
        source="webhook",
        status="new" if event_type in HANDLED_EVENT_TYPES else "ignored",
        received_at=received_at,
        trace_id=note.transaction_trace_id,
    )


class WebhookIngest:
    """The ASGI application serving ``WEBHOOK_PATH``."""

    def __init__(
        self,
        opener: WebhookOpener,
        writer: GroupCommitWriter[NewEvent, bool],
        metrics: HubMetrics,
        *,
        organization_ids: Collection[str],
        max_body_bytes: int,
    ) -> None:
        self.opener = opener
        self.writer = writer
        self.metrics = metrics
        self.organization_ids = frozenset(organization_ids)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method in ("GET", "HEAD"):
            await _answer(send, 200, b'{"status":"ok"}')
            return
        if method != "POST":
            await _answer(send, 405, b'{"error":"method not allowed"}', [(b"allow", b"POST")])
            return
        try:
            status, body = await self._ingest(scope, receive)
        except Refused as exc:
            self.metrics.refused.labels(exc.reason).inc()
            _log.warning("webhook_refused", status=exc.status, reason=exc.reason, detail=exc.detail)
            status, body = exc.status, json.dumps({"error": exc.detail}).encode()
            extra = [(b"retry-after", b"1")] if exc.status == 503 else []
            await _answer(send, status, body, extra)
            return
        await _answer(send, status, body)

    async def _ingest(self, scope: Scope, receive: Receive) -> tuple[int, bytes]:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        raw = await self._read_body(headers, receive)
        event = self._open(raw, headers)
        try:
            is_new = await self.writer.write(event)
        except WriterBusy as exc:
            raise Refused(503, "busy", "the inbox writer is saturated; retry later") from exc
        except Exception as exc:  # a failed commit: never acknowledge
            _log.error("webhook_store_failed", error=type(exc).__name__, detail=str(exc)[:500])
            raise Refused(503, "store_failed", "could not store the event; retry later") from exc
        self.metrics.received.inc()
        if not is_new:
            self.metrics.deduplicated.inc()
            return 200, b'{"status":"duplicate"}'
        if event.status == "ignored":
            self.metrics.ignored.inc()
            return 200, b'{"status":"ignored"}'
        return 200, b'{"status":"accepted"}'

    async def _read_body(self, headers: dict[str, str], receive: Receive) -> bytes:
        limit = self.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise Refused(413, "too_large", f"body over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Refused(400, "disconnected", "client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise Refused(413, "too_large", f"body over {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _open(self, raw: bytes, headers: dict[str, str]) -> NewEvent:
        received_at = datetime.now(UTC)
        try:
            note = self.opener.open(raw, headers)
        except WebhookSignatureError as exc:
            raise Refused(401, "signature", exc.reason) from None
        except ValidationError as exc:
            raise Refused(400, "malformed", exc.reason) from None
        except RecursionError:  # JSON nested beyond the parser's limit
            raise Refused(400, "malformed", "body nested too deeply") from None
        if not note.organization_id or not note.event_type:
            raise Refused(400, "malformed", "organizationId and eventType are required")
        if note.organization_id not in self.organization_ids:
            raise Refused(403, "organization", "organization id not configured")
        return inbox_event(note, received_at, raw)


async def _answer(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [*_JSON, (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
