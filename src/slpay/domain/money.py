"""Money: a Decimal amount and an ISO 4217 currency, quantized to the currency's exponent."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units where they differ from 2.
_EXPONENTS: dict[str, int] = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "XOF": 0,
    "XAF": 0,
    "UGX": 0,
    "PYG": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
    "LYD": 3,
    "IQD": 3,
}


def exponent(currency: str) -> int:
    """Number of minor-unit digits of an ISO currency (2 unless listed otherwise)."""
    return _EXPONENTS.get(currency.upper(), 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def parse_amount(value: str | int | Decimal, currency: str) -> Decimal:
    """Parse a wire amount (a string such as ``"10.00"``) exactly; floats are refused."""
    if isinstance(value, float):  # pragma: no cover - defensive, typed callers never do this
        raise TypeError("money is never a float")
    try:
        d = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not d.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    q = d.quantize(quantum(currency), rounding=ROUND_HALF_UP)
    if q != d:
        raise ValueError(f"{value!r} has more decimals than {currency} allows")
    return q


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        cur = self.currency.upper()
        if len(cur) != 3 or not cur.isalpha():
            raise ValueError(f"not an ISO 4217 currency: {self.currency!r}")
        object.__setattr__(self, "currency", cur)
        object.__setattr__(
            self, "amount", Decimal(self.amount).quantize(quantum(cur), rounding=ROUND_HALF_UP)
        )

    @classmethod
    def of(cls, value: str | int | Decimal, currency: str) -> Money:
        return cls(parse_amount(value, currency), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def wire(self) -> str:
        """The amount as Cybersource sends it: a plain decimal string."""
        return f"{self.amount:f}"

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"
