"""TMS, reporting and notification-subscription methods shared as mixins by both clients.

Each method only builds a :mod:`.operations` call and hands it to ``self.call``, which the
client class implements (retries, classification). Kept apart from the payment methods so
each client module stays about one screen of payment logic.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from pydantic import SecretStr

from slpay.connectors.cybersource import operations as ops
from slpay.connectors.cybersource.models import (
    ChargebackDetails,
    CreateWebhookRequest,
    Customer,
    InstrumentIdentifier,
    InstrumentIdentifierRequest,
    NetFundings,
    PaymentBatchSummaries,
    PaymentInstrument,
    PaymentInstrumentList,
    Webhook,
    WebhookKey,
)
from slpay.connectors.cybersource.requests import build_webhook_key_request
from slpay.connectors.cybersource.shortcuts import instrument_identifier_request

T = TypeVar("T")


class SetupMethods:
    """TMS, reporting and subscription methods of :class:`~.client.CybersourceClient`."""

    def call(self, call: ops.Call[T]) -> T:  # implemented by the client
        raise NotImplementedError

    # --- TMS -------------------------------------------------------------------------------

    def create_customer(self, request: Customer) -> Customer:
        return self.call(ops.create_customer(request))

    def get_customer(self, customer_id: str) -> Customer:
        return self.call(ops.get_customer(customer_id))

    def delete_customer(self, customer_id: str) -> None:
        self.call(ops.delete_customer(customer_id))

    def create_customer_payment_instrument(
        self, customer_id: str, request: PaymentInstrument
    ) -> PaymentInstrument:
        return self.call(ops.create_customer_payment_instrument(customer_id, request))

    def list_customer_payment_instruments(
        self, customer_id: str, *, offset: int = 0, limit: int = 20
    ) -> PaymentInstrumentList:
        call = ops.list_customer_payment_instruments(customer_id, offset=offset, limit=limit)
        return self.call(call)

    def get_customer_payment_instrument(
        self, customer_id: str, instrument_id: str
    ) -> PaymentInstrument:
        return self.call(ops.get_customer_payment_instrument(customer_id, instrument_id))

    def delete_customer_payment_instrument(self, customer_id: str, instrument_id: str) -> None:
        self.call(ops.delete_customer_payment_instrument(customer_id, instrument_id))

    def create_payment_instrument(self, request: PaymentInstrument) -> PaymentInstrument:
        return self.call(ops.create_payment_instrument(request))

    def get_payment_instrument(self, instrument_id: str) -> PaymentInstrument:
        return self.call(ops.get_payment_instrument(instrument_id))

    def delete_payment_instrument(self, instrument_id: str) -> None:
        self.call(ops.delete_payment_instrument(instrument_id))

    def create_instrument_identifier(
        self, request: InstrumentIdentifierRequest | SecretStr | str
    ) -> InstrumentIdentifier:
        """Tokenize a card number (test set-up, migrations); the number is never logged."""
        call = ops.create_instrument_identifier(instrument_identifier_request(request))
        return self.call(call)

    def get_instrument_identifier(self, identifier_id: str) -> InstrumentIdentifier:
        return self.call(ops.get_instrument_identifier(identifier_id))

    def delete_instrument_identifier(self, identifier_id: str) -> None:
        self.call(ops.delete_instrument_identifier(identifier_id))

    # --- reporting -------------------------------------------------------------------------

    def net_fundings(
        self, start: datetime, end: datetime, *, organization_id: str | None = None
    ) -> NetFundings:
        return self.call(ops.net_fundings(start, end, organization_id=organization_id))

    def payment_batch_summaries(
        self, start: datetime, end: datetime, *, organization_id: str | None = None
    ) -> PaymentBatchSummaries:
        call = ops.payment_batch_summaries(start, end, organization_id=organization_id)
        return self.call(call)

    def chargeback_details(
        self, start: datetime, end: datetime, *, organization_id: str | None = None
    ) -> ChargebackDetails:
        return self.call(ops.chargeback_details(start, end, organization_id=organization_id))

    # --- notification subscriptions ------------------------------------------------------

    def create_webhook_key(
        self, organization_id: str, *, expiry_duration: str = "365"
    ) -> WebhookKey:
        """Create the shared secret that signs notifications (keep ``keyId`` and ``key``)."""
        request = build_webhook_key_request(organization_id, expiry_duration=expiry_duration)
        return self.call(ops.create_webhook_key(request))

    def create_webhook(self, request: CreateWebhookRequest) -> Webhook:
        return self.call(ops.create_webhook(request))

    def list_webhooks(
        self,
        organization_id: str | None = None,
        *,
        product_id: str | None = None,
        event_type: str | None = None,
    ) -> list[Webhook]:
        call = ops.list_webhooks(organization_id, product_id=product_id, event_type=event_type)
        return self.call(call)

    def get_webhook(self, webhook_id: str) -> Webhook:
        return self.call(ops.get_webhook(webhook_id))

    def delete_webhook(self, webhook_id: str) -> None:
        self.call(ops.delete_webhook(webhook_id))


class AsyncSetupMethods:
    """The same methods for :class:`~.async_client.AsyncCybersourceClient`."""

    async def call(self, call: ops.Call[T]) -> T:  # implemented by the client
        raise NotImplementedError

    # --- TMS -------------------------------------------------------------------------------

    async def create_customer(self, request: Customer) -> Customer:
        return await self.call(ops.create_customer(request))

    async def get_customer(self, customer_id: str) -> Customer:
        return await self.call(ops.get_customer(customer_id))

    async def delete_customer(self, customer_id: str) -> None:
        await self.call(ops.delete_customer(customer_id))

    async def create_customer_payment_instrument(
        self, customer_id: str, request: PaymentInstrument
    ) -> PaymentInstrument:
        return await self.call(ops.create_customer_payment_instrument(customer_id, request))

    async def list_customer_payment_instruments(
        self, customer_id: str, *, offset: int = 0, limit: int = 20
    ) -> PaymentInstrumentList:
        call = ops.list_customer_payment_instruments(customer_id, offset=offset, limit=limit)
        return await self.call(call)

    async def get_customer_payment_instrument(
        self, customer_id: str, instrument_id: str
    ) -> PaymentInstrument:
        return await self.call(ops.get_customer_payment_instrument(customer_id, instrument_id))

    async def delete_customer_payment_instrument(
        self, customer_id: str, instrument_id: str
    ) -> None:
        await self.call(ops.delete_customer_payment_instrument(customer_id, instrument_id))

    async def create_payment_instrument(self, request: PaymentInstrument) -> PaymentInstrument:
        return await self.call(ops.create_payment_instrument(request))

    async def get_payment_instrument(self, instrument_id: str) -> PaymentInstrument:
        return await self.call(ops.get_payment_instrument(instrument_id))

    async def delete_payment_instrument(self, instrument_id: str) -> None:
        await self.call(ops.delete_payment_instrument(instrument_id))

    async def create_instrument_identifier(
        self, request: InstrumentIdentifierRequest | SecretStr | str
    ) -> InstrumentIdentifier:
        """Tokenize a card number (test set-up, migrations); the number is never logged."""
        call = ops.create_instrument_identifier(instrument_identifier_request(request))
        return await self.call(call)

    async def get_instrument_identifier(self, identifier_id: str) -> InstrumentIdentifier:
        return await self.call(ops.get_instrument_identifier(identifier_id))

    async def delete_instrument_identifier(self, identifier_id: str) -> None:
        await self.call(ops.delete_instrument_identifier(identifier_id))

    # --- reporting -------------------------------------------------------------------------

    async def net_fundings(
        self, start: datetime, end: datetime, *, organization_id: str | None = None
    ) -> NetFundings:
        return await self.call(ops.net_fundings(start, end, organization_id=organization_id))

    async def payment_batch_summaries(
        self, start: datetime, end: datetime, *, organization_id: str | None = None
    ) -> PaymentBatchSummaries:
        call = ops.payment_batch_summaries(start, end, organization_id=organization_id)
        return await self.call(call)

    async def chargeback_details(
        self, start: datetime, end: datetime, *, organization_id: str | None = None
    ) -> ChargebackDetails:
        return await self.call(ops.chargeback_details(start, end, organization_id=organization_id))

    # --- notification subscriptions ------------------------------------------------------

    async def create_webhook_key(
        self, organization_id: str, *, expiry_duration: str = "365"
    ) -> WebhookKey:
        """Create the shared secret that signs notifications (keep ``keyId`` and ``key``)."""
        request = build_webhook_key_request(organization_id, expiry_duration=expiry_duration)
        return await self.call(ops.create_webhook_key(request))

    async def create_webhook(self, request: CreateWebhookRequest) -> Webhook:
        return await self.call(ops.create_webhook(request))

    async def list_webhooks(
        self,
        organization_id: str | None = None,
        *,
        product_id: str | None = None,
        event_type: str | None = None,
    ) -> list[Webhook]:
        call = ops.list_webhooks(organization_id, product_id=product_id, event_type=event_type)
        return await self.call(call)

    async def get_webhook(self, webhook_id: str) -> Webhook:
        return await self.call(ops.get_webhook(webhook_id))

    async def delete_webhook(self, webhook_id: str) -> None:
        await self.call(ops.delete_webhook(webhook_id))
