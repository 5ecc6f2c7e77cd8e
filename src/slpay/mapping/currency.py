"""Currency conversion to SL's base currency, with the rate used recorded.

Rates come from SL's ``CuryRate`` table (through the :class:`RateTable` Protocol the SL
connector implements) or from fixed rates in the mapping file, in the order the mapping lists
them. A ``CuryRate`` row converts ``FromCuryId`` → ``ToCuryId`` on or after ``EffDate``;
``MultDiv`` M means ``to = from × rate``, D means ``to = from ÷ rate`` (FACTS §1.4). A row
stored the other way round (base → document currency) is used with the operation flipped,
as SL itself does. Amounts stay Decimal and are rounded half-up to the target's decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

from slpay.domain.money import Money
from slpay.errors import ValidationError

MultDiv = Literal["M", "D"]
RateSource = Literal["same", "cury_rate", "fixed"]


@dataclass(frozen=True)
class RateQuote:
    """One rate row: ``rate`` applied by ``mult_div``, in force from ``effective``."""

    rate: Decimal
    mult_div: MultDiv
    effective: date


class RateTable(Protocol):
    """Rate rows as SL's ``CuryRate`` holds them (implemented by the SL connector)."""

    def rate(
        self, from_currency: str, to_currency: str, rate_type: str, on: date
    ) -> RateQuote | None:
        """The row ``from → to`` of ``rate_type`` with the latest ``EffDate`` ≤ ``on``."""
        ...


@dataclass(frozen=True)
class RateUsed:
    """The rate a conversion used, recorded on the SL document and in the audit trail."""

    from_currency: str
    to_currency: str
    rate: Decimal
    mult_div: MultDiv
    rate_type: str
    effective: date
    source: RateSource

    def apply(self, amount: Decimal) -> Decimal:
        """``amount`` in ``to_currency`` (not yet rounded)."""
        return amount * self.rate if self.mult_div == "M" else amount / self.rate

    @property
    def multiplier(self) -> Decimal:
        """The rate as a multiplier (D rates inverted; for consumers that only multiply)."""
        return self.rate if self.mult_div == "M" else Decimal(1) / self.rate


class FixedRates:
    """The mapping file's fixed rates, answering like :class:`RateTable`."""

    def __init__(self, rows: list[tuple[str, str, RateQuote]]):
        self._rows = sorted(rows, key=lambda r: r[2].effective, reverse=True)

    def rate(
        self, from_currency: str, to_currency: str, rate_type: str, on: date
    ) -> RateQuote | None:
        for frm, to, quote in self._rows:
            if (frm, to) == (from_currency, to_currency) and quote.effective <= on:
                return quote
        return None


@dataclass(frozen=True)
class CurrencyRules:
    """Compiled ``currency:`` section."""

    rate_type: str
    sources: tuple[Literal["cury_rate", "fixed"], ...]
    fixed: FixedRates


def _flip(mult_div: MultDiv) -> MultDiv:
    return "D" if mult_div == "M" else "M"


def find_rate(
    from_currency: str,
    to_currency: str,
    on: date,
    rules: CurrencyRules,
    table: RateTable | None,
) -> RateUsed:
    """The rate to convert ``from → to`` on ``on``; ValidationError naming ``currency``."""
    if from_currency == to_currency:
        return RateUsed(from_currency, to_currency, Decimal(1), "M", rules.rate_type, on, "same")
    for source in rules.sources:
        lookup: RateTable | None = rules.fixed if source == "fixed" else table
        if lookup is None:
            continue
        direct = lookup.rate(from_currency, to_currency, rules.rate_type, on)
        if direct is not None and direct.rate > 0:
            return RateUsed(
                from_currency, to_currency, direct.rate, direct.mult_div,
                rules.rate_type, direct.effective, source,
            )  # fmt: skip
        back = lookup.rate(to_currency, from_currency, rules.rate_type, on)
        if back is not None and back.rate > 0:
            return RateUsed(
                from_currency, to_currency, back.rate, _flip(back.mult_div),
                rules.rate_type, back.effective, source,
            )  # fmt: skip
    tried = " then ".join(rules.sources)
    raise ValidationError(
        f"no {rules.rate_type} rate from {from_currency} to {to_currency} on or before "
        f"{on.isoformat()} (looked in {tried})",
        field="currency",
    )


def convert(
    money: Money,
    to_currency: str,
    on_date: date,
    rules: CurrencyRules,
    table: RateTable | None = None,
) -> tuple[Money, RateUsed]:
    """``money`` in ``to_currency`` on ``on_date``, rounded to its decimals, and the rate used."""
    used = find_rate(money.currency, to_currency.upper(), on_date, rules, table)
    return Money(used.apply(money.amount), used.to_currency), used
