"""The :class:`Call` value and the helpers every operation module uses to build one."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote, urlencode

from pydantic import BaseModel

from slpay.connectors.cybersource.models.common import TransactionResponse, to_json

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

JSON_ACCEPT = "application/hal+json;charset=utf-8"
CSV_ACCEPT = "text/csv"

#: How an ambiguous money-moving call is settled (FACTS §11):
#: ``reverse``  search, else timeout reversal (an authorization);
#: ``void``     search, else timeout void (capture, refund);
#: ``void_reverse`` search, else timeout void then timeout reversal (a sale, auth + capture);
#: ``search``   search only; if not found the caller decides (reversals and voids: a second
#:              one is refused by Cybersource, so re-sending them cannot move money twice).
Resolution = Literal["reverse", "void", "void_reverse", "search"]


@dataclass(slots=True)
class Call(Generic[T]):
    """One HTTP exchange with Cybersource, described, not performed (treat as immutable)."""

    operation: str
    method: str
    #: Path with its encoded query string: exactly the signed ``request-target``.
    path: str
    parse: Callable[[bytes], T]
    body: bytes | None = None
    accept: str = JSON_ACCEPT
    money_moving: bool = False
    request: BaseModel | None = None
    resolution: Resolution | None = None
    #: Builds the result from a transaction found by search (``resolution`` calls only).
    from_found: Callable[[dict[str, Any]], T] | None = None

    @property
    def transaction_id(self) -> str | None:
        """The request's ``clientReferenceInformation.transactionId``, if it has one."""
        ref = getattr(self.request, "client_reference_information", None)
        return getattr(ref, "transaction_id", None)

    @property
    def code(self) -> str | None:
        ref = getattr(self.request, "client_reference_information", None)
        return getattr(ref, "code", None)


def seg(value: str) -> str:
    """A path segment, percent-encoded so an id can never change the path."""
    if not value:
        raise ValueError("an id is required")
    return quote(value, safe="")


def with_query(path: str, params: Mapping[str, object | None]) -> str:
    """``path?a=1&b=2`` with ``None`` dropped, percent-encoded (spaces as ``%20``)."""
    items = [(k, _param(v)) for k, v in params.items() if v is not None]
    return f"{path}?{urlencode(items, quote_via=quote)}" if items else path


def _param(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def iso_utc(value: datetime) -> str:
    """Reporting's time format, ``2026-01-01T00:00:00.000Z``; naive datetimes are refused."""
    if value.tzinfo is None:
        raise ValueError("reporting times must be timezone-aware")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_model(model: type[M]) -> Callable[[bytes], M]:
    return model.model_validate_json


def parse_document(content: bytes) -> dict[str, Any]:
    """A JSON object with its null members dropped (what ``model_dump(exclude_none=True)``
    of the typed model gives); anything else is unreadable (``ValueError``)."""
    document = json.loads(content)
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object")
    return {k: _without_nulls(v) for k, v in document.items() if v is not None}


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value


def parse_none(_: bytes) -> None:
    """Parser for answers without a body (204 on deletes)."""
    return None


def parse_bytes(content: bytes) -> bytes:
    """Parser for files (report downloads): the bytes as received."""
    return content


@cache
def found_parser(
    model: type[TransactionResponse], operation: str
) -> Callable[[dict[str, Any]], Any]:
    """Builds ``model`` from a search hit, marked ``resolved_by_search``."""

    def build(summary: dict[str, Any]) -> TransactionResponse:
        result = model.model_validate(summary)
        if result.status is None:
            result.status = status_from_applications(operation, summary)
        result._resolved_by_search = True
        return result

    return build


# A successful classic application (rCode 1) means the operation's usual success status.
_SUCCESS_STATUS = {
    "authorize": "AUTHORIZED",
    "capture": "PENDING",
    "refund_payment": "PENDING",
    "refund_capture": "PENDING",
    "reverse": "REVERSED",
    "void_payment": "VOIDED",
    "void_capture": "VOIDED",
    "void_refund": "VOIDED",
}


def status_from_applications(operation: str, summary: Mapping[str, Any]) -> str | None:
    info = summary.get("applicationInformation")
    r_code = str(info.get("rCode")) if isinstance(info, Mapping) else None
    if r_code == "1":
        return _SUCCESS_STATUS.get(operation)
    if r_code == "0":
        return "DECLINED"
    return None


def post(
    operation: str,
    path: str,
    request: BaseModel,
    model: type[M],
    *,
    resolution: Resolution | None = None,
    money_moving: bool = False,
) -> Call[M]:
    rebuild = None
    if resolution is not None and issubclass(model, TransactionResponse):
        rebuild = found_parser(model, operation)
    return Call(
        operation=operation,
        method="POST",
        path=path,
        parse=parse_model(model),
        body=to_json(request),
        money_moving=money_moving or resolution is not None,
        request=request,
        resolution=resolution,
        from_found=rebuild,
    )
