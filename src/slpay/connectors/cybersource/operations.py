"""Every Cybersource operation as a plain value: method, path, exact body bytes, parser.

A :class:`Call` is what the sync and the async client both execute, so the two share all
request shaping, and contract tests can read ``call.body`` (the exact bytes that would be
sent and digested) without a server::

    call = operations.authorize(build_authorize_request(Money.of("10.00", "USD"), ...))
    call.method, call.path, call.body   # "POST", "/pts/v2/payments", b'{"clientRef…'

``money_moving`` calls are classified as :class:`~slpay.errors.AmbiguousOutcome` on a timeout
or 5xx and are then *resolved* (see :mod:`~slpay.connectors.cybersource.resolver`), never
re-sent blindly; ``resolution`` says how.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote, urlencode

from pydantic import BaseModel, TypeAdapter

from slpay.connectors.cybersource.models.common import TransactionResponse, to_json
from slpay.connectors.cybersource.models.notifications import (
    CreateKeyRequest,
    CreateWebhookRequest,
    Webhook,
    WebhookKey,
)
from slpay.connectors.cybersource.models.payments import (
    CaptureRequest,
    CaptureResponse,
    PaymentRequest,
    PaymentResponse,
    RefundRequest,
    RefundResponse,
    ReversalRequest,
    ReversalResponse,
    VoidRequest,
    VoidResponse,
)
from slpay.connectors.cybersource.models.reporting import (
    ChargebackDetails,
    NetFundings,
    PaymentBatchSummaries,
)
from slpay.connectors.cybersource.models.risk import DecisionActionRequest, DecisionActionResponse
from slpay.connectors.cybersource.models.tms import (
    Customer,
    InstrumentIdentifier,
    InstrumentIdentifierRequest,
    PaymentInstrument,
    PaymentInstrumentList,
)
from slpay.connectors.cybersource.models.tss import (
    SearchRequest,
    SearchResponse,
    TransactionDetails,
)

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


def _seg(value: str) -> str:
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


def _model(model: type[M]) -> Callable[[bytes], M]:
    return model.model_validate_json


def _none(_: bytes) -> None:
    return None


def _bytes(content: bytes) -> bytes:
    return content


@cache
def _found(model: type[TransactionResponse], operation: str) -> Callable[[dict[str, Any]], Any]:
    def build(summary: dict[str, Any]) -> TransactionResponse:
        result = model.model_validate(summary)
        if result.status is None:
            result.status = _status_from_applications(operation, summary)
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


def _status_from_applications(operation: str, summary: Mapping[str, Any]) -> str | None:
    info = summary.get("applicationInformation")
    r_code = str(info.get("rCode")) if isinstance(info, Mapping) else None
    if r_code == "1":
        return _SUCCESS_STATUS.get(operation)
    if r_code == "0":
        return "DECLINED"
    return None


def _post(
    operation: str,
    path: str,
    request: BaseModel,
    model: type[M],
    *,
    resolution: Resolution | None = None,
    money_moving: bool = False,
) -> Call[M]:
    found = None
    if resolution is not None and issubclass(model, TransactionResponse):
        found = _found(model, operation)
    return Call(
        operation=operation,
        method="POST",
        path=path,
        parse=_model(model),
        body=to_json(request),
        money_moving=money_moving or resolution is not None,
        request=request,
        resolution=resolution,
        from_found=found,
    )


# --- payments ------------------------------------------------------------------------------


def authorize(request: PaymentRequest) -> Call[PaymentResponse]:
    sale = bool(request.processing_information and request.processing_information.capture)
    resolution: Resolution = "void_reverse" if sale else "reverse"
    return _post("authorize", "/pts/v2/payments", request, PaymentResponse, resolution=resolution)


def capture(payment_id: str, request: CaptureRequest) -> Call[CaptureResponse]:
    path = f"/pts/v2/payments/{_seg(payment_id)}/captures"
    return _post("capture", path, request, CaptureResponse, resolution="void")


def refund_payment(payment_id: str, request: RefundRequest) -> Call[RefundResponse]:
    path = f"/pts/v2/payments/{_seg(payment_id)}/refunds"
    return _post("refund_payment", path, request, RefundResponse, resolution="void")


def refund_capture(capture_id: str, request: RefundRequest) -> Call[RefundResponse]:
    path = f"/pts/v2/captures/{_seg(capture_id)}/refunds"
    return _post("refund_capture", path, request, RefundResponse, resolution="void")


def reverse(payment_id: str, request: ReversalRequest) -> Call[ReversalResponse]:
    path = f"/pts/v2/payments/{_seg(payment_id)}/reversals"
    return _post("reverse", path, request, ReversalResponse, resolution="search")


VoidTarget = Literal["payments", "captures", "refunds", "credits"]
_VOID_OPERATION = {
    "payments": "void_payment",
    "captures": "void_capture",
    "refunds": "void_refund",
    "credits": "void_credit",
}


def void(kind: VoidTarget, target_id: str, request: VoidRequest) -> Call[VoidResponse]:
    """POST ``/pts/v2/{kind}/{id}/voids`` (before the batch closes)."""
    path = f"/pts/v2/{kind}/{_seg(target_id)}/voids"
    return _post(_VOID_OPERATION[kind], path, request, VoidResponse, resolution="search")


def timeout_reversal(request: ReversalRequest) -> Call[ReversalResponse]:
    """POST ``/pts/v2/reversals`` (no trailing slash in the current API, FACTS §0)."""
    path = "/pts/v2/reversals"
    return _post("timeout_reversal", path, request, ReversalResponse, money_moving=True)


def timeout_void(request: VoidRequest) -> Call[VoidResponse]:
    return _post("timeout_void", "/pts/v2/voids", request, VoidResponse, money_moving=True)


# --- transaction details and search ----------------------------------------------------------


def get_transaction(transaction_id: str) -> Call[TransactionDetails]:
    path = f"/tss/v2/transactions/{_seg(transaction_id)}"
    return Call("get_transaction", "GET", path, _model(TransactionDetails))


def search(request: SearchRequest) -> Call[SearchResponse]:
    return _post("search", "/tss/v2/searches", request, SearchResponse)


# --- Decision Manager ------------------------------------------------------------------------


def decision_action(
    transaction_id: str, request: DecisionActionRequest
) -> Call[DecisionActionResponse]:
    """Accept or reject a case. Moves money (capture/reversal): never blindly re-sent."""
    path = f"/risk/v1/decisions/{_seg(transaction_id)}/actions"
    return _post("decision_action", path, request, DecisionActionResponse, money_moving=True)


# --- TMS -------------------------------------------------------------------------------------


def create_customer(request: Customer) -> Call[Customer]:
    return _post("create_customer", "/tms/v2/customers", request, Customer)


def get_customer(customer_id: str) -> Call[Customer]:
    return Call("get_customer", "GET", f"/tms/v2/customers/{_seg(customer_id)}", _model(Customer))


def delete_customer(customer_id: str) -> Call[None]:
    return Call("delete_customer", "DELETE", f"/tms/v2/customers/{_seg(customer_id)}", _none)


def create_customer_payment_instrument(
    customer_id: str, request: PaymentInstrument
) -> Call[PaymentInstrument]:
    path = f"/tms/v2/customers/{_seg(customer_id)}/payment-instruments"
    return _post("create_customer_payment_instrument", path, request, PaymentInstrument)


def list_customer_payment_instruments(
    customer_id: str, *, offset: int = 0, limit: int = 20
) -> Call[PaymentInstrumentList]:
    path = with_query(
        f"/tms/v2/customers/{_seg(customer_id)}/payment-instruments",
        {"offset": offset, "limit": limit},
    )
    return Call("list_customer_payment_instruments", "GET", path, _model(PaymentInstrumentList))


def get_customer_payment_instrument(
    customer_id: str, instrument_id: str
) -> Call[PaymentInstrument]:
    path = f"/tms/v2/customers/{_seg(customer_id)}/payment-instruments/{_seg(instrument_id)}"
    return Call("get_customer_payment_instrument", "GET", path, _model(PaymentInstrument))


def delete_customer_payment_instrument(customer_id: str, instrument_id: str) -> Call[None]:
    path = f"/tms/v2/customers/{_seg(customer_id)}/payment-instruments/{_seg(instrument_id)}"
    return Call("delete_customer_payment_instrument", "DELETE", path, _none)


def create_payment_instrument(request: PaymentInstrument) -> Call[PaymentInstrument]:
    path = "/tms/v1/paymentinstruments"
    return _post("create_payment_instrument", path, request, PaymentInstrument)


def get_payment_instrument(instrument_id: str) -> Call[PaymentInstrument]:
    path = f"/tms/v1/paymentinstruments/{_seg(instrument_id)}"
    return Call("get_payment_instrument", "GET", path, _model(PaymentInstrument))


def delete_payment_instrument(instrument_id: str) -> Call[None]:
    path = f"/tms/v1/paymentinstruments/{_seg(instrument_id)}"
    return Call("delete_payment_instrument", "DELETE", path, _none)


def create_instrument_identifier(
    request: InstrumentIdentifierRequest,
) -> Call[InstrumentIdentifier]:
    path = "/tms/v1/instrumentidentifiers"
    return _post("create_instrument_identifier", path, request, InstrumentIdentifier)


def get_instrument_identifier(identifier_id: str) -> Call[InstrumentIdentifier]:
    path = f"/tms/v1/instrumentidentifiers/{_seg(identifier_id)}"
    return Call("get_instrument_identifier", "GET", path, _model(InstrumentIdentifier))


def delete_instrument_identifier(identifier_id: str) -> Call[None]:
    path = f"/tms/v1/instrumentidentifiers/{_seg(identifier_id)}"
    return Call("delete_instrument_identifier", "DELETE", path, _none)


# --- reporting -------------------------------------------------------------------------------


def net_fundings(
    start: datetime,
    end: datetime,
    *,
    organization_id: str | None = None,
    group_name: str | None = None,
) -> Call[NetFundings]:
    path = with_query(
        "/reporting/v3/net-fundings",
        {
            "startTime": start,
            "endTime": end,
            "organizationId": organization_id,
            "groupName": group_name,
        },
    )
    return Call("net_fundings", "GET", path, _model(NetFundings))


def payment_batch_summaries(
    start: datetime,
    end: datetime,
    *,
    organization_id: str | None = None,
    roll_up: str | None = None,
    breakdown: str | None = None,
    start_day_of_week: int | None = None,
) -> Call[PaymentBatchSummaries]:
    path = with_query(
        "/reporting/v3/payment-batch-summaries",
        {
            "startTime": start,
            "endTime": end,
            "organizationId": organization_id,
            "rollUp": roll_up,
            "breakdown": breakdown,
            "startDayOfWeek": start_day_of_week,
        },
    )
    return Call("payment_batch_summaries", "GET", path, _model(PaymentBatchSummaries))


def download_report(
    report_date: date,
    report_name: str,
    *,
    organization_id: str | None = None,
    accept: str = CSV_ACCEPT,
) -> Call[bytes]:
    """GET ``/reporting/v3/report-downloads``: the file itself (``reportDate`` = the day after)."""
    path = with_query(
        "/reporting/v3/report-downloads",
        {"organizationId": organization_id, "reportDate": report_date, "reportName": report_name},
    )
    return Call("download_report", "GET", path, _bytes, accept=accept)


def chargeback_details(
    start: datetime, end: datetime, *, organization_id: str | None = None
) -> Call[ChargebackDetails]:
    path = with_query(
        "/reporting/v3/chargeback-details",
        {"startTime": start, "endTime": end, "organizationId": organization_id},
    )
    return Call("chargeback_details", "GET", path, _model(ChargebackDetails))


# --- notification subscriptions ---------------------------------------------------------------

_WEBHOOKS = TypeAdapter(list[Webhook])


def create_webhook_key(request: CreateKeyRequest) -> Call[WebhookKey]:
    return _post("create_webhook_key", "/kms/egress/v2/keys-sym", request, WebhookKey)


def create_webhook(request: CreateWebhookRequest) -> Call[Webhook]:
    return _post("create_webhook", "/notification-subscriptions/v2/webhooks", request, Webhook)


def list_webhooks(
    organization_id: str | None = None,
    *,
    product_id: str | None = None,
    event_type: str | None = None,
) -> Call[list[Webhook]]:
    path = with_query(
        "/notification-subscriptions/v2/webhooks",
        {"organizationId": organization_id, "productId": product_id, "eventType": event_type},
    )
    return Call("list_webhooks", "GET", path, _WEBHOOKS.validate_json)


def get_webhook(webhook_id: str) -> Call[Webhook]:
    path = f"/notification-subscriptions/v2/webhooks/{_seg(webhook_id)}"
    return Call("get_webhook", "GET", path, _model(Webhook))


def delete_webhook(webhook_id: str) -> Call[None]:
    path = f"/notification-subscriptions/v2/webhooks/{_seg(webhook_id)}"
    return Call("delete_webhook", "DELETE", path, _none)
