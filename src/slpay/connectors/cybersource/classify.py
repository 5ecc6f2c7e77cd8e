"""The one place that turns a Cybersource outcome into an slpay error (DESIGN convention 4).

============================================  ===============================================
Outcome                                       Error (``slpay.errors``)
============================================  ===============================================
2xx                                           none; a 201 *decline* is returned, see below
429, 503                                      :class:`TransientError` (``retry_after`` set from
                                              ``Retry-After``: seconds or an HTTP date)
400 ``PROCESSOR_UNAVAILABLE``                 :class:`TransientError` (refused, nothing done)
408, 500, 502, 504, other 5xx                 money-moving POST: :class:`AmbiguousOutcome`;
                                              otherwise :class:`TransientError`
401, 403                                      :class:`AuthenticationError`
404                                           :class:`NotFoundError`
other 4xx (400, 409, 412 …)                   :class:`CybersourceInvalidRequest` with
                                              ``reason`` and ``details`` (field, reason)
anything else (1xx, 3xx)                      :class:`PermanentError`
no connection / connect or pool timeout       :class:`TransientError` (never sent)
read timeout, dropped connection after send   money-moving: :class:`AmbiguousOutcome`;
                                              otherwise :class:`TransientError`
201 ``DECLINED``, ``AUTHORIZED_RISK_          :class:`Declined` from :func:`decline_error`
DECLINED``, ``INVALID_REQUEST``, ``FAILED``   (``reason`` = ``errorInformation.reason``)
============================================  ===============================================

A 201 decline is a business outcome the hub records, so client methods *return* it and this
module only builds the error on request (``response.raise_for_decline()``). Every error carries
``system="cybersource"``, the operation name, the HTTP status and the remote request id (the
``v-c-correlation-id`` header, else the body's ``id``); bodies are stored PAN-redacted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from slpay.errors import (
    AmbiguousOutcome,
    AuthenticationError,
    Declined,
    ExternalError,
    InvalidRequest,
    NotFoundError,
    PermanentError,
    TransientError,
)
from slpay.redact import redact_data

SYSTEM = "cybersource"

_DECLINES = frozenset({"DECLINED", "AUTHORIZED_RISK_DECLINED", "INVALID_REQUEST", "FAILED"})
#: 400 reasons that mean "refused before anything happened, try later".
_TRANSIENT_400_REASONS = frozenset({"PROCESSOR_UNAVAILABLE"})
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_OUR_FAULT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL)


class CybersourceInvalidRequest(InvalidRequest):
    """Cybersource refused the request; ``details`` lists ``(field, reason)`` pairs."""

    details: list[tuple[str | None, str | None]]


def parse_body(content: bytes) -> Any:
    """The JSON body, or ``None`` when there is none or it is not JSON (e.g. a proxy's HTML)."""
    stripped = content.lstrip()
    if not stripped or stripped[:1] not in (b"{", b"["):
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def remote_request_id(headers: Mapping[str, str], body: Any) -> str | None:
    """Cybersource's id for this exchange: ``v-c-correlation-id``, else the body's ``id``."""
    header = _header(headers, "v-c-correlation-id")
    if header:
        return header
    if isinstance(body, dict) and isinstance(body.get("id"), str | int):
        return str(body["id"])
    return None


def classify_response(
    operation: str,
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    money_moving: bool,
    now: datetime | None = None,
) -> ExternalError | None:
    """The error for a non-2xx answer (``None`` for 2xx). Pure: table-tested."""
    if 200 <= status < 300:
        return None
    reason, message, details = _error_fields(body)
    context: dict[str, Any] = {
        "system": SYSTEM,
        "operation": operation,
        "status": status,
        "request_id": remote_request_id(headers, body),
        "reason": reason,
        "body": redact_data(body) if body is not None else None,
    }
    retry_after = parse_retry_after(_header(headers, "retry-after"), now)
    if status in (429, 503):
        text = "rate limited" if status == 429 else "service unavailable"
        return TransientError(message or text, retry_after=retry_after, **context)
    if status == 400 and reason in _TRANSIENT_400_REASONS:
        return TransientError(message or "processor unavailable", **context)
    if status == 408 or status >= 500:
        if money_moving:
            return AmbiguousOutcome("outcome unknown: the request may have taken effect", **context)
        return TransientError(message or "server error", retry_after=retry_after, **context)
    if status in (401, 403):
        return AuthenticationError(message or "credentials refused", **context)
    if status == 404:
        return NotFoundError(message or "not found", **context)
    if 400 <= status < 500:
        detail_text = "; ".join(f"{f}: {r}" for f, r in details)
        text = message or "request refused"
        error = CybersourceInvalidRequest(
            f"{text} [{detail_text}]" if detail_text else text, **context
        )
        error.details = details
        return error
    return PermanentError(f"unexpected HTTP {status}", **context)


def classify_exception(
    operation: str, exc: httpx.HTTPError, *, money_moving: bool
) -> ExternalError:
    """The error for a request that got no HTTP answer."""
    context: dict[str, Any] = {"system": SYSTEM, "operation": operation}
    kind = type(exc).__name__
    if isinstance(exc, _OUR_FAULT):
        return PermanentError(f"request could not be sent ({kind})", **context)
    if isinstance(exc, _NEVER_SENT):
        return TransientError(f"could not reach Cybersource ({kind})", **context)
    if money_moving:
        return AmbiguousOutcome(
            f"no response after the request was sent ({kind}): it may have taken effect",
            **context,
        )
    return TransientError(f"no response ({kind})", **context)


def decline_error(
    operation: str, body: Mapping[str, Any], *, http_status: int = 201
) -> Declined | None:
    """A :class:`Declined` for a 201 whose ``status`` is a refusal, else ``None``."""
    status = body.get("status")
    if status not in _DECLINES:
        return None
    info = body.get("errorInformation")
    info = info if isinstance(info, Mapping) else {}
    reason = info.get("reason") if isinstance(info.get("reason"), str) else None
    message = info.get("message") if isinstance(info.get("message"), str) else None
    tx_id = body.get("id")
    return Declined(
        message or f"{operation} {str(status).lower().replace('_', ' ')}",
        system=SYSTEM,
        operation=operation,
        status=http_status,
        request_id=str(tx_id) if tx_id is not None else None,
        reason=reason or str(status),
        body=redact_data(dict(body)),
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and not isinstance(headers, httpx.Headers):
        for key, val in headers.items():
            if key.lower() == name:
                return val
    return value


def _error_fields(body: Any) -> tuple[str | None, str | None, list[tuple[str | None, str | None]]]:
    """``reason``, ``message`` and ``details`` wherever this body shape keeps them."""
    if not isinstance(body, dict):
        return None, None, []
    source: dict[str, Any] = body
    if "reason" not in body and isinstance(body.get("errorInformation"), dict):
        source = body["errorInformation"]  # the 500 shape of FACTS §3.6
    reason = source.get("reason")
    message = source.get("message")
    if message is None and isinstance(body.get("response"), dict):
        message = body["response"].get("rmsg")  # the 401 shape: {"response":{"rmsg":…}}
    details: list[tuple[str | None, str | None]] = []
    raw_details = source.get("details")
    if isinstance(raw_details, list):
        for item in raw_details:
            if isinstance(item, dict):
                details.append((_str(item.get("field")), _str(item.get("reason"))))
    return _str(reason), _str(message), details


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
