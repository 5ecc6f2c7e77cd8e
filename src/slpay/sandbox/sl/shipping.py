"""SL users' order acts: confirm a shipper (``ship``) and cancel an order (``cancel``).

A shipper is an SOShipHeader with ShippingConfirmed = 1 - DESIGN.md's "order shipped" signal -
for everything left to ship or for given quantities per line. The 23 SL tables have no
SOShipLine, so shipped quantities are kept on SOLine (QtyShip, QtyToInvc, QtyOpenShip).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.connectors.dynamics_sl.db import write_transaction
from slpay.connectors.dynamics_sl.numbering import allocate
from slpay.connectors.dynamics_sl.rows import Audit, full_row, update_values
from slpay.errors import ValidationError
from slpay.sandbox.sl.so import (
    SO,
    SOL,
    ZERO,
    find_order,
    line_amount,
    order_currency,
    order_lines,
    qty_of,
    user_audit,
)

_SH = sl.SOShipHeader.c


@dataclass(frozen=True)
class Shipped:
    ord_nbr: str
    shipper_id: str
    lines: list[tuple[str, Decimal]]
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Cancelled:
    ord_nbr: str
    already: bool


def ship(
    engine: Engine,
    ord_nbr: str,
    qty: dict[str, Decimal] | None = None,
    *,
    settings: SLSettings | None = None,
) -> Shipped:
    """Confirm a shipper for ``ord_nbr``; ``qty`` maps LineRef (``1`` or ``00001``) or InvtID
    to a quantity, default everything left to ship."""
    cfg = settings or SLSettings()
    audit = user_audit(cfg, "40680")
    with write_transaction(engine) as conn:
        order = find_order(conn, cfg.company, ord_nbr)
        if order["Cancelled"]:
            raise ValidationError("the order is cancelled", field="order")
        if order["AdminHold"] or order["CreditHold"]:
            raise ValidationError("the order is on hold", field="order")
        lines = order_lines(conn, order)
        picked = _pick(lines, qty)
        cury = order_currency(conn, order)
        amount = sum((line_amount(ln, q, cury.decpl) for ln, q in picked), ZERO)
        shipper_id = _shipper_number(conn, order)
        _insert_shipper(conn, audit, order, shipper_id, amount, len(picked))
        for line, q in picked:
            conn.execute(
                update(sl.SOLine)
                .where(
                    SOL.CpnyID == line["CpnyID"],
                    SOL.OrdNbr == line["OrdNbr"],
                    SOL.LineRef == line["LineRef"],
                )
                .values(
                    update_values(
                        sl.SOLine,
                        audit,
                        {
                            "QtyShip": float(qty_of(line["QtyShip"]) + q),
                            "QtyToInvc": float(qty_of(line["QtyToInvc"]) + q),
                            "QtyOpenShip": float(max(qty_of(line["QtyOpenShip"]) - q, ZERO)),
                        },
                    )
                )
            )
    shipped = [(read_char(ln["LineRef"]), q) for ln, q in picked]
    return Shipped(read_char(order["OrdNbr"]), shipper_id, shipped, amount, cury.cury_id)


def _pick(
    lines: list[dict[str, Any]], qty: dict[str, Decimal] | None
) -> list[tuple[dict[str, Any], Decimal]]:
    open_qty = {id(ln): qty_of(ln["QtyOrd"]) - qty_of(ln["QtyShip"]) for ln in lines}
    if not qty:
        picked = [(ln, open_qty[id(ln)]) for ln in lines if open_qty[id(ln)] > 0]
        if not picked:
            raise ValidationError("nothing is left to ship", field="order")
        return picked
    out = []
    for key, q in qty.items():
        line = next((ln for ln in lines if _matches(ln, key)), None)
        if line is None:
            raise ValidationError(f"the order has no line {key!r}", field="qty")
        if q <= 0 or q > open_qty[id(line)]:
            raise ValidationError(
                f"line {key}: {q} is not between 0 and the {open_qty[id(line)]} left to ship",
                field="qty",
            )
        out.append((line, q))
    return out


def _matches(line: dict[str, Any], key: str) -> bool:
    ref = read_char(line["LineRef"])
    return key == ref or (key.isdigit() and key.zfill(5) == ref) or key == read_char(line["InvtID"])


def _shipper_number(conn: Connection, order: dict[str, Any]) -> str:
    t = sl.SOType.c
    where = (t.CpnyID == order["CpnyID"], t.SOTypeID == order["SOTypeID"])
    so_type = conn.execute(select(sl.SOType).where(*where)).first()
    if so_type is None:
        raise ValidationError(
            f"order type {read_char(order['SOTypeID'])} is missing", field="order"
        )
    prefix = read_char(so_type.ShipperPrefix)

    def used(candidates: list[str]) -> set[str]:
        ids = [prefix + c for c in candidates]
        rows = conn.execute(select(_SH.ShipperID).where(_SH.ShipperID.in_(ids))).scalars()
        return {read_char(r)[len(prefix) :] for r in rows}

    (number,), last = allocate(so_type.LastShipperNbr, 1, used, max_width=15 - len(prefix))
    conn.execute(update(sl.SOType).where(*where).values(LastShipperNbr=last))
    return prefix + number


def _insert_shipper(
    conn: Connection,
    audit: Audit,
    order: dict[str, Any],
    shipper_id: str,
    amount: Decimal,
    nlines: int,
) -> None:
    copied = [
        "CpnyID", "OrdNbr", "CustID", "CustOrdNbr", "SOTypeID", "ARAcct", "ARSub", "AuthNbr",
        "TermsID", "ShipName", "ShipAddr1", "ShipAddr2", "ShipCity", "ShipState", "ShipZip",
        "ShipCountry", "ShipCustID", "BillName", "BillAddr1", "BillAddr2", "BillCity",
        "BillState", "BillZip", "BillCountry", "CuryID", "CuryRate", "CuryMultDiv",
        "CuryEffDate", "CuryRateType", "PerPost",
    ]  # fmt: skip
    values = {c: read_char(order[c]) if isinstance(order[c], str) else order[c] for c in copied}
    base = order_currency(conn, order).base(amount)
    conn.execute(insert(sl.SOShipHeader).values(full_row(sl.SOShipHeader, audit, {
        **values, "ShipperID": shipper_id, "Status": "O", "ShippingConfirmed": 1,
        "ShipDateAct": audit.now, "ShipDatePlan": audit.now, "OrdDate": order["OrdDate"],
        "CuryTotMerch": float(amount), "TotMerch": float(base), "CuryTotInvc": float(amount),
        "TotInvc": float(base), "CuryBalDue": float(amount), "BalDue": float(base),
        "LineCntr": nlines, "NextFunctionID": "4010000", "NextFunctionClass": " ",
    })))  # fmt: skip


def cancel(engine: Engine, ord_nbr: str, *, settings: SLSettings | None = None) -> Cancelled:
    """Cancel an order as SL's order entry does: Cancelled = 1, Status C, lines closed."""
    cfg = settings or SLSettings()
    audit = user_audit(cfg, "40100")
    with write_transaction(engine) as conn:
        order = find_order(conn, cfg.company, ord_nbr)
        number = read_char(order["OrdNbr"])
        if order["Cancelled"]:
            return Cancelled(number, already=True)
        if read_char(order["InvcNbr"]):
            raise ValidationError(
                "the order is invoiced; issue a credit memo instead", field="order"
            )
        where = (SO.CpnyID == order["CpnyID"], SO.OrdNbr == order["OrdNbr"])
        conn.execute(
            update(sl.SOHeader)
            .where(*where)
            .values(
                update_values(
                    sl.SOHeader,
                    audit,
                    {
                        "Cancelled": 1,
                        "Status": "C",
                        "CancelDate": audit.now,
                        "DateCancelled": audit.now,
                    },
                )
            )
        )
        conn.execute(
            update(sl.SOLine)
            .where(SOL.CpnyID == order["CpnyID"], SOL.OrdNbr == order["OrdNbr"])
            .values(update_values(sl.SOLine, audit, {"Status": "C"}))
        )
    return Cancelled(number, already=False)
