"""Pure reconciliation rules: amounts in integer minor units, tolerances, expected fees.

Sums of a million settlement rows are taken in integer minor units (exact, and far faster
than Decimal); :func:`from_minor` turns a total back into Decimal where it is posted or shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from slpay.domain.money import exponent

#: Discrepancy kinds (task key part and ``--json`` ``discrepancies`` keys).
MISSING_IN_SL = "missing-in-sl"
NOT_SETTLED = "not-settled"
AMOUNT_MISMATCH = "amount-mismatch"
CURRENCY_MISMATCH = "currency-mismatch"
DUPLICATE = "duplicate"
FEES = "fees"
NET_FUNDING = "net-funding"
KINDS = (
    MISSING_IN_SL,
    NOT_SETTLED,
    AMOUNT_MISMATCH,
    CURRENCY_MISMATCH,
    DUPLICATE,
    FEES,
    NET_FUNDING,
)

#: Card names of the Payment Batch Detail ``payment_method`` column → card sub-type codes.
CARD_SUB_TYPES = {
    "visa": "VI",
    "mastercard": "MC",
    "american express": "AX",
    "discover": "DI",
    "diners club": "DC",
    "jcb": "JC",
}


def to_minor(text: str, currency: str) -> int:
    """``"-12.34"`` → ``-1234`` (exact); more decimals than the currency allows is refused."""
    exp = exponent(currency)
    value = text.strip()
    # Fast path, the shape reports use ("-12.34"): int() of the digits without the point.
    if exp and len(value) > exp + 1 and value[-exp - 1] == "." and value[-exp:].isdigit():
        head = value[: -exp - 1]
        if head.lstrip("-").isdigit():
            return int(head + value[-exp:])
    negative = value.startswith("-")
    whole, _, frac = value.lstrip("+-").partition(".")
    if len(frac) > exp or not (whole or frac) or not (whole + frac).isdigit():
        raise ValueError(f"not an amount in {currency}: {text!r}")
    minor = int(whole or "0") * 10**exp + int(frac.ljust(exp, "0") or "0")
    return int(-minor if negative else minor)


def from_minor(minor: int, currency: str) -> Decimal:
    """Integer minor units back to an exact Decimal of the currency's exponent."""
    return Decimal(minor).scaleb(-exponent(currency))


def decimal_to_minor(amount: Decimal, currency: str) -> int:
    """A Decimal already at the currency's precision, in minor units."""
    return int(amount.scaleb(exponent(currency)).to_integral_value())


def float_to_minor(value: float, currency: str) -> int:
    """An SL FLOAT column in minor units (the SL boundary: rounded to the currency)."""
    return round(value * int(10 ** exponent(currency)))


@dataclass(frozen=True)
class Tolerance:
    """The stricter of a percentage of the amount concerned and an absolute amount."""

    percent: Decimal
    absolute_minor: int

    def allows(self, difference_minor: int, reference_minor: int) -> bool:
        """True when ``|difference|`` is within both limits."""
        if difference_minor == 0:
            return True
        limit = abs(reference_minor) * self.percent / 100
        return abs(difference_minor) <= min(Decimal(self.absolute_minor), limit)


@dataclass(frozen=True)
class FeeRule:
    """Fee of one purchase: ``amount * percent / 100 + per_item``, rounded half up."""

    percent: Decimal
    per_item_minor: int

    #: percent * 10^4, computed once (a day holds a million purchases).
    pct_e4: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pct_e4", int(self.percent.scaleb(4)))

    def fee_minor(self, amount_minor: int) -> int:
        """The fee in minor units (integer arithmetic; exact for up to 4 percent decimals)."""
        scaled = abs(amount_minor) * self.pct_e4  # the fee * 10^6, in minor units
        return (scaled * 2 + 10**6) // (2 * 10**6) + self.per_item_minor

    def fees_minor(self, amounts_minor: list[int]) -> int:
        """Σ :meth:`fee_minor` over many purchases (one comprehension, same rounding)."""
        p2, half, den = self.pct_e4 * 2, 10**6, 2 * 10**6
        rounded = sum([(abs(a) * p2 + half) // den for a in amounts_minor])
        return rounded + self.per_item_minor * len(amounts_minor)


def card_sub_type(payment_method: str) -> str:
    """``Visa`` → ``VI``; an unknown name is kept as given (upper case)."""
    name = payment_method.strip().lower()
    return CARD_SUB_TYPES.get(name, payment_method.strip().upper())


def identity_holds(net: int, purchases: int, refunds: int, chargebacks: int, fees: int) -> bool:
    """netTotal = totalPurchases − totalRefunds − totalChargebacks − totalFees (minor units)."""
    return net == purchases - refunds - chargebacks - fees
