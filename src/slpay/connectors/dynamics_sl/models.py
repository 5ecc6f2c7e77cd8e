"""What callers hand the SL writer, and what it hands back.

Money is :class:`~slpay.domain.money.Money` (Decimal + ISO currency); dates are aware datetimes
(or plain dates); every write carries ``key``, its business key (DESIGN.md, "Keys").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from slpay.domain.money import Money
from slpay.errors import SlpayError

Day = date | datetime


@dataclass(frozen=True)
class SLDocument:
    """An SL document slpay wrote (or found already written under the same key)."""

    key: str
    kind: str
    cpny_id: str
    module: str
    bat_nbr: str = ""
    doc_type: str = ""
    ref_nbr: str = ""
    cust_id: str = ""
    ord_nbr: str = ""
    cyber_id: str = ""
    #: False when the key had already been written: this is the first result, nothing new.
    created: bool = True


@dataclass(frozen=True)
class ItemResult:
    """One item of a batched write: the document, or why that item was refused."""

    key: str
    document: SLDocument | None = None
    error: SlpayError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class CustomerRef:
    """Who pays: an SL CustId, or an e-mail to find (or create) the customer by."""

    cust_id: str | None = None
    email: str | None = None
    #: Person names may be given as "Last~First" (SL's convention) or plain company names.
    name: str | None = None
    addr1: str = ""
    addr2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    phone: str = ""
    currency: str | None = None


@dataclass(frozen=True)
class Customer:
    """An SL customer as the writer needs it."""

    cust_id: str
    name: str
    email: str
    ar_acct: str
    ar_sub: str
    prepay_acct: str
    prepay_sub: str
    terms: str
    auto_apply: bool
    created: bool = False


@dataclass(frozen=True)
class Application:
    """Apply to a released invoice or debit memo; ``amount`` None = as much as possible."""

    doc_type: Literal["IN", "DM"]
    ref_nbr: str
    amount: Money | None = None


@dataclass(frozen=True)
class PaymentInput:
    """A card receipt as an 08.030 document: PP (prepayment) or PA applied to documents."""

    key: str
    customer: CustomerRef
    amount: Money
    date: Day
    cyber_id: str = ""
    order_nbr: str = ""
    cust_ord_nbr: str = ""
    doc_type: Literal["PA", "PP"] | None = None
    applications: tuple[Application, ...] = ()
    description: str = ""
    #: Rate to base currency (None: CuryRate of the configured rate type).
    rate: Decimal | None = None


@dataclass(frozen=True)
class CreditApplication:
    """Apply an already released credit (PP, PA or CM) to released IN/DM documents."""

    key: str
    cust_id: str
    credit_type: Literal["PP", "PA", "CM"]
    credit_ref: str
    targets: tuple[Application, ...]
    date: Day


@dataclass(frozen=True)
class MemoInput:
    """An 08.010 credit or debit memo with one line on a chosen account."""

    key: str
    doc_type: Literal["CM", "DM"]
    customer: CustomerRef
    amount: Money
    date: Day
    line_acct: str
    line_sub: str
    description: str = ""
    cyber_id: str = ""
    order_nbr: str = ""
    cust_ord_nbr: str = ""
    rate: Decimal | None = None


@dataclass(frozen=True)
class JournalLine:
    """A GL line: a positive amount is a debit, a negative one a credit.

    ``base`` fixes the line's base-currency amount (same sign convention) instead of the
    journal's rate: a credit that must reverse what an earlier document booked at its own
    rate. A line of zero ``amount`` with a non-zero ``base`` is a base-only adjustment, the
    way SL books realised exchange gain/loss (CuryDrAmt/CuryCrAmt 0, DrAmt/CrAmt set).
    """

    acct: str
    sub: str
    amount: Money
    description: str = ""
    base: Decimal | None = None


@dataclass(frozen=True)
class JournalInput:
    """An 01.010 GL journal batch (debits = credits)."""

    key: str
    date: Day
    lines: tuple[JournalLine, ...]
    description: str = ""
    ref_nbr: str = ""
    ext_ref_nbr: str = ""
    rate: Decimal | None = None


@dataclass(frozen=True)
class OrderLine:
    """A sales order line."""

    invt_id: str
    description: str
    qty: Decimal
    unit_price: Money


@dataclass(frozen=True)
class OrderInput:
    """An SL sales order (SOHeader + SOLine) for an eCommerce order."""

    key: str
    cust_ord_nbr: str
    customer: CustomerRef
    lines: tuple[OrderLine, ...]
    date: Day
    auth_nbr: str = ""
    admin_hold: bool = False
    cancelled: bool = False
    label: str = ""
    freight: Money | None = None
    tax: Money | None = None
    rate: Decimal | None = None
    ship_to: CustomerRef | None = None


@dataclass(frozen=True)
class OrderChange:
    """Status harmonization on an existing order: hold, cancel, label, authorization code."""

    key: str
    ord_nbr: str
    admin_hold: bool | None = None
    cancelled: bool | None = None
    label: str | None = None
    auth_nbr: str | None = None
    when: Day | None = None


@dataclass(frozen=True)
class NoteInput:
    """A note for SL users on a document (Snote + the document's NoteID)."""

    key: str
    target: Literal["ARDoc", "SOHeader", "Batch"]
    ids: dict[str, str] = field(default_factory=dict)
    text: str = ""


class NotReleasedError(SlpayError):
    """A document an application needs is not released yet: wait for SL users (a task)."""

    def __init__(self, message: str, *, documents: tuple[str, ...] = ()):
        self.documents = documents
        super().__init__(message)
