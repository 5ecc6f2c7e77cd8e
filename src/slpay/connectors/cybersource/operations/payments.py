"""Payments, transaction details and search, Decision Manager actions (FACTS §3-§5)."""

from __future__ import annotations

from typing import Any, Literal

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
from slpay.connectors.cybersource.models.risk import DecisionActionRequest, DecisionActionResponse
from slpay.connectors.cybersource.models.tss import (
    SearchRequest,
    SearchResponse,
    TransactionDetails,
)
from slpay.connectors.cybersource.operations.calls import (
    Call,
    Resolution,
    parse_document,
    parse_model,
    post,
    seg,
)


def authorize(request: PaymentRequest) -> Call[PaymentResponse]:
    sale = bool(request.processing_information and request.processing_information.capture)
    resolution: Resolution = "void_reverse" if sale else "reverse"
    return post("authorize", "/pts/v2/payments", request, PaymentResponse, resolution=resolution)


def capture(payment_id: str, request: CaptureRequest) -> Call[CaptureResponse]:
    path = f"/pts/v2/payments/{seg(payment_id)}/captures"
    return post("capture", path, request, CaptureResponse, resolution="void")


def refund_payment(payment_id: str, request: RefundRequest) -> Call[RefundResponse]:
    path = f"/pts/v2/payments/{seg(payment_id)}/refunds"
    return post("refund_payment", path, request, RefundResponse, resolution="void")


def refund_capture(capture_id: str, request: RefundRequest) -> Call[RefundResponse]:
    path = f"/pts/v2/captures/{seg(capture_id)}/refunds"
    return post("refund_capture", path, request, RefundResponse, resolution="void")


def reverse(payment_id: str, request: ReversalRequest) -> Call[ReversalResponse]:
    path = f"/pts/v2/payments/{seg(payment_id)}/reversals"
    return post("reverse", path, request, ReversalResponse, resolution="search")


VoidTarget = Literal["payments", "captures", "refunds", "credits"]
_VOID_OPERATION = {
    "payments": "void_payment",
    "captures": "void_capture",
    "refunds": "void_refund",
    "credits": "void_credit",
}


def void(kind: VoidTarget, target_id: str, request: VoidRequest) -> Call[VoidResponse]:
    """POST ``/pts/v2/{kind}/{id}/voids`` (before the batch closes)."""
    path = f"/pts/v2/{kind}/{seg(target_id)}/voids"
    return post(_VOID_OPERATION[kind], path, request, VoidResponse, resolution="search")


def timeout_reversal(request: ReversalRequest) -> Call[ReversalResponse]:
    """POST ``/pts/v2/reversals`` (no trailing slash in the current API, FACTS §0)."""
    path = "/pts/v2/reversals"
    return post("timeout_reversal", path, request, ReversalResponse, money_moving=True)


def timeout_void(request: VoidRequest) -> Call[VoidResponse]:
    return post("timeout_void", "/pts/v2/voids", request, VoidResponse, money_moving=True)


# --- transaction details and search ----------------------------------------------------------


def get_transaction(transaction_id: str) -> Call[TransactionDetails]:
    path = f"/tss/v2/transactions/{seg(transaction_id)}"
    return Call("get_transaction", "GET", path, parse_model(TransactionDetails))


def get_transaction_document(transaction_id: str) -> Call[dict[str, Any]]:
    """The same read as :func:`get_transaction`, kept as the JSON document (nulls dropped):
    the hub's enrichment maps the document itself, so a typed model it would dump again is
    skipped (about a quarter of the client's time per read)."""
    path = f"/tss/v2/transactions/{seg(transaction_id)}"
    return Call("get_transaction", "GET", path, parse_document)


def search(request: SearchRequest) -> Call[SearchResponse]:
    return post("search", "/tss/v2/searches", request, SearchResponse)


# --- Decision Manager ------------------------------------------------------------------------


def decision_action(
    transaction_id: str, request: DecisionActionRequest
) -> Call[DecisionActionResponse]:
    """Accept or reject a case. Moves money (capture/reversal): never blindly re-sent."""
    path = f"/risk/v1/decisions/{seg(transaction_id)}/actions"
    return post("decision_action", path, request, DecisionActionResponse, money_moving=True)
