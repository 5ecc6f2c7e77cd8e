"""A trial balance predicted from money-map events alone (DESIGN.md, "The money map").

This is deliberately independent of the SL documents and of the release simulator: each event
is turned into the entries of the money map's "GL once released" column, nothing else. Tests
release what slpay (and the sandbox's SL users) wrote and compare ``trial_balance(engine)``
with ``predict_trial_balance(events)``: DESIGN.md's invariant. ``base=`` predicts the base
currency trial balance (``trial_balance(engine, base=True)``): each event at its own rate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from slpay.config import SLAccounts
from slpay.sandbox.sl.ledger import TBKey, TrialBalance, without_zeros


@dataclass(frozen=True)
class Event:
    """A money-map event of ``amount`` in ``currency`` (amounts positive), booked at ``rate``
    (base = amount x rate)."""

    amount: Decimal
    currency: str = "USD"
    rate: Decimal = Decimal(1)


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


class RefundVoided(Event):
    """A refund SL recorded, voided in Cybersource: CM "card refund voided" on clearing.
    Dr clearing, Cr AR (the customer keeps the credit)."""


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
    Cr clearing ``cleared``; Dr Bank ``net``; Dr fees ``fees``; the rest (cleared - net - fees)
    to settlement differences. In base: bank, fees and differences at the settlement ``rate``;
    ``fx`` (base currency, + loss) to Exchange gain/loss, a line of zero in ``currency``; and
    clearing credited by what balances the batch, i.e. by what the cleared documents were
    booked at when ``fx`` is right.
    """

    cleared: Decimal
    net: Decimal
    fees: Decimal
    currency: str = "USD"
    fx: Decimal = Decimal(0)
    rate: Decimal = Decimal(1)


MoneyMapEvent = Event | Settled


def entries(event: MoneyMapEvent, a: SLAccounts) -> list[tuple[tuple[str, str], Decimal]]:
    """The event's GL entries as (account/sub, debit-positive amount)."""
    ar, sales = (a.ar_acct, a.ar_sub), (a.sales_acct, a.sales_sub)
    clearing, prepay = (a.clearing_acct, a.clearing_sub), (a.prepay_acct, a.prepay_sub)
    if isinstance(event, Settled):
        diff = event.cleared - event.net - event.fees
        return [
            (clearing, -event.cleared),
            ((a.bank_acct, a.bank_sub), event.net),
            ((a.fees_acct, a.fees_sub), event.fees),
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
        RefundVoided: [(clearing, x), (ar, -x)],
        Chargeback: [(ar, x), (clearing, -x)],
        ChargebackWon: [(clearing, x), (ar, -x)],
        ChargebackLost: [((a.chargeback_loss_acct, a.chargeback_loss_sub), x), (ar, -x)],
    }
    return table[type(event)]


def base_entries(
    event: MoneyMapEvent, a: SLAccounts, places: int = 2
) -> list[tuple[tuple[str, str], Decimal]]:
    """The event's GL entries in base currency (each rounded half-up to ``places``)."""
    quantum = Decimal(1).scaleb(-places)
    out = [
        (key, (x * event.rate).quantize(quantum, rounding=ROUND_HALF_UP))
        for key, x in entries(event, a)
    ]
    if isinstance(event, Settled):
        clearing = (a.clearing_acct, a.clearing_sub)
        rest = [(key, x) for key, x in out if key != clearing]
        rest.append(((a.fx_acct, a.fx_sub), event.fx))
        out = [(clearing, -sum((x for _, x in rest), Decimal(0))), *rest]
    return out


def predict_trial_balance(
    events: list[MoneyMapEvent], accounts: SLAccounts | None = None, *, base: str | None = None
) -> TrialBalance:
    """The trial balance the money map predicts for ``events``: per transaction currency, or
    with ``base`` (the base currency's code) in base currency."""
    a = accounts or SLAccounts()
    totals: dict[TBKey, Decimal] = defaultdict(Decimal)
    for event in events:
        lines = entries(event, a) if base is None else base_entries(event, a)
        for (acct, sub), amount in lines:
            totals[TBKey(acct, sub, base or event.currency)] += amount
    return without_zeros(totals)
