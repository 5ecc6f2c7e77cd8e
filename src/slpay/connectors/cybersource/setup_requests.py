"""Builders for set-up calls: TMS tokens (FACTS §6) and webhook subscriptions (FACTS §8.1).

The only card number slpay ever handles is the one given to
:func:`build_instrument_identifier_request` (test set-up, migrations); it stays a ``SecretStr``
until serialized for the wire.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import SecretStr

from slpay.connectors.cybersource.models.common import (
    Address,
    ClientReferenceInformation,
    IdRef,
)
from slpay.connectors.cybersource.models.notifications import (
    CreateKeyRequest,
    CreateWebhookRequest,
    KeyInformation,
    SecurityPolicy,
    WebhookProduct,
    WebhookRetryPolicy,
)
from slpay.connectors.cybersource.models.tms import (
    Customer,
    InstrumentIdentifierCard,
    InstrumentIdentifierRequest,
    ObjectInformation,
    PaymentInstrument,
    TmsBuyerInformation,
    TmsCard,
    TmsMerchantDefinedField,
)
from slpay.errors import ValidationError


def build_customer_request(
    *,
    merchant_customer_id: str | None = None,
    email: str | None = None,
    code: str | None = None,
    merchant_defined: Mapping[str, str] | None = None,
    title: str | None = None,
    default_payment_instrument_id: str | None = None,
) -> Customer:
    """POST ``/tms/v2/customers``. ``merchant_defined`` uses TMS names ``data1..data4``."""
    buyer = None
    if merchant_customer_id or email:
        buyer = TmsBuyerInformation(merchant_customer_id=merchant_customer_id, email=email)
    return Customer(
        buyer_information=buyer,
        client_reference_information=ClientReferenceInformation(code=code) if code else None,
        merchant_defined_information=[
            TmsMerchantDefinedField(name=k, value=v) for k, v in (merchant_defined or {}).items()
        ]
        or None,
        object_information=ObjectInformation(title=title) if title else None,
        default_payment_instrument=(
            IdRef(id=default_payment_instrument_id) if default_payment_instrument_id else None
        ),
    )


def build_payment_instrument_request(
    *,
    instrument_identifier_id: str,
    expiration_month: str,
    expiration_year: str,
    card_type: str | None = None,
    bill_to: Address | None = None,
    default: bool | None = None,
) -> PaymentInstrument:
    """POST ``/tms/v2/customers/{id}/payment-instruments`` or ``/tms/v1/paymentinstruments``."""
    return PaymentInstrument(
        default=default,
        card=TmsCard(
            expiration_month=expiration_month, expiration_year=expiration_year, type=card_type
        ),
        bill_to=bill_to,
        instrument_identifier=IdRef(id=instrument_identifier_id),
    )


def build_instrument_identifier_request(
    card_number: str | SecretStr,
    *,
    expiration_month: str | None = None,
    expiration_year: str | None = None,
) -> InstrumentIdentifierRequest:
    """POST ``/tms/v1/instrumentidentifiers``. The number stays a ``SecretStr`` until sent."""
    number = card_number if isinstance(card_number, SecretStr) else SecretStr(card_number)
    return InstrumentIdentifierRequest(
        card=InstrumentIdentifierCard(
            number=number, expiration_month=expiration_month, expiration_year=expiration_year
        )
    )


def build_webhook_key_request(
    organization_id: str, *, expiry_duration: str = "365", code: str | None = None
) -> CreateKeyRequest:
    """POST ``/kms/egress/v2/keys-sym``: a shared-secret key to sign notifications."""
    return CreateKeyRequest(
        client_reference_information=ClientReferenceInformation(code=code) if code else None,
        key_information=KeyInformation(
            provider="nrtd",
            tenant=organization_id,
            key_type="sharedSecret",
            organization_id=organization_id,
            expiry_duration=expiry_duration,
        ),
    )


def build_webhook_request(
    *,
    webhook_url: str,
    products: Mapping[str, Sequence[str]],
    organization_id: str | None = None,
    name: str | None = None,
    description: str | None = None,
    health_check_url: str | None = None,
    notification_scope: str | None = None,
    retry_policy: WebhookRetryPolicy | None = None,
    security_type: str | None = "key",
) -> CreateWebhookRequest:
    """POST ``/notification-subscriptions/v2/webhooks``; ``products``: productId → events."""
    if not products:
        raise ValidationError("subscribe to at least one product", field="products")
    return CreateWebhookRequest(
        name=name,
        description=description,
        organization_id=organization_id,
        products=[WebhookProduct(product_id=p, event_types=list(e)) for p, e in products.items()],
        webhook_url=webhook_url,
        health_check_url=health_check_url,
        notification_scope=notification_scope,
        retry_policy=retry_policy,
        security_policy=SecurityPolicy(security_type=security_type) if security_type else None,
    )
