"""What a write needs to know about the SL company: setup rows, currencies, rates, accounts.

Read inside the write transaction (periods and numbering change as SL users work); currency
decimal places and valid accounts are cached per writer because they change rarely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Table, select

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import (
    FiscalCalendar,
    check_period,
    read_char,
    read_money,
    round_money,
    to_base,
    to_sl_date,
)
from slpay.connectors.dynamics_sl.models import Day
from slpay.domain.money import Money
from slpay.errors import ValidationError


@dataclass(frozen=True)
class Rate:
    """A document's currency and the rate used (FACTS §1.4)."""

    cury_id: str
    rate: Decimal
    mult_div: str
    eff_date: datetime
    rate_type: str
    cury_decpl: int
    base_decpl: int

    def base(self, amount: Decimal) -> Decimal:
        """Base-currency amount of a transaction-currency amount."""
        if self.rate == 1:
            return round_money(amount, self.base_decpl)
        return to_base(amount, self.rate, self.mult_div, self.base_decpl)

    def columns(self, table: Table) -> dict[str, Any]:
        """The inline currency columns ``table`` has (SL spells CuryId/CuryID per table)."""
        cury_col = "CuryID" if "CuryID" in table.c else "CuryId"
        values = {
            cury_col: self.cury_id,
            "CuryRate": float(self.rate),
            "CuryMultDiv": self.mult_div,
            "CuryEffDate": self.eff_date,
            "CuryRateType": self.rate_type,
        }
        return {k: v for k, v in values.items() if k in table.c}


@dataclass
class Catalog:
    """Slow-changing reference data, cached per writer."""

    decpl: dict[str, int] = field(default_factory=dict)
    accounts: set[tuple[str, str]] = field(default_factory=set)

    def currency_places(self, conn: Connection, cury_id: str, where: str) -> int:
        """``Currncy.DecPl`` of a currency; ValidationError naming ``where`` if SL lacks it."""
        if cury_id not in self.decpl:
            rows = conn.execute(select(sl.Currncy.c.CuryId, sl.Currncy.c.DecPl)).all()
            self.decpl = {read_char(r[0]): int(r[1]) for r in rows}
        if cury_id not in self.decpl:
            raise ValidationError(f"currency {cury_id} is not in SL's Currncy table", field=where)
        return self.decpl[cury_id]

    def check_account(self, conn: Connection, acct: str, sub: str, where: str) -> None:
        """Refuse a blank, unknown or inactive account/subaccount (FACTS §11.1)."""
        if (acct, sub) in self.accounts:
            return
        if not acct.strip() or not sub.strip():
            raise ValidationError("account and subaccount are required", field=where)
        active = conn.execute(select(sl.Account.c.Active).where(sl.Account.c.Acct == acct)).scalar()
        if not active:
            raise ValidationError(f"account {acct} is missing or inactive in SL", field=where)
        sub_active = conn.execute(
            select(sl.SubAcct.c.Active).where(sl.SubAcct.c.Sub == sub)
        ).scalar()
        if not sub_active:
            raise ValidationError(f"subaccount {sub} is missing or inactive in SL", field=where)
        self.accounts.add((acct, sub))


@dataclass
class Company:
    """The setup rows of one write transaction (ARSetup locked when numbering AR)."""

    settings: SLSettings
    catalog: Catalog
    gl: dict[str, Any]
    ar: dict[str, Any]
    #: When this transaction started (aware UTC).
    today: datetime
    #: Per-transaction memo of date conversions (a micro-batch shares a few dates).
    _dates: dict[Any, datetime] = field(default_factory=dict, repr=False)
    _periods: dict[tuple[datetime, str], str] = field(default_factory=dict, repr=False)

    @property
    def cpny_id(self) -> str:
        return self.settings.company

    @property
    def base_cury(self) -> str:
        return read_char(self.gl["BaseCuryId"])

    @property
    def ledger_id(self) -> str:
        return read_char(self.gl["LedgerID"])

    @cached_property
    def calendar(self) -> FiscalCalendar:
        return FiscalCalendar.from_glsetup(self.gl)

    def sl_date(self, day: Day) -> datetime:
        """A document date as SL stores it (local midnight)."""
        if day not in self._dates:
            self._dates[day] = to_sl_date(day, self.settings.timezone)
        return self._dates[day]

    def period(self, day: Day, module: str, field: str = "date") -> str:
        """PerPost for a document dated ``day`` in ``module`` (AR or GL), or refused."""
        local = self.sl_date(day)
        if (local, module) not in self._periods:
            per = self.calendar.period_of(local.date())
            current = self.ar["PerNbr"] if module == "AR" else self.gl["PerNbr"]
            policy = self.settings.past_period
            self._periods[local, module] = check_period(
                per, current, module=module, policy=policy, field=field
            )
        return self._periods[local, module]

    def current_period(self, module: str) -> str:
        return read_char(self.ar["PerNbr"] if module == "AR" else self.gl["PerNbr"])

    def rate(self, conn: Connection, money: Money, day: Day, given: Decimal | None) -> Rate:
        """The currency columns for ``money`` on ``day`` (CuryRate unless ``given``)."""
        cury = money.currency
        decpl = self.catalog.currency_places(conn, cury, "currency")
        base = self.base_cury
        base_decpl = self.catalog.currency_places(conn, base, "GLSetup.BaseCuryId")
        when = self.sl_date(day)
        rate_type = self.settings.cury_rate_type
        if cury == base:
            return Rate(cury, Decimal(1), "M", when, rate_type, decpl, base_decpl)
        if given is not None:
            if given <= 0:
                raise ValidationError("must be positive", field="rate")
            return Rate(cury, given, "M", when, rate_type, decpl, base_decpl)
        found = self._lookup_rate(conn, cury, base, rate_type, when)
        if found is None:
            raise ValidationError(
                f"no {rate_type} rate from {cury} to {base} on or before {when:%Y-%m-%d}",
                field="currency",
            )
        rate, mult_div, eff = found
        return Rate(cury, rate, mult_div, eff, rate_type, decpl, base_decpl)

    @staticmethod
    def _lookup_rate(
        conn: Connection, cury: str, base: str, rate_type: str, when: datetime
    ) -> tuple[Decimal, str, datetime] | None:
        r = sl.CuryRate.c
        for frm, to, flip in ((cury, base, False), (base, cury, True)):
            row = conn.execute(
                select(r.Rate, r.MultDiv, r.EffDate)
                .where(r.FromCuryId == frm, r.ToCuryId == to, r.RateType == rate_type)
                .where(r.EffDate <= when)
                .order_by(r.EffDate.desc())
                .limit(1)
            ).first()
            if row is not None and row[0]:
                rate = Decimal(repr(float(row[0])))
                mult_div = read_char(row[1]) or "M"
                if flip:
                    mult_div = "D" if mult_div == "M" else "M"
                return rate, mult_div, row[2]
        return None

    def places(self, conn: Connection, cury_id: str) -> int:
        return self.catalog.currency_places(conn, cury_id, "currency")

    def money(self, conn: Connection, value: float, cury_id: str) -> Decimal:
        return read_money(value, self.places(conn, cury_id))


def read_gl_setup(conn: Connection) -> dict[str, Any]:
    """GLSetup's row, unlocked (the AR paths only need the calendar and base currency)."""
    row = conn.execute(select(sl.GLSetup)).first()
    if row is None:
        raise ValidationError("SL company has no GLSetup row", field="GLSetup")
    return dict(row._mapping)
