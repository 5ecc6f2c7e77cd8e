"""Orders and payment events as the hub sees them, before any SL shape is chosen.

An :class:`Order` comes from the eCommerce platform (``POST /api/orders``) or, when the order
never arrives, is rebuilt from Cybersource's transaction details. A :class:`PaymentEvent` is
what Cybersource said about one transaction (a webhook, a payment response, a search hit).
Both are plain values: parsing lives in :mod:`slpay.mapping`, SL shapes in the SL connector.

Address fields use neutral names (``city``, ``state``, ``phone``) so a finance admin's mapping
file reads the same whatever the source spelled them (Cybersource: ``locality``,
``administrativeArea``, ``phoneNumber``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from slpay.domain.money import Money

#: The address fields a mapping may read (``customer.fields.*.from``).
ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "country",
    "email",
    "phone",
)


@dataclass(frozen=True)
class Address:
    """A billing or shipping address; empty strings where the source gave nothing."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""

    def get(self, name: str) -> str:
        """The value of one of :data:`ADDRESS_FIELDS`."""
        if name not in ADDRESS_FIELDS:
            raise KeyError(name)
        value: str = getattr(self, name)
        return value


@dataclass(frozen=True)
class OrderItem:
    """One order line as the shop (or Cybersource's ``lineItems``) gave it."""

    quantity: Decimal
    unit_price: Money
    sku: str = ""
    product_code: str = ""
    name: str = ""
    #: The line total the source stated, if any (checked against quantity × unit price).
    total: Money | None = None
    tax: Money | None = None

    @property
    def extended(self) -> Money:
        """Quantity × unit price, rounded to the currency's decimals."""
        return Money(self.quantity * self.unit_price.amount, self.unit_price.currency)


@dataclass(frozen=True)
class Order:
    """An eCommerce order: who, what, how much, and how it is paid."""

    number: str
    total: Money
    lines: tuple[OrderItem, ...]
    bill_to: Address = Address()
    ship_to: Address | None = None
    #: The shop's customer id (may be an SL CustId, depending on the mapping).
    customer_id: str = ""
    email: str = ""
    freight: Money | None = None
    tax: Money | None = None
    #: The Cybersource transaction id paying this order, when known.
    payment_id: str = ""
    #: A Microform transient token slpay still has to authorize (never logged).
    transient_token: str = field(default="", repr=False)
    ordered_at: datetime | None = None
    #: ``merchantDefinedInformation`` (key → value), as strings.
    merchant_defined: Mapping[str, str] = field(default_factory=dict)
    source: Literal["intake", "transaction"] = "intake"

    @property
    def currency(self) -> str:
        return self.total.currency


#: What happened to a Cybersource transaction, in DESIGN.md's operation words.
Operation = Literal[
    "authorize",
    "capture",
    "refund",
    "reversal",
    "void",
    "apply",
    "chargeback",
    "chargeback-won",
    "chargeback-lost",
    "decision",
]


@dataclass(frozen=True)
class PaymentEvent:
    """What Cybersource reported about one transaction.

    ``status`` is Cybersource's string as received (never a closed set); ``decision`` is a
    Decision Manager decision when one is known (``ACCEPT``/``REJECT``/``REVIEW`` from
    transaction details, ``ACCEPTED``/``REJECTED`` from a case action).
    """

    transaction_id: str
    status: str | None
    submitted_at: datetime
    operation: Operation = "authorize"
    decision: str | None = None
    amount: Money | None = None
    order_number: str = ""
    auth_code: str = ""

    @property
    def key(self) -> str:
        """The business key of the SL write this event causes (DESIGN.md, Keys)."""
        return f"{self.transaction_id}:{self.operation}"
