"""Payments family wire models (``/pts/v2/…``, FACTS §3).

Requests carry no card fields: a payment refers to a TMS token (customer, payment instrument,
instrument identifier) or a Microform transient token. :class:`PaymentInformation` forbids
unknown members so a PAN cannot be slipped in through ``extra``.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from slpay.connectors.cybersource.models.common import (
    AmountDetails,
    ClientReferenceInformation,
    IdRef,
    MerchantDefinedField,
    OrderInformation,
    RiskInformation,
    StrictWire,
    TransactionResponse,
    Wire,
    money,
)
from slpay.domain.money import Money

# --- request blocks ------------------------------------------------------------------------


class MerchantInitiatedTransaction(Wire):
    reason: str | None = None
    previous_transaction_id: str | None = None
    original_authorized_amount: Decimal | None = None


class Initiator(Wire):
    """Credential-on-file flags: ``type`` is ``customer`` or ``merchant``."""

    type: str | None = None
    credential_stored_on_file: bool | None = None
    stored_credential_used: bool | None = None
    merchant_initiated_transaction: MerchantInitiatedTransaction | None = None


class AuthorizationOptions(Wire):
    initiator: Initiator | None = None
    partial_auth_indicator: bool | None = None
    ignore_avs_result: bool | None = None
    ignore_cv_result: bool | None = None
    auth_type: str | None = None


class CaptureOptions(Wire):
    """Partial captures: sequence ``n`` of ``totalCaptureCount``."""

    capture_sequence_number: int | None = None
    total_capture_count: int | None = None
    is_final: str | None = None


class RefundOptions(Wire):
    reason: str | None = None


class ProcessingInformation(Wire):
    """``processingInformation``: ``capture=True`` makes an authorization a sale."""

    capture: bool | None = None
    action_list: list[str] | None = None
    action_token_types: list[str] | None = None
    commerce_indicator: str | None = None
    reconciliation_id: str | None = None
    payment_solution: str | None = None
    authorization_options: AuthorizationOptions | None = None
    capture_options: CaptureOptions | None = None
    refund_options: RefundOptions | None = None


class CardExpiry(StrictWire):
    """Expiry only (needed with an instrument identifier). There is no ``number`` here."""

    expiration_month: str | None = None
    expiration_year: str | None = None
    type: str | None = None


class PaymentInformation(StrictWire):
    """Token references only; unknown members (``card.number`` …) are refused."""

    customer: IdRef | None = None
    payment_instrument: IdRef | None = None
    instrument_identifier: IdRef | None = None
    shipping_address: IdRef | None = None
    card: CardExpiry | None = None


class TokenInformation(Wire):
    """``transientTokenJwt`` from Microform / Unified Checkout (15 minutes, one auth)."""

    transient_token_jwt: str | None = None
    jti: str | None = None
    network_token_option: str | None = None


class BuyerInformation(Wire):
    """``buyerInformation``. Cybersource has no ``buyerInformation.email``: an ``email`` given
    here is never serialized; the authorize builder moves it to ``billTo.email``."""

    merchant_customer_id: str | None = None
    date_of_birth: str | None = None
    mobile_phone: str | None = None
    email: str | None = Field(default=None, exclude=True)


class DeviceInformation(Wire):
    ip_address: str | None = None
    fingerprint_session_id: str | None = None
    user_agent: str | None = None


class AmountOnly(Wire):
    """An ``amountDetails`` block with just total and currency."""

    total_amount: Decimal | None = None
    currency: str | None = None


class ReversalInformation(Wire):
    amount_details: AmountOnly | None = None
    reason: str | None = None


# --- requests ------------------------------------------------------------------------------


class PaymentRequest(Wire):
    """POST ``/pts/v2/payments`` (authorization, or sale with ``capture=True``)."""

    client_reference_information: ClientReferenceInformation
    processing_information: ProcessingInformation | None = None
    payment_information: PaymentInformation | None = None
    token_information: TokenInformation | None = None
    order_information: OrderInformation
    buyer_information: BuyerInformation | None = None
    device_information: DeviceInformation | None = None
    merchant_defined_information: list[MerchantDefinedField] | None = None


class CaptureRequest(Wire):
    """POST ``/pts/v2/payments/{id}/captures`` (full or partial)."""

    client_reference_information: ClientReferenceInformation
    processing_information: ProcessingInformation | None = None
    order_information: OrderInformation
    merchant_defined_information: list[MerchantDefinedField] | None = None


class RefundRequest(Wire):
    """POST ``/pts/v2/payments/{id}/refunds`` or ``/pts/v2/captures/{id}/refunds``."""

    client_reference_information: ClientReferenceInformation
    processing_information: ProcessingInformation | None = None
    order_information: OrderInformation
    merchant_defined_information: list[MerchantDefinedField] | None = None


class ReversalRequest(Wire):
    """POST ``/pts/v2/payments/{id}/reversals`` and the timeout reversal ``/pts/v2/reversals``."""

    client_reference_information: ClientReferenceInformation
    reversal_information: ReversalInformation


class VoidRequest(Wire):
    """POST ``…/{id}/voids`` and the timeout void ``/pts/v2/voids``."""

    client_reference_information: ClientReferenceInformation


# --- responses -----------------------------------------------------------------------------


class TokenIds(Wire):
    customer: IdRef | None = None
    payment_instrument: IdRef | None = None
    instrument_identifier: IdRef | None = None
    shipping_address: IdRef | None = None


class EmbeddedAction(Wire):
    status: str | None = None
    reason: str | None = None
    message: str | None = None


class ResponseOrderInformation(Wire):
    amount_details: AmountDetails | None = None


class PaymentResponse(TransactionResponse):
    """201 of POST ``/pts/v2/payments``. A 201 is not an approval: read ``status``."""

    order_information: ResponseOrderInformation | None = None
    risk_information: RiskInformation | None = None
    token_information: TokenIds | None = None
    embedded_actions: dict[str, EmbeddedAction] | None = None

    @property
    def authorized_amount(self) -> Money | None:
        """The amount actually authorized (differs from the request on partial auth)."""
        details = self.order_information.amount_details if self.order_information else None
        if details is None:
            return None
        amount = details.authorized_amount
        if amount is None:
            amount = details.total_amount
        return money(amount, details.currency)

    @property
    def approval_code(self) -> str | None:
        return self.processor_information.approval_code if self.processor_information else None


class CaptureResponse(TransactionResponse):
    """201 of a capture: ``PENDING`` means queued for the batch, not settled (FACTS §3.4)."""

    order_information: ResponseOrderInformation | None = None

    @property
    def amount(self) -> Money | None:
        details = self.order_information.amount_details if self.order_information else None
        return money(details.total_amount, details.currency) if details else None


class RefundAmountDetails(Wire):
    refund_amount: Decimal | None = None
    credit_amount: Decimal | None = None
    currency: str | None = None


class RefundResponse(TransactionResponse):
    refund_amount_details: RefundAmountDetails | None = None
    order_information: ResponseOrderInformation | None = None

    @property
    def amount(self) -> Money | None:
        d = self.refund_amount_details
        if d is not None and d.refund_amount is not None:
            return money(d.refund_amount, d.currency)
        details = self.order_information.amount_details if self.order_information else None
        return money(details.total_amount, details.currency) if details else None


class ReversalAmountDetails(Wire):
    reversed_amount: Decimal | None = None
    original_transaction_amount: Decimal | None = None
    currency: str | None = None


class ReversalResponse(TransactionResponse):
    reversal_amount_details: ReversalAmountDetails | None = None

    @property
    def amount(self) -> Money | None:
        d = self.reversal_amount_details
        return money(d.reversed_amount, d.currency) if d else None


class VoidAmountDetails(Wire):
    void_amount: Decimal | None = None
    original_transaction_amount: Decimal | None = None
    currency: str | None = None


class VoidResponse(TransactionResponse):
    void_amount_details: VoidAmountDetails | None = None

    @property
    def amount(self) -> Money | None:
        d = self.void_amount_details
        return money(d.void_amount, d.currency) if d else None
