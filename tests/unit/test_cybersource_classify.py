"""The one Cybersource classifier: every HTTP outcome maps to the error the caller can act on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from slpay.connectors.cybersource.classify import (
    CybersourceInvalidRequest,
    classify_exception,
    classify_response,
    decline_error,
    parse_body,
    parse_retry_after,
)
from slpay.errors import (
    AmbiguousOutcome,
    AuthenticationError,
    Declined,
    ExternalError,
    NotFoundError,
    PermanentError,
    TransientError,
)
from slpay.retry import should_retry

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
BODY_400 = {
    "submitTimeUtc": "2026-01-01T12:00:00Z",
    "status": "INVALID_REQUEST",
    "reason": "MISSING_FIELD",
    "message": "Declined - The request is missing one or more fields",
    "details": [{"field": "orderInformation.amountDetails.totalAmount", "reason": "MISSING_FIELD"}],
}
BODY_502 = {"submitTimeUtc": "…", "status": "SERVER_ERROR", "reason": "SERVER_TIMEOUT"}
BODY_500 = {
    "id": "6000000000000000000001",
    "status": "500",
    "errorInformation": {"reason": "SYSTEM_ERROR", "message": "boom"},
}
BODY_401 = {"response": {"rmsg": "Authentication Failed"}}

# (status, body, money_moving, expected error type or None)
TABLE: list[tuple[int, Any, bool, type[ExternalError] | None]] = [
    (200, {"id": "1"}, False, None),
    (201, {"id": "1", "status": "DECLINED"}, True, None),  # declines are returned
    (204, None, False, None),
    (400, BODY_400, True, CybersourceInvalidRequest),
    (400, BODY_400, False, CybersourceInvalidRequest),
    (400, {**BODY_400, "reason": "PROCESSOR_UNAVAILABLE"}, True, TransientError),
    (401, BODY_401, True, AuthenticationError),
    (403, None, False, AuthenticationError),
    (404, {"message": "not found"}, False, NotFoundError),
    (405, None, False, CybersourceInvalidRequest),
    (409, None, True, CybersourceInvalidRequest),
    (412, None, False, CybersourceInvalidRequest),
    (408, None, False, TransientError),
    (408, None, True, AmbiguousOutcome),
    (429, None, True, TransientError),
    (429, None, False, TransientError),
    (500, BODY_500, False, TransientError),
    (500, BODY_500, True, AmbiguousOutcome),
    (502, BODY_502, False, TransientError),
    (502, BODY_502, True, AmbiguousOutcome),
    (503, None, True, TransientError),
    (503, None, False, TransientError),
    (504, None, False, TransientError),
    (504, None, True, AmbiguousOutcome),
    (599, None, True, AmbiguousOutcome),
    (302, None, False, PermanentError),
]


@pytest.mark.parametrize(("status", "body", "money", "expected"), TABLE)
def test_status_and_body_map_to_the_error_the_caller_can_act_on(
    status: int, body: Any, money: bool, expected: type[ExternalError] | None
) -> None:
    error = classify_response("capture", status, body, {}, money_moving=money, now=NOW)
    if expected is None:
        assert error is None
        return
    assert type(error) is expected
    assert error.system == "cybersource"
    assert error.operation == "capture"
    assert error.status == status


def test_ambiguous_outcome_is_never_retried_but_rate_limits_are() -> None:
    ambiguous = classify_response("authorize", 502, BODY_502, {}, money_moving=True)
    limited = classify_response("authorize", 429, None, {}, money_moving=True)
    assert not should_retry(ambiguous)  # type: ignore[arg-type]
    assert should_retry(limited)  # type: ignore[arg-type]


def test_400_carries_reason_and_field_details() -> None:
    error = classify_response("authorize", 400, BODY_400, {}, money_moving=True)
    assert isinstance(error, CybersourceInvalidRequest)
    assert error.reason == "MISSING_FIELD"
    assert error.details == [("orderInformation.amountDetails.totalAmount", "MISSING_FIELD")]
    assert "orderInformation.amountDetails.totalAmount" in str(error)


def test_500_reads_reason_from_error_information_and_request_id_from_body() -> None:
    error = classify_response("get_transaction", 500, BODY_500, {}, money_moving=False)
    assert error is not None
    assert error.reason == "SYSTEM_ERROR"
    assert error.request_id == "6000000000000000000001"


def test_correlation_header_is_preferred_as_request_id_whatever_its_case() -> None:
    headers = {"V-C-Correlation-Id": "corr-123"}
    error = classify_response("search", 503, {"id": "9"}, headers, money_moving=False)
    assert error is not None
    assert error.request_id == "corr-123"
    h = httpx.Headers({"v-c-correlation-id": "corr-456"})
    error = classify_response("search", 503, None, h, money_moving=False)
    assert error is not None
    assert error.request_id == "corr-456"


def test_401_message_comes_from_the_rmsg_shape() -> None:
    error = classify_response("authorize", 401, BODY_401, {}, money_moving=True)
    assert error is not None
    assert "Authentication Failed" in str(error)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(header: str | None, expected: float) -> None:
    assert parse_retry_after(header, NOW) == expected


def test_retry_after_travels_on_429_and_503_errors() -> None:
    for status in (429, 503):
        error = classify_response(
            "search", status, None, {"Retry-After": "12"}, money_moving=False, now=NOW
        )
        assert error is not None
        assert error.retry_after == 12.0


def test_error_bodies_are_pan_redacted() -> None:
    body = {"message": "card 4111111111111111 refused", "reason": "INVALID_DATA"}
    error = classify_response("authorize", 400, body, {}, money_moving=True)
    assert error is not None
    assert "4111111111111111" not in repr(error.body)


@pytest.mark.parametrize(
    ("exc", "money", "expected"),
    [
        (httpx.ConnectError("refused"), True, TransientError),
        (httpx.ConnectTimeout("slow"), True, TransientError),
        (httpx.PoolTimeout("busy"), True, TransientError),
        (httpx.ReadTimeout("hang"), True, AmbiguousOutcome),
        (httpx.ReadTimeout("hang"), False, TransientError),
        (httpx.WriteTimeout("hang"), True, AmbiguousOutcome),
        (httpx.RemoteProtocolError("dropped"), True, AmbiguousOutcome),
        (httpx.RemoteProtocolError("dropped"), False, TransientError),
        (httpx.ReadError("reset"), True, AmbiguousOutcome),
        (httpx.UnsupportedProtocol("ftp"), True, PermanentError),
    ],
)
def test_network_failures_are_ambiguous_only_after_a_money_moving_request_was_sent(
    exc: httpx.HTTPError, money: bool, expected: type[ExternalError]
) -> None:
    error = classify_exception("capture", exc, money_moving=money)
    assert type(error) is expected
    assert error.operation == "capture"


@pytest.mark.parametrize(
    ("status", "declined"),
    [
        ("DECLINED", True),
        ("AUTHORIZED_RISK_DECLINED", True),
        ("INVALID_REQUEST", True),
        ("FAILED", True),
        ("AUTHORIZED", False),
        ("AUTHORIZED_PENDING_REVIEW", False),
        ("PENDING", False),
        ("SOMETHING_NEW", False),
    ],
)
def test_decline_error_only_for_refusal_statuses(status: str, declined: bool) -> None:
    body = {"id": "7", "status": status, "errorInformation": {"reason": "INSUFFICIENT_FUND"}}
    error = decline_error("authorize", body)
    assert (error is not None) is declined
    if error is not None:
        assert isinstance(error, Declined)
        assert error.reason == "INSUFFICIENT_FUND"
        assert error.request_id == "7"
        assert error.status == 201


def test_non_json_bodies_do_not_break_classification() -> None:
    assert parse_body(b"<html>Bad gateway</html>") is None
    assert parse_body(b"") is None
    assert parse_body(b"{broken") is None
    error = classify_response("search", 502, parse_body(b"<html/>"), {}, money_moving=False)
    assert isinstance(error, TransientError)
