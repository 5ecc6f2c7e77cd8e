"""The settlement GL batch of one day and currency (DESIGN.md's money map), or why none.

Cr clearing by the matched documents (captures − refunds − chargebacks + chargebacks won, as
SL booked them); Dr Bank netTotal; Dr card fees totalFees; the remainder, when within
tolerance, to Settlement differences. Each figure's account comes from
``reconcile.gl_accounts``; a negative figure lands on the other side by its sign. Checked
first: net funding present and netTotal = totalPurchases − totalRefunds − totalChargebacks −
totalFees; otherwise the day is a ``net-funding`` discrepancy and nothing is posted.

A currency other than SL's base currency (:class:`FxBasis`): clearing is credited in base by
what the documents were booked at (each at its own rate), the other lines are converted at the
settlement day's rate, and the base difference goes to Exchange gain/loss as a line of zero in
the currency (a debit is a loss). So the batch balances in both currencies and clearing's base
balance, not only its currency balance, comes to zero for what settled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from slpay.config import SLAccounts
from slpay.connectors.cybersource.models.reporting import NetFundings
from slpay.connectors.dynamics_sl.models import JournalInput, JournalLine
from slpay.domain.money import Money
from slpay.domain.reconciliation import (
    FEES,
    NET_FUNDING,
    Tolerance,
    decimal_to_minor,
    from_minor,
    identity_holds,
)
from slpay.reconcile.matching import CurrencyTotals, Discrepancy

#: Figures slpay posts, and the descriptions their lines carry.
FIGURES = {
    "clearing": "Cybersource settlement",
    "netTotal": "Cybersource net funding",
    "totalFees": "Card processing fees",
    "settlementDifference": "Settlement difference",
    "exchangeDifference": "Exchange difference",
}


@dataclass
class Funding:
    """Net funding of one currency, minor units."""

    purchases: int
    refunds: int
    chargebacks: int
    fees: int
    net: int


@dataclass(frozen=True)
class FxBasis:
    """The base side of a day in a foreign currency."""

    base_currency: str
    #: Σ base amount of the matched documents as SL booked them, signed like ``cleared``.
    booked: int
    #: A currency amount at the settlement day's rate (SL's CuryRate), rounded to base places.
    to_base: Callable[[Decimal], Decimal]


@dataclass
class DayPosting:
    """What one currency of the day comes to."""

    currency: str
    funding: Funding | None
    totals: CurrencyTotals
    journal: JournalInput | None = None
    remainder: int = 0
    held: str = ""
    discrepancies: list[Discrepancy] = field(default_factory=list)
    #: Exchange difference in base minor units (+ loss, − gain); 0 in the base currency.
    exchange: int = 0
    base_currency: str = ""


def funding_of(nf: NetFundings | None, currency: str) -> Funding | None:
    """The five totals of a currency, or None when net funding lacks them."""
    if nf is None:
        return None
    values = []
    for name in ("purchases", "refunds", "chargebacks", "fees", "net"):
        m = nf.total(name, currency)
        if m is None and name in ("net", "purchases"):
            return None
        values.append(decimal_to_minor(m.amount, currency) if m else 0)
    return Funding(*values)


def resolve_account(target: str, accounts: SLAccounts) -> tuple[str, str]:
    """A role of ``sl.accounts`` (``bank``) or ``ACCT`` / ``ACCT:SUB``."""
    if hasattr(accounts, f"{target}_acct"):
        return getattr(accounts, f"{target}_acct"), getattr(accounts, f"{target}_sub")
    acct, _, sub = target.partition(":")
    return acct, sub or "000000"


def plan_currency(
    day: date,
    currency: str,
    totals: CurrencyTotals,
    funding: Funding | None,
    *,
    key: str,
    tolerance: Tolerance,
    gl_accounts: dict[str, str],
    accounts: SLAccounts,
    row_discrepancies: int,
    fx: FxBasis | None = None,
) -> DayPosting:
    """Check, then build the journal (or say why it is held); ``fx`` for a foreign currency."""
    p = DayPosting(currency, funding, totals, base_currency=fx.base_currency if fx else "")
    if funding is None:
        return _held(p, "net funding is missing for this day", {})
    f = funding
    if not identity_holds(f.net, f.purchases, f.refunds, f.chargebacks, f.fees):
        gap = f.net - (f.purchases - f.refunds - f.chargebacks - f.fees)
        return _held(p, f"netTotal does not add up (off by {_fmt(gap, currency)})", {})
    _check_fees(p, tolerance)
    p.remainder = totals.cleared - f.net - f.fees
    if not tolerance.allows(p.remainder, f.purchases):
        reason = f"remainder {_fmt(p.remainder, currency)} is outside tolerance"
        if row_discrepancies:
            p.held = f"{reason}; explained by the day's discrepancies — resolve and re-run"
            return p
        return _held(p, reason, {"remainder": str(from_minor(p.remainder, currency))})
    p.journal = _journal(day, currency, p, key, gl_accounts, accounts, fx)
    return p


def _held(p: DayPosting, reason: str, extra: dict[str, object]) -> DayPosting:
    p.held = reason
    evidence: dict[str, object] = {"net_funding": _funding_evidence(p), **extra}
    evidence["matched"] = {"count": p.totals.matched, "cleared": _dec(p.totals.cleared, p)}
    p.discrepancies.append(Discrepancy(NET_FUNDING, p.currency, p.currency, reason, evidence))
    return p


def _check_fees(p: DayPosting, tolerance: Tolerance) -> None:
    assert p.funding is not None
    expected, reported = p.totals.expected_fees, p.funding.fees
    if p.totals.purchases and not tolerance.allows(reported - expected, expected):
        p.discrepancies.append(
            Discrepancy(
                FEES,
                p.currency,
                p.currency,
                f"fees {_fmt(reported, p.currency)} outside the schedule's "
                f"{_fmt(expected, p.currency)}",
                {"net_funding": _funding_evidence(p), "expected_fees": _dec(expected, p)},
            )
        )


def _journal(
    day: date,
    currency: str,
    p: DayPosting,
    key: str,
    gl_accounts: dict[str, str],
    accounts: SLAccounts,
    fx: FxBasis | None,
) -> JournalInput | None:
    assert p.funding is not None
    figures = {
        "clearing": -p.totals.cleared,
        "netTotal": p.funding.net,
        "totalFees": p.funding.fees,
        "settlementDifference": p.remainder,
    }
    amounts = {name: from_minor(value, currency) for name, value in figures.items()}
    bases = _bases(p, amounts, fx) if fx is not None else {}
    lines = tuple(
        JournalLine(
            *resolve_account(gl_accounts[name], accounts),
            Money(amounts.get(name, Decimal(0)), currency),
            FIGURES[name],
            base=bases.get(name),
        )
        for name in FIGURES
        if amounts.get(name) or bases.get(name)
    )
    if len(lines) < 2:
        return None
    return JournalInput(
        key=key,
        date=day,
        lines=lines,
        description=f"Cybersource {day.isoformat()} {currency}",
        ref_nbr=day.strftime("%Y%m%d"),
    )


def _bases(p: DayPosting, amounts: dict[str, Decimal], fx: FxBasis) -> dict[str, Decimal]:
    """Base amount per figure: clearing as booked, the rest at the settlement rate, and the
    exchange difference that makes the batch balance in base."""
    bases = {name: fx.to_base(a) for name, a in amounts.items() if name != "clearing"}
    bases["clearing"] = -from_minor(fx.booked, fx.base_currency)
    exchange = -sum(bases.values(), Decimal(0))
    bases["exchangeDifference"] = exchange
    p.exchange = decimal_to_minor(exchange, fx.base_currency)
    return bases


def _funding_evidence(p: DayPosting) -> dict[str, str] | None:
    f = p.funding
    if f is None:
        return None
    return {
        "totalPurchases": _dec(f.purchases, p),
        "totalRefunds": _dec(f.refunds, p),
        "totalChargebacks": _dec(f.chargebacks, p),
        "totalFees": _dec(f.fees, p),
        "netTotal": _dec(f.net, p),
    }


def _dec(minor: int, p: DayPosting) -> str:
    return str(from_minor(minor, p.currency))


def _fmt(minor: int, currency: str) -> str:
    return f"{from_minor(minor, currency)} {currency}"
