"""A trial balance predicted from money-map events alone (DESIGN.md, "The money map").

This is deliberately independent of the SL documents and of the release simulator: each event
is turned into the entries of the money map's "GL once released" column, nothing else. Tests
release what slpay (and the sandbox's SL users) wrote and compare ``trial_balance(engine)``
with ``predict_trial_balance(events)``: DESIGN.md's invariant.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from slpay.config import SLAccounts
from slpay.sandbox.sl.ledger import TBKey, TrialBalance, without_zeros


@dataclass(frozen=True)
class Event:
    """A money-map event of ``amount`` in ``currency`` (amounts positive)."""

    amount: Decimal
    currency: str = "USD"


class Invoiced(Event):
    """SL invoices an order (its sales journal): Dr AR, Cr Sales."""


class CapturedBeforeInvoice(Event):
    """A capture while the order is not invoiced: a PP. Dr clearing, Cr prepayments."""


class PrepaymentApplied(Event):
    """The PP applied to the invoice once both are released. Dr prepayments, Cr AR."""


class CapturedAfterInvoice(Event):
    """A capture after the invoice: a PA applied to it. Dr clearing, Cr AR."""


class RefundedBeforeInvoice(Event):
    """DM "card refund" (Dr AR, Cr clearing), then the PP applied to it (Dr prepay, Cr AR)."""


class RefundedAfterInvoice(Event):
    """CM on Refunds (Dr Refunds, Cr AR) + DM "card refund" (Dr AR, Cr clearing)."""


class Chargeback(Event):
    """A DM to the customer on clearing: Dr AR, Cr clearing."""


class ChargebackWon(Event):
    """A PA on clearing applied to the chargeback DM: Dr clearing, Cr AR."""


class ChargebackLost(Event):
    """A CM on Chargeback losses applied to the DM: Dr losses, Cr AR."""


@dataclass(frozen=True)
class Settled:
    """A settlement day in one currency (01.010 GL batch).

    ``cleared`` = captures - refunds - chargebacks + chargebacks won of the day's matched rows.
    Cr clearing ``cleared``; Dr Bank ``net``; Dr fees ``fees``; Dr exchange gain/loss ``fx``;
    the rest (cleared - net - fees - fx) to settlement differences.
    """

    cleared: Decimal
    net: Decimal
    fees: Decimal
    currency: str = "USD"
    fx: Decimal = Decimal(0)


MoneyMapEvent = Event | Settled


def entries(event: MoneyMapEvent, a: SLAccounts) -> list[tuple[tuple[str, str], Decimal]]:
    """The event's GL entries as (account/sub, debit-positive amount)."""
    ar, sales = (a.ar_acct, a.ar_sub), (a.sales_acct, a.sales_sub)
    clearing, prepay = (a.clearing_acct, a.clearing_sub), (a.prepay_acct, a.prepay_sub)
    if isinstance(event, Settled):
        diff = event.cleared - event.net - event.fees - event.fx
        return [
            (clearing, -event.cleared),
            ((a.bank_acct, a.bank_sub), event.net),
            ((a.fees_acct, a.fees_sub), event.fees),
            ((a.fx_acct, a.fx_sub), event.fx),
            ((a.settlement_diff_acct, a.settlement_diff_sub), diff),
        ]
    x = event.amount
    table: dict[type[Event], list[tuple[tuple[str, str], Decimal]]] = {
        Invoiced: [(ar, x), (sales, -x)],
        CapturedBeforeInvoice: [(clearing, x), (prepay, -x)],
        PrepaymentApplied: [(prepay, x), (ar, -x)],
        CapturedAfterInvoice: [(clearing, x), (ar, -x)],
        RefundedBeforeInvoice: [(ar, x), (clearing, -x), (prepay, x), (ar, -x)],
        RefundedAfterInvoice: [
            ((a.refunds_acct, a.refunds_sub), x),
            (ar, -x),
            (ar, x),
            (clearing, -x),
        ],
        Chargeback: [(ar, x), (clearing, -x)],
        ChargebackWon: [(clearing, x), (ar, -x)],
        ChargebackLost: [((a.chargeback_loss_acct, a.chargeback_loss_sub), x), (ar, -x)],
    }
    return table[type(event)]


def predict_trial_balance(
    events: list[MoneyMapEvent], accounts: SLAccounts | None = None
) -> TrialBalance:
    """The trial balance the money map predicts for ``events`` (transaction currency)."""
    a = accounts or SLAccounts()
    totals: dict[TBKey, Decimal] = defaultdict(Decimal)
    for event in events:
        for (acct, sub), amount in entries(event, a):
            totals[TBKey(acct, sub, event.currency)] += amount
    return without_zeros(totals)
