"""Wire conventions shared by every handler: ids, timestamps, Cybersource error bodies.

Error bodies follow FACTS §3.6: a 400 carries ``status``/``reason``/``message``/``details`` at
the top level (no ``errorInformation``), a 502 ``SERVER_ERROR``. Handlers raise
:class:`CsError`; the app turns it into the response.
"""

from __future__ import annotations

import itertools
import json
import secrets
import string
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_seq = itertools.count(1)

#: Card type codes (``paymentInformation.card.type``) → (report sub-type, report payment method).
CARD_TYPES: dict[str, tuple[str, str]] = {
    "001": ("VI", "Visa"),
    "002": ("MC", "MasterCard"),
    "003": ("AX", "American Express"),
    "004": ("DI", "Discover"),
    "005": ("DC", "Diners Club"),
    "007": ("JC", "JCB"),
}


def new_txn_id(now: datetime) -> str:
    """A 22-digit numeric id like Cybersource's: epoch seconds, a sequence, random digits."""
    seq = next(_seq) % 1_000_000
    return f"{int(now.timestamp()):010d}{seq:06d}{secrets.randbelow(1_000_000):06d}"


def new_token_id() -> str:
    """TMS token ids: 32 upper-case hex characters."""
    return secrets.token_hex(16).upper()


def new_reconciliation_id() -> str:
    """Processor reference (reports' ``trans_ref_no``); letters keep it from looking like a PAN."""
    letters = "".join(string.ascii_uppercase[b % 26] for b in secrets.token_bytes(6))
    return f"{secrets.randbelow(10**8):08d}{letters}{secrets.randbelow(100):02d}"


def new_numeric(n: int) -> str:
    return f"{secrets.randbelow(10**n):0{n}d}"


def utc_z(dt: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ``."""
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(dt: datetime) -> str:
    """Reporting style ``YYYY-MM-DDThh:mm:ss.sssZ``."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_day(value: str) -> date:
    return date.fromisoformat(value[:10])


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, default=_default).encode()


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


class CsError(Exception):
    """An error response in one of Cybersource's shapes."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        super().__init__(f"{status} {body.get('reason') or body.get('status')}")


def invalid(
    now: datetime,
    reason: str,
    message: str,
    *,
    fields: list[tuple[str, str]] | None = None,
) -> CsError:
    """400 ``INVALID_REQUEST`` with ``details[]`` naming the fields."""
    body: dict[str, Any] = {
        "submitTimeUtc": utc_z(now),
        "status": "INVALID_REQUEST",
        "reason": reason,
        "message": message,
    }
    if fields:
        body["details"] = [{"field": f, "reason": r} for f, r in fields]
    return CsError(400, body)


def missing(now: datetime, field: str) -> CsError:
    return invalid(
        now,
        "MISSING_FIELD",
        "Declined - The request is missing one or more fields",
        fields=[(field, "MISSING_FIELD")],
    )


def bad_field(now: datetime, field: str, message: str | None = None) -> CsError:
    return invalid(
        now,
        "INVALID_DATA",
        message or "Declined - One or more fields in the request contains invalid data",
        fields=[(field, "INVALID_DATA")],
    )


def server_error(now: datetime, reason: str = "SYSTEM_ERROR", status: int = 502) -> CsError:
    return CsError(
        status,
        {
            "submitTimeUtc": utc_z(now),
            "status": "SERVER_ERROR",
            "reason": reason,
            "message": "Error - General system failure.",
        },
    )


def not_found(now: datetime, message: str = "The requested resource does not exist") -> CsError:
    return CsError(
        404,
        {
            "submitTimeUtc": utc_z(now),
            "status": "NOT_FOUND",
            "reason": "NOT_FOUND",
            "message": message,
        },
    )


def reporting_not_found(now: datetime, message: str) -> CsError:
    """Reporting 404 (spec: ``submitTimeUtc``, ``reason``, ``message``, ``details``)."""
    return CsError(
        404,
        {
            "submitTimeUtc": utc_z(now),
            "reason": "RESOURCE_NOT_FOUND",
            "message": message,
            "details": [],
        },
    )


def tms_error(status: int, kind: str, message: str, field: str | None = None) -> CsError:
    """TMS errors: ``{"errors": [{"type", "message", "details": [{"name", "location"}]}]}``."""
    err: dict[str, Any] = {"type": kind, "message": message}
    if field:
        err["details"] = [{"name": field, "location": "body"}]
    return CsError(status, {"errors": [err]})


def unauthorized(now: datetime) -> CsError:
    """401. ``response.rmsg`` is what the live API returns; ``errorInformation`` is the 401
    shape the 2020 spec documents (transaction-batches). Both are sent so either reader works."""
    return CsError(
        401,
        {
            "submitTimeUtc": utc_z(now),
            "errorInformation": {
                "reason": "AUTHENTICATION_FAILED",
                "message": "Authentication Failed",
            },
            "response": {"rmsg": "Authentication Failed"},
        },
    )
