"""SL's storage conventions, converted in this one place (FACTS §1.2, §1.5, §3.6).

* Text is fixed-length ``CHAR(n)``, blank-padded; blank is a space, never NULL. Read: right-trim.
  Write: refuse over-length values with an error naming ``Table.Column`` (silent truncation would
  corrupt keys); free text that may be shortened is clipped on purpose with :func:`clip`.
* Dates are ``SMALLDATETIME``: naive, minute precision, 1900-01-01 = no date. slpay's aware UTC
  datetimes are converted to SL's time zone here.
* Money is ``FLOAT(53)``: Decimal in slpay, rounded to the currency's decimal places
  (``Currncy.DecPl``) on the way in and out.
* ``PerPost`` is fiscal year + fiscal period from GLSetup's calendar, not calendar YYYYMM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from slpay.connectors.dynamics_sl.sqltypes import BLANK_DATE
from slpay.errors import ValidationError

BLANK = " "
#: SMALLDATETIME's upper bound.
MAX_DATE = datetime(2079, 6, 6)  # noqa: DTZ001 - SL dates are naive


# --- text -----------------------------------------------------------------------------------


def to_char(value: str | None, length: int, where: str) -> str:
    """A value for a ``CHAR(length)`` column; ``where`` is ``Table.Column`` for the error."""
    if value is None:
        return BLANK
    text = value.rstrip()
    if len(text) > length:
        raise ValidationError(f"{len(text)} characters, at most {length} allowed", field=where)
    return text or BLANK


def clip(value: str | None, length: int) -> str:
    """Free text shortened on purpose to fit a ``CHAR(length)`` column (descriptions, names)."""
    return (value or "").strip()[:length].rstrip() or BLANK


def read_char(value: str | None) -> str:
    """A ``CHAR`` value as slpay sees it: right-trimmed, blank = ``""``."""
    return (value or "").rstrip()


# --- dates ----------------------------------------------------------------------------------


def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def to_sl_datetime(value: datetime | date | None, tz: str = "UTC") -> datetime:
    """A naive SL ``SMALLDATETIME`` (minute precision, SL's time zone); None = 1900-01-01."""
    if value is None:
        return BLANK_DATE
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - SL is naive
    if value.tzinfo is None:
        raise ValueError("SL dates are converted from aware datetimes only")
    local = value.astimezone(_zone(tz)).replace(tzinfo=None, second=0, microsecond=0)
    if not BLANK_DATE <= local <= MAX_DATE:
        raise ValidationError("outside SMALLDATETIME's range 1900-01-01..2079-06-06", field="date")
    return local


def to_sl_date(value: datetime | date, tz: str = "UTC") -> datetime:
    """A document date: midnight of the local day (SL screens store dates without a time)."""
    local = to_sl_datetime(value, tz)
    return local.replace(hour=0, minute=0)


def read_datetime(value: datetime | None, tz: str = "UTC") -> datetime | None:
    """An SL date/time as an aware UTC datetime; 1900-01-01 (blank) → None."""
    if value is None or value <= BLANK_DATE:
        return None
    return value.replace(tzinfo=_zone(tz)).astimezone(UTC)


def sl_now(tz: str = "UTC") -> datetime:
    """Now, as SL stores it (naive local time, minute precision)."""
    return to_sl_datetime(datetime.now(UTC), tz)


# --- money ----------------------------------------------------------------------------------


def _quantum(decpl: int) -> Decimal:
    return Decimal(1).scaleb(-decpl)


def round_money(amount: Decimal, decpl: int) -> Decimal:
    """Round half-up to ``decpl`` places, as SL's own SQL does with ``Currncy.DecPl``."""
    return amount.quantize(_quantum(decpl), rounding=ROUND_HALF_UP)


def to_float(amount: Decimal, decpl: int) -> float:
    """A Decimal as the FLOAT SL stores, rounded first to the currency's places."""
    return float(round_money(amount, decpl))


def read_money(value: float | int | None, decpl: int) -> Decimal:
    """A FLOAT read from SL as a Decimal with the currency's places (shortest repr first)."""
    if value is None:
        return round_money(Decimal(0), decpl)
    return round_money(Decimal(repr(float(value))), decpl)


def to_base(amount: Decimal, rate: Decimal, mult_div: str, base_decpl: int) -> Decimal:
    """Transaction currency → base (FACTS §1.4: M multiplies by the rate, D divides)."""
    base = amount * rate if mult_div == "M" else amount / rate
    return round_money(base, base_decpl)


# --- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiscalCalendar:
    """GLSetup's calendar: ``NbrPer`` periods ending on ``FiscalPerEnd00..`` (MMDD).

    ``begins_prior_year`` is ``GLSetup.BegFiscalYr = 1``: fiscal year N starts in calendar year
    N-1 (e.g. July 2024 - June 2025 is fiscal 2025).
    """

    nbr_per: int
    period_ends: tuple[tuple[int, int], ...]
    begins_prior_year: bool = False

    @classmethod
    def from_glsetup(cls, row: Any) -> FiscalCalendar:
        """Build from a GLSetup row (mapping or Row with SL's column names)."""
        m = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
        nbr = int(m["NbrPer"])
        if not 1 <= nbr <= 13:
            raise ValidationError(f"NbrPer {nbr} not in 1..13", field="GLSetup.NbrPer")
        ends = []
        for i in range(nbr):
            raw = read_char(m[f"FiscalPerEnd{i:02d}"])
            if len(raw) != 4 or not raw.isdigit():
                raise ValidationError(f"{raw!r} is not MMDD", field=f"GLSetup.FiscalPerEnd{i:02d}")
            ends.append((int(raw[:2]), int(raw[2:])))
        return cls(nbr, tuple(ends), bool(m["BegFiscalYr"]))

    def period_end_dates(self, fiscal_year: int) -> list[date]:
        """The last day of each period of a fiscal year."""
        year = fiscal_year - 1 if self.begins_prior_year else fiscal_year
        out: list[date] = []
        prev: tuple[int, int] | None = None
        for month, day in self.period_ends:
            if prev is not None and (month, day) <= prev:
                year += 1  # the fiscal year crossed a calendar year end
            prev = (month, day)
            out.append(_clamped_date(year, month, day))
        return out

    def period_of(self, day: date) -> str:
        """``PerPost`` (YYYYPP) of a date."""
        for fy in (day.year - 1, day.year, day.year + 1):
            start = self.period_end_dates(fy - 1)[-1] + timedelta(days=1)
            ends = self.period_end_dates(fy)
            if start <= day <= ends[-1]:
                for n, end in enumerate(ends, start=1):
                    if day <= end:
                        return f"{fy:04d}{n:02d}"
        raise ValidationError(f"{day} falls in no fiscal period", field="date")


def _clamped_date(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            if day <= 28:
                raise
            day -= 1  # e.g. 0229 in a non-leap year


def fiscal_year(per_post: str) -> str:
    """``FiscYr``: the first four characters of a period."""
    return per_post[:4]


def check_period(per_post: str, current: str, *, module: str, policy: str, field: str) -> str:
    """The period to post in, or a ValidationError for a period that is not open.

    After the module's current period: refused (GL posting would hold the batch, FACTS §4.4).
    Before it: refused, or moved to the current period when ``policy == "current"``.
    """
    current = read_char(current)
    if per_post > current:
        raise ValidationError(
            f"period {per_post} is after {module}'s current period {current}", field=field
        )
    if per_post < current:
        if policy == "current":
            return current
        raise ValidationError(
            f"period {per_post} is closed ({module}'s current period is {current})", field=field
        )
    return per_post


# --- line numbering -------------------------------------------------------------------------


def line_nbr(index: int, step: int = 256) -> int:
    """SL's ``LineNbr`` for the index-th line (0-based): -32768 + index * step."""
    value = -32768 + index * step
    if value > 32767:
        raise ValidationError("too many lines for one document", field="lines")
    return value


def line_ref(index: int) -> str:
    """SL's ``LineRef`` for the index-th line (0-based): ``00001``, ``00002``, ..."""
    return f"{index + 1:05d}"
