"""SL users' AR acts: invoice shipped orders (OM's sales journal) and enter credit memos.

``invoice`` writes, like SL's sales journal (40.690), one IN for everything shipped and not yet
invoiced - lines on the order lines' sales accounts, freight and tax on the first invoice (the
sandbox has no tax accounts: tax goes to SOType.MiscAcct) - in its own unreleased AR batch
(EditScrnNbr 08010, OrigScrnNbr 40690, JrnlType OM). Released, it books Dr AR / Cr Sales.

``credit_memo`` is 08.010: a CM with one line on Refunds; ``card_refund`` flags it for slpay
(DESIGN.md: the configured ARDoc field, default ``User1 = 'CARDREFUND'``, and the order number
in OrdNbr and CustOrdNbr).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char, read_money
from slpay.connectors.dynamics_sl.db import write_transaction
from slpay.connectors.dynamics_sl.rows import update_values
from slpay.domain.money import Money
from slpay.errors import ValidationError
from slpay.sandbox.sl.screens import Document, Line, currency, enter_ar_batch
from slpay.sandbox.sl.so import (
    SO,
    SOL,
    find_order,
    line_amount,
    order_currency,
    order_lines,
    qty_of,
    user_audit,
)

_SH = sl.SOShipHeader.c


@dataclass(frozen=True)
class Invoiced:
    """The IN the sales journal wrote for an order."""

    ord_nbr: str
    batnbr: str
    ref_nbr: str
    amount: Decimal
    currency: str
    shippers: list[str]


@dataclass(frozen=True)
class CreditMemo:
    """The CM an SL user entered."""

    cust_id: str
    batnbr: str
    ref_nbr: str
    amount: Decimal
    currency: str
    card_refund: bool


def invoice(engine: Engine, ord_nbr: str, *, settings: SLSettings | None = None) -> Invoiced:
    """Invoice what was shipped on ``ord_nbr`` and not invoiced yet (field ``order`` if none)."""
    cfg = settings or SLSettings()
    audit = user_audit(cfg, "40690")
    with write_transaction(engine) as conn:
        order = find_order(conn, cfg.company, ord_nbr)
        if order["Cancelled"]:
            raise ValidationError("the order is cancelled", field="order")
        shippers = _uninvoiced_shippers(conn, order)
        lines = [(ln, qty_of(ln["QtyToInvc"])) for ln in order_lines(conn, order)]
        lines = [(ln, q) for ln, q in lines if q > 0]
        if not shippers or not lines:
            raise ValidationError("nothing shipped is waiting to be invoiced", field="order")
        cury = order_currency(conn, order)
        doc_lines = _invoice_lines(conn, order, lines, shippers, cury.decpl)
        doc = Document(
            cust_id=read_char(order["CustID"]),
            doc_type="IN",
            ar_acct=read_char(order["ARAcct"]) or _customer_ar(conn, order)[0],
            ar_sub=read_char(order["ARSub"]) or _customer_ar(conn, order)[1],
            terms=read_char(order["TermsID"]),
            desc=f"Order {read_char(order['OrdNbr'])}",
            lines=tuple(doc_lines),
            ord_nbr=read_char(order["OrdNbr"]),
            cust_ord_nbr=read_char(order["CustOrdNbr"]),
        )
        today = audit.now.replace(hour=0, minute=0)
        entered = enter_ar_batch(
            conn,
            audit,
            cpny_id=cfg.company,
            cury=cury,
            doc_date=today,
            docs=[doc],
            orig_screen="40690",
            jrnl_type="OM",
            descr="Sales journal",
        )
        _, ref, amount = entered.documents[0]
        _mark_invoiced(conn, audit, order, lines, shippers, entered.batnbr, ref)
    return Invoiced(read_char(order["OrdNbr"]), entered.batnbr, ref, amount, cury.cury_id, shippers)


def _uninvoiced_shippers(conn: Connection, order: dict[str, Any]) -> list[str]:
    rows = conn.execute(
        select(_SH.ShipperID, _SH.InvcNbr)
        .where(_SH.CpnyID == order["CpnyID"], _SH.OrdNbr == order["OrdNbr"])
        .where(_SH.ShippingConfirmed == 1, _SH.Cancelled == 0)
        .order_by(_SH.ShipperID)
    ).all()
    return [read_char(r.ShipperID) for r in rows if not read_char(r.InvcNbr)]


def _invoice_lines(
    conn: Connection,
    order: dict[str, Any],
    lines: list[tuple[dict[str, Any], Decimal]],
    shippers: list[str],
    places: int,
) -> list[Line]:
    so_type = conn.execute(
        select(sl.SOType).where(
            sl.SOType.c.CpnyID == order["CpnyID"], sl.SOType.c.SOTypeID == order["SOTypeID"]
        )
    ).first()
    fallback = (read_char(so_type.SlsAcct), read_char(so_type.SlsSub)) if so_type else ("", "")
    ord_nbr = read_char(order["OrdNbr"])
    shipper = shippers[0] if len(shippers) == 1 else ""
    out = [
        Line(
            acct=read_char(ln["SlsAcct"]) or fallback[0],
            sub=read_char(ln["SlsSub"]) or fallback[1],
            cury_amt=line_amount(ln, q, places),
            desc=read_char(ln["Descr"]) or read_char(ln["InvtID"]),
            qty=q,
            invt_id=read_char(ln["InvtID"]),
            ord_nbr=ord_nbr,
            shipper_id=shipper,
            shipper_line_ref=read_char(ln["LineRef"]),
        )
        for ln, q in lines
    ]
    if not read_char(order["InvcNbr"]) and so_type is not None:
        extras = [("CuryTotFrt", "FrtAcct", "FrtSub", "Freight"),
                  ("CuryTotTax", "MiscAcct", "MiscSub", "Sales tax")]  # fmt: skip
        for column, acct, sub, desc in extras:
            amount = read_money(order[column], places)
            if amount > 0:
                out.append(Line(read_char(so_type._mapping[acct]),
                                read_char(so_type._mapping[sub]), amount, desc,
                                ord_nbr=ord_nbr))  # fmt: skip
    return out


def _customer_ar(conn: Connection, order: dict[str, Any]) -> tuple[str, str]:
    row = conn.execute(
        select(sl.Customer.c.ArAcct, sl.Customer.c.ArSub).where(
            sl.Customer.c.CustId == order["CustID"]
        )
    ).first()
    if row is not None and read_char(row.ArAcct):
        return read_char(row.ArAcct), read_char(row.ArSub)
    ar = conn.execute(select(sl.ARSetup.c.ArAcct, sl.ARSetup.c.ArSub)).one()
    return read_char(ar.ArAcct), read_char(ar.ArSub)


def _mark_invoiced(
    conn: Connection,
    audit: Any,
    order: dict[str, Any],
    lines: list[tuple[dict[str, Any], Decimal]],
    shippers: list[str],
    batnbr: str,
    ref: str,
) -> None:
    today = audit.now.replace(hour=0, minute=0)
    conn.execute(
        update(sl.SOShipHeader)
        .where(_SH.CpnyID == order["CpnyID"], _SH.ShipperID.in_(shippers))
        .values(
            update_values(
                sl.SOShipHeader,
                audit,
                {
                    "InvcNbr": ref,
                    "InvcDate": today,
                    "ARBatNbr": batnbr,
                    "ARDocType": "IN",
                    "Status": "C",
                    "PerClosed": read_char(order["PerPost"]),
                },
            )
        )
    )
    all_closed = True
    for line, _ in lines:
        closed = qty_of(line["QtyShip"]) >= qty_of(line["QtyOrd"])
        all_closed = all_closed and closed
        conn.execute(
            update(sl.SOLine)
            .where(
                SOL.CpnyID == line["CpnyID"],
                SOL.OrdNbr == line["OrdNbr"],
                SOL.LineRef == line["LineRef"],
            )
            .values(
                update_values(
                    sl.SOLine, audit, {"QtyToInvc": 0.0, "Status": "C" if closed else "O"}
                )
            )
        )
    open_lines = [ln for ln in order_lines(conn, order) if read_char(ln["Status"]) != "C"]
    header: dict[str, Any] = {"InvcDate": today, "Status": "O" if open_lines else "C"}
    if not read_char(order["InvcNbr"]):
        header["InvcNbr"] = ref
    conn.execute(
        update(sl.SOHeader)
        .where(SO.CpnyID == order["CpnyID"], SO.OrdNbr == order["OrdNbr"])
        .values(update_values(sl.SOHeader, audit, header))
    )


def credit_memo(
    engine: Engine,
    cust_id: str,
    amount: Money,
    *,
    ord_nbr: str | None = None,
    card_refund: bool = False,
    description: str = "",
    settings: SLSettings | None = None,
) -> CreditMemo:
    """Enter a CM for ``cust_id`` (line on Refunds) in its own unreleased 08.010 batch."""
    cfg = settings or SLSettings()
    if amount.amount <= 0:
        raise ValidationError("must be greater than zero", field="amount")
    if card_refund and not ord_nbr:
        raise ValidationError("a card refund needs the order it refunds", field="order")
    audit = user_audit(cfg, "08010")
    with write_transaction(engine) as conn:
        customer = conn.execute(
            select(sl.Customer).where(sl.Customer.c.CustId == cust_id.strip())
        ).first()
        if customer is None:
            raise ValidationError(f"no customer {cust_id!r}", field="customer")
        today = audit.now.replace(hour=0, minute=0)
        cury = currency(conn, amount.currency, today, cfg.cury_rate_type)
        cust_ord_nbr = ""
        if ord_nbr:
            order = find_order(conn, cfg.company, ord_nbr)
            if read_char(order["CustID"]) != read_char(customer.CustId):
                raise ValidationError(f"order {ord_nbr} is not {cust_id}'s", field="order")
            cust_ord_nbr = read_char(order["CustOrdNbr"])
        flag: dict[str, str] = {cfg.card_refund_field: cfg.card_refund_value} if card_refund else {}
        a = cfg.accounts
        ar = _customer_ar(conn, {"CustID": customer.CustId})
        doc = Document(
            cust_id=read_char(customer.CustId),
            doc_type="CM",
            ar_acct=ar[0],
            ar_sub=ar[1],
            terms=read_char(customer.Terms),
            desc=description or "Credit memo",
            lines=(
                Line(
                    a.refunds_acct,
                    a.refunds_sub,
                    amount.amount,
                    description or "Refund",
                    ord_nbr=ord_nbr or "",
                ),
            ),
            ord_nbr=ord_nbr or "",
            cust_ord_nbr=cust_ord_nbr,
            user_fields=flag,
        )
        entered = enter_ar_batch(conn, audit, cpny_id=cfg.company, cury=cury, doc_date=today,
                                 docs=[doc], descr="Credit memo")  # fmt: skip
    _, ref, cury_amt = entered.documents[0]
    return CreditMemo(read_char(customer.CustId), entered.batnbr, ref, cury_amt,
                      cury.cury_id, card_refund)  # fmt: skip
