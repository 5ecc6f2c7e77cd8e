"""Reporting wire models (``/reporting/v3/…``, FACTS §9). Amounts are strings on the wire.

Net funding has no gross/net scalars: every total is a per-currency array, and the identity
``netTotal = totalPurchases − totalRefunds − totalChargebacks − totalFees`` is for the caller
(reconciliation) to check, not assumed here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from pydantic import Field

from slpay.connectors.cybersource.models.common import Wire, money
from slpay.domain.money import Money

PURCHASES: Final = "PURCHASES"
REFUNDS: Final = "REFUNDS"
FEES: Final = "FEES"
CHARGEBACKS: Final = "CHARGEBACKS"


class CurrencyValue(Wire):
    currency: str | None = None
    value: Decimal | None = None


class NetFundingSummary(Wire):
    #: ``PURCHASES`` | ``REFUNDS`` | ``FEES`` | ``CHARGEBACKS`` (not a closed set).
    type: str | None = None
    payment_sub_type: str | None = None
    conveyed_count: int | None = None
    conveyed_amount: Decimal | None = None
    settled_count: int | None = None
    funded_count: int | None = None
    funded_amount: Decimal | None = None
    currency_code: str | None = None


class NetFundings(Wire):
    """200 of GET ``/reporting/v3/net-fundings``."""

    start_time: str | None = None
    end_time: str | None = None
    net_funding_summaries: list[NetFundingSummary] | None = None
    total_purchases: list[CurrencyValue] | None = None
    total_refunds: list[CurrencyValue] | None = None
    total_fees: list[CurrencyValue] | None = None
    total_chargebacks: list[CurrencyValue] | None = None
    net_total: list[CurrencyValue] | None = None

    def currencies(self) -> list[str]:
        """Every currency that appears in any total, sorted."""
        seen: set[str] = set()
        for values in self._totals().values():
            seen.update(v.currency.upper() for v in values or [] if v.currency)
        return sorted(seen)

    def total(self, name: str, currency: str) -> Money | None:
        """One total (``purchases``, ``refunds``, ``fees``, ``chargebacks``, ``net``)."""
        values = self._totals()[name]
        for item in values or []:
            if item.currency and item.currency.upper() == currency.upper():
                return money(item.value, item.currency)
        return None

    def _totals(self) -> dict[str, list[CurrencyValue] | None]:
        return {
            "purchases": self.total_purchases,
            "refunds": self.total_refunds,
            "fees": self.total_fees,
            "chargebacks": self.total_chargebacks,
            "net": self.net_total,
        }


class PaymentBatchSummary(Wire):
    currency_code: str | None = None
    payment_sub_type_description: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    sales_count: int | None = None
    sales_amount: Decimal | None = None
    credit_count: int | None = None
    credit_amount: Decimal | None = None
    account_name: str | None = None
    account_id: str | None = None
    merchant_id: str | None = None
    merchant_name: str | None = None


class PaymentBatchSummaries(Wire):
    """200 of GET ``/reporting/v3/payment-batch-summaries``."""

    start_time: str | None = None
    end_time: str | None = None
    payment_batch_summaries: list[PaymentBatchSummary] | None = None


class ChargebackDetail(Wire):
    """One chargeback event; ``requestId`` is the transaction id it disputes."""

    request_id: str | None = None
    merchant_reference_number: str | None = None
    transaction_reference_number: str | None = None
    amount: Decimal | None = None
    sign: str | None = None
    currency_code: str | None = None
    reason_code: str | None = None
    nature_of_dispute: str | None = None
    action: str | None = None
    action_description: str | None = None
    alert_type: str | None = None
    card_type: str | None = None
    time: str | None = None
    response_due_time: str | None = None
    original_settlement_time: str | None = None
    tracking_number: str | None = None
    processor_merchant_id: str | None = None
    merchant_name: str | None = None
    customer_id: str | None = None
    applications: str | None = None
    event_requested_time: str | None = None
    pre_dispute_flag: str | None = None
    representment_cp_time: str | None = Field(default=None, alias="representmentCPTime")

    @property
    def money(self) -> Money | None:
        """The disputed amount, negative when ``sign`` is ``-``."""
        if self.amount is None or not self.currency_code:
            return None
        value = -abs(self.amount) if self.sign == "-" else self.amount
        return Money(value, self.currency_code)


class ChargebackDetails(Wire):
    """200 of GET ``/reporting/v3/chargeback-details``."""

    organization_id: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    chargeback_details: list[ChargebackDetail] | None = None
