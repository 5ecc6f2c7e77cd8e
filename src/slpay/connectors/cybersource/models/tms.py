"""Token Management Service wire models (``/tms/…``, FACTS §6).

Hierarchy: customer → payment instruments (+ shipping addresses); a payment instrument points
to an instrument identifier (one per PAN). The only place a card number appears is
:class:`InstrumentIdentifierCard` on creation; it is a ``SecretStr`` (never printed or logged)
and is revealed only when the request is serialized for the wire.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_serializer

from slpay.connectors.cybersource.models.common import (
    Address,
    ClientReferenceInformation,
    IdRef,
    Links,
    StrictWire,
    Wire,
)


class TmsBuyerInformation(Wire):
    #: Capital "ID" in TMS (payments use ``merchantCustomerId``; FACTS §6).
    merchant_customer_id: str | None = Field(default=None, alias="merchantCustomerID")
    email: str | None = None


class TmsMerchantDefinedField(Wire):
    """TMS spelling: ``{name, value}`` with names ``data1..data4`` (FACTS §3.2)."""

    name: str
    value: str | None = None


class ObjectInformation(Wire):
    title: str | None = None
    comment: str | None = None


class Customer(Wire):
    """A TMS customer (request and response)."""

    id: str | None = None
    buyer_information: TmsBuyerInformation | None = None
    client_reference_information: ClientReferenceInformation | None = None
    merchant_defined_information: list[TmsMerchantDefinedField] | None = None
    object_information: ObjectInformation | None = None
    default_payment_instrument: IdRef | None = None
    default_shipping_address: IdRef | None = None
    links: Links | None = Field(default=None, alias="_links")
    embedded: dict[str, Any] | None = Field(default=None, alias="_embedded")


class TmsCard(Wire):
    """Card data a payment instrument keeps: expiry and type, never the number."""

    expiration_month: str | None = None
    expiration_year: str | None = None
    type: str | None = None


class PaymentInstrument(Wire):
    """A TMS payment instrument (request and response)."""

    id: str | None = None
    object: str | None = None
    default: bool | None = None
    state: str | None = None
    type: str | None = None
    card: TmsCard | None = None
    bill_to: Address | None = None
    instrument_identifier: IdRef | None = None
    links: Links | None = Field(default=None, alias="_links")
    embedded: dict[str, Any] | None = Field(default=None, alias="_embedded")


class PaymentInstrumentsEmbedded(Wire):
    payment_instruments: list[PaymentInstrument] | None = None


class PaymentInstrumentList(Wire):
    """GET ``/tms/v2/customers/{id}/payment-instruments`` (``offset``, ``limit`` ≤ 100)."""

    offset: int | None = None
    limit: int | None = None
    count: int | None = None
    total: int | None = None
    embedded: PaymentInstrumentsEmbedded | None = Field(default=None, alias="_embedded")
    links: Links | None = Field(default=None, alias="_links")

    @property
    def items(self) -> list[PaymentInstrument]:
        if self.embedded is None or self.embedded.payment_instruments is None:
            return []
        return self.embedded.payment_instruments


class InstrumentIdentifierCard(StrictWire):
    """The card number of a new instrument identifier: write-only, masked in ``repr``."""

    number: SecretStr
    expiration_month: str | None = None
    expiration_year: str | None = None

    @field_serializer("number", when_used="json")
    def _reveal_for_wire(self, value: SecretStr) -> str:
        return value.get_secret_value()


class InstrumentIdentifierRequest(Wire):
    """POST ``/tms/v1/instrumentidentifiers`` with a card number (test set-up, migration)."""

    card: InstrumentIdentifierCard


class IssuerInformation(Wire):
    payment_account_reference: str | None = None


class InstrumentIdentifier(Wire):
    """A TMS instrument identifier as returned (``card.number`` comes back masked)."""

    id: str | None = None
    object: str | None = None
    state: str | None = None
    type: str | None = None
    card: dict[str, Any] | None = None
    issuer: IssuerInformation | None = None
    links: Links | None = Field(default=None, alias="_links")
