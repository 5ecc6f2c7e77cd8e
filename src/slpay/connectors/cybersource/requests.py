"""Request builders: domain values in, wire models out (FACTS §3.2, §4, §5.2, §6, §8.1).

Every money-moving request gets a ``clientReferenceInformation.transactionId`` (generated when
the caller gives none, at most 30 characters) that stays the same across retries: it is what
the timeout reversal/void and the transaction search use to find the request again (FACTS §11).
Amounts come in as :class:`~slpay.domain.money.Money` and leave as strings. Payments refer to
tokens only. The contract tests serialize these models with
:func:`~slpay.connectors.cybersource.models.common.to_json`, the same bytes the client sends.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence

from slpay.connectors.cybersource.models.common import (
    Address,
    AmountDetails,
    ClientReferenceInformation,
    IdRef,
    LineItem,
    OrderInformation,
    mdd_list,
)
from slpay.connectors.cybersource.models.payments import (
    AmountOnly,
    AuthorizationOptions,
    BuyerInformation,
    CaptureOptions,
    CaptureRequest,
    CardExpiry,
    DeviceInformation,
    PaymentInformation,
    PaymentRequest,
    ProcessingInformation,
    RefundOptions,
    RefundRequest,
    ReversalInformation,
    ReversalRequest,
    TokenInformation,
    VoidRequest,
)
from slpay.connectors.cybersource.models.risk import (
    ActionProcessingInformation,
    DecisionActionRequest,
    DecisionInformation,
)
from slpay.connectors.cybersource.models.tss import SearchRequest
from slpay.connectors.cybersource.setup_requests import (
    build_customer_request,
    build_instrument_identifier_request,
    build_payment_instrument_request,
    build_webhook_key_request,
    build_webhook_request,
)
from slpay.domain.money import Money
from slpay.errors import ValidationError

# Set-up builders live in setup_requests; re-exported so every builder is ``requests.build_*``.
__all__ = [
    "build_authorize_request",
    "build_capture_request",
    "build_customer_request",
    "build_decision_action_request",
    "build_instrument_identifier_request",
    "build_payment_instrument_request",
    "build_refund_request",
    "build_reversal_request",
    "build_search_request",
    "build_timeout_reversal_request",
    "build_timeout_void_request",
    "build_void_request",
    "build_webhook_key_request",
    "build_webhook_request",
    "new_transaction_id",
    "reference",
]

MAX_CODE = 50
MAX_TRANSACTION_ID = 30
MAX_SEARCH_LIMIT = 2500

MerchantDefined = Mapping[int, str] | Mapping[str, str] | Iterable[tuple[int | str, str]]


def new_transaction_id() -> str:
    """A fresh ``clientReferenceInformation.transactionId`` (24 hex characters)."""
    return secrets.token_hex(12)


def reference(code: str | None, transaction_id: str | None) -> ClientReferenceInformation:
    """``clientReferenceInformation`` with a transactionId (generated if missing)."""
    if code is not None and not 0 < len(code) <= MAX_CODE:
        raise ValidationError(f"must be 1..{MAX_CODE} characters", field="code")
    tid = transaction_id or new_transaction_id()
    if len(tid) > MAX_TRANSACTION_ID:
        raise ValidationError(
            f"must be at most {MAX_TRANSACTION_ID} characters", field="transaction_id"
        )
    return ClientReferenceInformation(code=code, transaction_id=tid)


def _none_if_empty(model: ProcessingInformation) -> ProcessingInformation | None:
    return model if any(v is not None for v in model.__dict__.values()) else None


def _amount(amount: Money, field: str = "amount") -> AmountDetails:
    if amount.amount < 0:
        raise ValidationError("Cybersource amounts are never negative", field=field)
    return AmountDetails(total_amount=amount.amount, currency=amount.currency)


def build_authorize_request(
    amount: Money,
    *,
    code: str,
    transaction_id: str | None = None,
    capture: bool = False,
    customer_id: str | None = None,
    payment_instrument_id: str | None = None,
    instrument_identifier_id: str | None = None,
    shipping_address_id: str | None = None,
    transient_token: str | None = None,
    expiration_month: str | None = None,
    expiration_year: str | None = None,
    bill_to: Address | None = None,
    ship_to: Address | None = None,
    line_items: Sequence[LineItem] | None = None,
    merchant_defined: MerchantDefined | None = None,
    commerce_indicator: str | None = None,
    action_list: Sequence[str] | None = None,
    action_token_types: Sequence[str] | None = None,
    authorization_options: AuthorizationOptions | None = None,
    buyer: BuyerInformation | None = None,
    device: DeviceInformation | None = None,
) -> PaymentRequest:
    """POST ``/pts/v2/payments``: an authorization, or a sale with ``capture=True``.

    Pay with a TMS token (``customer_id``, ``payment_instrument_id``, or
    ``instrument_identifier_id`` with the expiry) or a Microform ``transient_token``.
    """
    if not any((customer_id, payment_instrument_id, instrument_identifier_id, transient_token)):
        raise ValidationError("a payment needs a TMS token or a transient token", field="payment")
    payment = None
    if customer_id or payment_instrument_id or instrument_identifier_id or shipping_address_id:
        card = None
        if expiration_month or expiration_year:
            card = CardExpiry(expiration_month=expiration_month, expiration_year=expiration_year)
        payment = PaymentInformation(
            customer=IdRef(id=customer_id) if customer_id else None,
            payment_instrument=IdRef(id=payment_instrument_id) if payment_instrument_id else None,
            instrument_identifier=(
                IdRef(id=instrument_identifier_id) if instrument_identifier_id else None
            ),
            shipping_address=IdRef(id=shipping_address_id) if shipping_address_id else None,
            card=card,
        )
    if buyer is not None and buyer.email and not (bill_to and bill_to.email):
        # The buyer's e-mail travels in billTo (FACTS §3.2); buyerInformation has no email.
        bill_to = (bill_to or Address()).model_copy(update={"email": buyer.email})
    processing = ProcessingInformation(
        capture=True if capture else None,
        commerce_indicator=commerce_indicator,
        action_list=list(action_list) if action_list else None,
        action_token_types=list(action_token_types) if action_token_types else None,
        authorization_options=authorization_options,
    )
    return PaymentRequest(
        client_reference_information=reference(code, transaction_id),
        processing_information=_none_if_empty(processing),
        payment_information=payment,
        token_information=(
            TokenInformation(transient_token_jwt=transient_token) if transient_token else None
        ),
        order_information=OrderInformation(
            amount_details=_amount(amount),
            bill_to=bill_to,
            ship_to=ship_to,
            line_items=list(line_items) if line_items else None,
        ),
        buyer_information=buyer,
        device_information=device,
        merchant_defined_information=mdd_list(merchant_defined),
    )


def build_capture_request(
    amount: Money,
    *,
    code: str | None = None,
    transaction_id: str | None = None,
    sequence: tuple[int, int] | None = None,
    is_final: bool | None = None,
    line_items: Sequence[LineItem] | None = None,
    merchant_defined: MerchantDefined | None = None,
) -> CaptureRequest:
    """POST ``/pts/v2/payments/{id}/captures``. ``sequence=(n, total)`` for partial captures."""
    options = None
    if sequence is not None or is_final is not None:
        options = CaptureOptions(
            capture_sequence_number=sequence[0] if sequence else None,
            total_capture_count=sequence[1] if sequence else None,
            is_final=None if is_final is None else str(is_final).lower(),
        )
    return CaptureRequest(
        client_reference_information=reference(code, transaction_id),
        processing_information=ProcessingInformation(capture_options=options) if options else None,
        order_information=OrderInformation(
            amount_details=_amount(amount), line_items=list(line_items) if line_items else None
        ),
        merchant_defined_information=mdd_list(merchant_defined),
    )


def build_refund_request(
    amount: Money,
    *,
    code: str | None = None,
    transaction_id: str | None = None,
    reason: str | None = None,
    merchant_defined: MerchantDefined | None = None,
) -> RefundRequest:
    """POST ``/pts/v2/payments/{id}/refunds`` or ``/pts/v2/captures/{id}/refunds``."""
    return RefundRequest(
        client_reference_information=reference(code, transaction_id),
        processing_information=(
            ProcessingInformation(refund_options=RefundOptions(reason=reason)) if reason else None
        ),
        order_information=OrderInformation(amount_details=_amount(amount)),
        merchant_defined_information=mdd_list(merchant_defined),
    )


def build_reversal_request(
    amount: Money,
    *,
    code: str | None = None,
    transaction_id: str | None = None,
    reason: str | None = None,
) -> ReversalRequest:
    """POST ``/pts/v2/payments/{id}/reversals`` (full reversal = the authorized amount)."""
    details = _amount(amount)
    return ReversalRequest(
        client_reference_information=reference(code, transaction_id),
        reversal_information=ReversalInformation(
            amount_details=AmountOnly(total_amount=details.total_amount, currency=amount.currency),
            reason=reason,
        ),
    )


def build_void_request(
    *, code: str | None = None, transaction_id: str | None = None
) -> VoidRequest:
    """POST ``/pts/v2/{payments|captures|refunds}/{id}/voids``."""
    return VoidRequest(client_reference_information=reference(code, transaction_id))


def build_timeout_reversal_request(
    transaction_id: str, amount: Money, *, code: str | None = None
) -> ReversalRequest:
    """POST ``/pts/v2/reversals``: reverse whatever the request with this transactionId did."""
    return build_reversal_request(amount, code=code, transaction_id=transaction_id)


def build_timeout_void_request(transaction_id: str, *, code: str | None = None) -> VoidRequest:
    """POST ``/pts/v2/voids``: void whatever the request with this transactionId did."""
    return build_void_request(code=code, transaction_id=transaction_id)


def build_search_request(
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    sort: str | None = "submitTimeUtc:desc",
    timezone: str | None = None,
    name: str | None = None,
    save: bool = False,
) -> SearchRequest:
    """POST ``/tss/v2/searches`` (see :mod:`~slpay.connectors.cybersource.models.tss`)."""
    if not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise ValidationError(f"must be 1..{MAX_SEARCH_LIMIT}", field="limit")
    if offset < 0:
        raise ValidationError("must not be negative", field="offset")
    return SearchRequest(
        save=save, name=name, timezone=timezone, query=query, offset=offset, limit=limit, sort=sort
    )


def build_decision_action_request(
    *, accept: bool, comments: str | None = None, follow_on: bool = True
) -> DecisionActionRequest:
    """Settle a review: ACCEPT (+ ``CAPTURE``) or REJECT (+ ``REVERSE``)."""
    actions = (["CAPTURE"] if accept else ["REVERSE"]) if follow_on else None
    return DecisionActionRequest(
        decision_information=DecisionInformation(
            decision="ACCEPT" if accept else "REJECT", comments=comments
        ),
        processing_information=ActionProcessingInformation(action_list=actions)
        if actions
        else None,
    )
