"""The SL sales order for an order and its payment: every mapping rule applied, nothing written.

:func:`so_document` returns the SL writer's own :class:`OrderInput` plus what the mapping
decided on the way (status rule, customer match, rate used, base total), for the audit trail
and the operator. :func:`so_change` harmonizes an order SL already holds (a review accepted,
an authorization reversed).

One gap the writer must close: when ``order_number.to`` is a user field, ``OrderInput`` has
no place for it; it is returned in :attr:`SODocument.header_fields` for the writer to set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from slpay.connectors.dynamics_sl.models import OrderChange, OrderInput
from slpay.domain.money import Money
from slpay.domain.orders import Order, PaymentEvent
from slpay.domain.status import SOStatus
from slpay.errors import ValidationError
from slpay.mapping.currency import RateTable, RateUsed
from slpay.mapping.customer import CustomerDirectory, CustomerMatch, customer_ref
from slpay.mapping.rules import CompiledMapping

#: SOHeader.AuthNbr is char(20).
AUTH_NBR_LENGTH = 20


@dataclass(frozen=True)
class Lookups:
    """What the mapping needs from SL, behind Protocols the SL connector implements."""

    customers: CustomerDirectory
    rates: RateTable | None
    #: SL's base currency (GLSetup.BaseCuryId).
    base_currency: str


@dataclass(frozen=True)
class SODocument:
    """An SL sales order ready for :meth:`SLWriter.write_order`, and how it was derived."""

    order: OrderInput
    status: SOStatus
    customer: CustomerMatch
    rate: RateUsed
    #: The order total in SL's base currency at ``rate``.
    base_total: Money
    #: The SOHeader column holding the eCommerce order number, and its value.
    order_number_field: str
    order_number: str
    #: SOHeader values the writer must set beyond ``order`` (a user-field order number).
    header_fields: Mapping[str, str] = field(default_factory=dict)


def _auth_nbr(payment: PaymentEvent) -> str:
    code = payment.auth_code.strip()
    if len(code) > AUTH_NBR_LENGTH:
        raise ValidationError(
            f"{len(code)} characters, SOHeader.AuthNbr holds {AUTH_NBR_LENGTH}",
            field="processorInformation.approvalCode",
        )
    return code


def document_date(order: Order, payment: PaymentEvent, mapping: CompiledMapping) -> date:
    """The SL date of the order: its own time (unless configured otherwise), else the payment's."""
    moment = order.ordered_at if mapping.order_date == "order" and order.ordered_at else None
    return mapping.sl_date(moment or payment.submitted_at)


def _rate_for_writer(used: RateUsed) -> Decimal | None:
    # The writer takes a multiply rate only; a D rate is passed as its reciprocal (28 digits).
    return None if used.source == "same" else used.multiplier


def so_document(
    order: Order, payment: PaymentEvent, mapping: CompiledMapping, lookups: Lookups
) -> SODocument:
    """The SL sales order for ``order`` paid by ``payment`` (ValidationError naming the field)."""
    number = mapping.sl_order_number(order.number)
    target = mapping.order_number.target
    status = mapping.harmonize(payment.status, payment.decision)
    match = mapping.match_customer(order, lookups.customers)
    mapped = mapping.map_lines(order)
    when = document_date(order, payment, mapping)
    base_total, used = mapping.convert(order.total, lookups.base_currency, when, lookups.rates)
    ship_to = None
    if order.ship_to is not None:
        ship = replace(order.ship_to, email="")  # a ship-to e-mail has no SL column
        ship_to = customer_ref(ship, mapping.customer, where="ship_to")
    so = OrderInput(
        key=payment.key,
        cust_ord_nbr=number if target == "CustOrdNbr" else "",
        customer=match.ref,
        lines=mapped.lines,
        date=when,
        auth_nbr=_auth_nbr(payment),
        admin_hold=status.admin_hold,
        cancelled=status.cancelled,
        label=status.label,
        freight=mapped.freight,
        tax=mapped.tax,
        rate=_rate_for_writer(used),
        ship_to=ship_to,
    )
    extra = {} if target == "CustOrdNbr" else {target: number}
    return SODocument(so, status, match, used, base_total, target, number, extra)


def so_change(payment: PaymentEvent, ord_nbr: str, mapping: CompiledMapping) -> OrderChange:
    """Hold / cancel / relabel SL order ``ord_nbr`` for a later event on its payment."""
    status = mapping.harmonize(payment.status, payment.decision)
    return OrderChange(
        key=payment.key,
        ord_nbr=ord_nbr,
        admin_hold=status.admin_hold,
        cancelled=status.cancelled,
        label=status.label,
        auth_nbr=_auth_nbr(payment) or None,
        when=mapping.sl_date(payment.submitted_at),
    )
