"""Sales-order helpers shared by the sandbox's SL users' acts (shipping, billing)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char, read_money, round_money, sl_now
from slpay.connectors.dynamics_sl.rows import Audit
from slpay.errors import ValidationError
from slpay.sandbox.sl.screens import Currency

#: The SL user the sandbox acts as.
SL_USER = "SYSADMIN"
ZERO = Decimal(0)
SO = sl.SOHeader.c
SOL = sl.SOLine.c


def user_audit(settings: SLSettings, prog: str) -> Audit:
    """Audit columns of a row an SL user's screen writes (``prog`` = screen number)."""
    return Audit(user=SL_USER, now=sl_now(settings.timezone), prog=prog)


def find_order(conn: Connection, cpny_id: str, ord_nbr: str) -> dict[str, Any]:
    """The SOHeader row, or ValidationError naming ``order``."""
    row = conn.execute(
        select(sl.SOHeader).where(SO.CpnyID == cpny_id, SO.OrdNbr == ord_nbr.strip())
    ).first()
    if row is None:
        raise ValidationError(f"no order {ord_nbr!r} in company {cpny_id}", field="order")
    return dict(row._mapping)


def order_lines(conn: Connection, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's SOLine rows by LineRef."""
    rows = conn.execute(
        select(sl.SOLine)
        .where(SOL.CpnyID == order["CpnyID"], SOL.OrdNbr == order["OrdNbr"])
        .order_by(SOL.LineRef)
    ).all()
    return [dict(r._mapping) for r in rows]


def qty_of(value: float) -> Decimal:
    """A FLOAT quantity as a Decimal (4 places)."""
    return read_money(value, 4).normalize()


def line_amount(line: dict[str, Any], qty: Decimal, places: int) -> Decimal:
    """Quantity × the line's price (order currency), rounded to the currency's places."""
    return round_money(qty * read_money(line["CurySlsPrice"], 10), places)


def order_currency(conn: Connection, order: dict[str, Any]) -> Currency:
    """The order's currency and the rate it was entered at."""
    places = {
        read_char(c): int(d)
        for c, d in conn.execute(select(sl.Currncy.c.CuryId, sl.Currncy.c.DecPl))
    }
    base = read_char(conn.execute(select(sl.GLSetup.c.BaseCuryId)).scalar_one())
    cury = read_char(order["CuryID"]) or base
    rate = read_money(order["CuryRate"], 10).normalize() or Decimal(1)
    return Currency(
        cury, rate, read_char(order["CuryMultDiv"]) or "M", order["CuryEffDate"],
        read_char(order["CuryRateType"]), places.get(cury, 2), places.get(base, 2),
    )  # fmt: skip
