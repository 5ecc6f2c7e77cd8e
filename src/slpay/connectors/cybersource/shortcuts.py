"""Conveniences shared by both clients: a ``Money`` where a plain request would do."""

from __future__ import annotations

from pydantic import SecretStr

from slpay.connectors.cybersource.models.payments import (
    CaptureRequest,
    RefundRequest,
    ReversalRequest,
    VoidRequest,
)
from slpay.connectors.cybersource.models.tms import InstrumentIdentifierRequest
from slpay.connectors.cybersource.requests import (
    build_capture_request,
    build_instrument_identifier_request,
    build_refund_request,
    build_reversal_request,
    build_void_request,
)
from slpay.domain.money import Money


def capture_request(request: CaptureRequest | Money, code: str | None) -> CaptureRequest:
    return build_capture_request(request, code=code) if isinstance(request, Money) else request


def refund_request(request: RefundRequest | Money, code: str | None) -> RefundRequest:
    return build_refund_request(request, code=code) if isinstance(request, Money) else request


def reversal_request(request: ReversalRequest | Money, code: str | None) -> ReversalRequest:
    return build_reversal_request(request, code=code) if isinstance(request, Money) else request


def void_request(request: VoidRequest | None, code: str | None) -> VoidRequest:
    return request if request is not None else build_void_request(code=code)


def instrument_identifier_request(
    request: InstrumentIdentifierRequest | SecretStr | str,
) -> InstrumentIdentifierRequest:
    if isinstance(request, InstrumentIdentifierRequest):
        return request
    return build_instrument_identifier_request(request)
