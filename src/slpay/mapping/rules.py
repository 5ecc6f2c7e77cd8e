"""The compiled mapping: every rule of the mapping file as a ready-to-call function.

Built once at start-up by :func:`slpay.mapping.load_mapping`; immutable and safe to share
between workers. Every method is pure: SL lookups come in through the
:class:`~slpay.mapping.customer.CustomerDirectory` and :class:`~slpay.mapping.currency.RateTable`
Protocols that the SL connector implements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from slpay.config import Settings
from slpay.connectors.cybersource.models.tss import TransactionDetails
from slpay.domain.money import Money
from slpay.domain.orders import Operation, Order, PaymentEvent
from slpay.domain.status import SOStatus, StatusTable
from slpay.mapping import cybersource, dates, intake
from slpay.mapping.currency import CurrencyRules, RateTable, RateUsed, convert
from slpay.mapping.customer import CustomerDirectory, CustomerMatch, CustomerRules, match_customer
from slpay.mapping.lines import LineRules, MappedLines, map_lines
from slpay.mapping.order_number import OrderNumberRules
from slpay.mapping.spec import MappingSpec


@dataclass(frozen=True)
class CompiledMapping:
    """The rules of one mapping file (``source`` names it in messages)."""

    source: str
    spec: MappingSpec
    status: StatusTable
    #: SOHeader user field holding the display label.
    label_field: str
    order_number: OrderNumberRules
    customer: CustomerRules
    business_zone: ZoneInfo
    naive_times: Literal["refuse", "business_timezone"]
    order_date: Literal["order", "payment"]
    currency: CurrencyRules
    lines: LineRules
    #: ``sl:`` settings the mapping file sets explicitly (the SL writer must use them).
    sl_overrides: Mapping[str, Any] = field(default_factory=dict)

    # --- status ------------------------------------------------------------------------

    def harmonize(self, status: str | None, decision: str | None = None) -> SOStatus:
        """SOHeader AdminHold / Cancelled / label for a Cybersource status and decision."""
        return self.status.harmonize(status, decision)

    # --- orders and payments -----------------------------------------------------------

    def order_from_intake(self, data: Mapping[str, Any]) -> Order:
        """An order posted by the eCommerce platform (see :mod:`slpay.mapping.intake`)."""
        naive = self.business_zone if self.naive_times == "business_timezone" else None
        return intake.order_from_intake(data, naive_zone=naive)

    def order_from_transaction(self, details: TransactionDetails) -> Order:
        """An order rebuilt from Cybersource transaction details (lineItems, billTo …)."""
        return cybersource.order_from_transaction(details, self.order_number)

    def order_from_payload(self, payload: Mapping[str, Any]) -> Order:
        """Like :meth:`order_from_transaction`, from a payload in Cybersource's wire names."""
        return cybersource.order_from_cybersource(payload, self.order_number)

    def payment_from_cybersource(
        self, payload: Mapping[str, Any], operation: Operation = "authorize"
    ) -> PaymentEvent:
        """A payment event from a payment response, webhook data or transaction details."""
        return cybersource.payment_from_cybersource(payload, self.order_number, operation)

    def order_number_of(self, payload: Mapping[str, Any]) -> str:
        """The eCommerce order number a Cybersource payload carries ("" if none)."""
        return self.order_number.find(payload)

    def sl_order_number(self, number: str) -> str:
        """The order number as written to SL (steps applied, column length checked)."""
        return self.order_number.to_sl(number)

    # --- customer, dates, currency, lines -----------------------------------------------

    def match_customer(self, order: Order, directory: CustomerDirectory) -> CustomerMatch:
        """Find the SL customer of ``order`` (by id, e-mail …) or describe a new one."""
        return match_customer(order, directory, self.customer)

    def sl_date(self, moment: datetime) -> date:
        """The SL date of an aware moment, in the business time zone."""
        return dates.sl_date(moment, self.business_zone)

    def convert(
        self, money: Money, to_currency: str, on_date: date, rates: RateTable | None = None
    ) -> tuple[Money, RateUsed]:
        """``money`` in ``to_currency`` on ``on_date`` and the rate used."""
        return convert(money, to_currency, on_date, self.currency, rates)

    def map_lines(self, order: Order) -> MappedLines:
        """The SO lines of ``order``, totals checked."""
        return map_lines(order, self.lines)

    # --- settings --------------------------------------------------------------------------

    def apply_to(self, settings: Settings) -> Settings:
        """``settings`` with the ``sl:`` values this mapping sets (label field, customer
        defaults, rate type), so that the SL writer and the mapping agree."""
        if not self.sl_overrides:
            return settings
        sl = settings.sl.model_copy(update=dict(self.sl_overrides))
        return settings.model_copy(update={"sl": sl})
