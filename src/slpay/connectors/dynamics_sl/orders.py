"""Sales orders: SOHeader + SOLine for an eCommerce order, and status harmonization.

CustOrdNbr = the eCommerce order number; OrdNbr from SOType's numbering; AuthNbr = the card
authorization code; AdminHold while in review; Cancelled for declined/rejected/reversed; the
display label (Open / Paid / On Hold) in a configurable SOHeader user field. Header totals are
the sums of the stored line amounts, so they always agree. No SOPrePay rows (DESIGN.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from slpay.connectors.dynamics_sl import customers
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.context import Company, Rate
from slpay.connectors.dynamics_sl.conventions import (
    clip,
    line_nbr,
    line_ref,
    read_char,
    round_money,
)
from slpay.connectors.dynamics_sl.models import (
    Customer,
    CustomerRef,
    OrderChange,
    OrderInput,
    SLDocument,
)
from slpay.connectors.dynamics_sl.numbering import order_numbers
from slpay.connectors.dynamics_sl.rows import Audit, check_text, full_row, update_values
from slpay.domain.money import Money
from slpay.errors import ValidationError

H = sl.SOHeader.c


def check_order(item: OrderInput) -> None:
    """Input checks that need no database."""
    if not item.lines:
        raise ValidationError("an order needs at least one line", field="lines")
    currencies = {line.unit_price.currency for line in item.lines}
    currencies |= {m.currency for m in (item.freight, item.tax) if m is not None}
    if len(currencies) != 1:
        raise ValidationError("all amounts must be in one currency", field="lines")
    for i, line in enumerate(item.lines):
        if line.qty <= 0:
            raise ValidationError("must be greater than zero", field=f"lines[{i}].qty")
        if line.unit_price.amount < 0:
            raise ValidationError("must not be negative", field=f"lines[{i}].unit_price")
    check_text(sl.SOHeader, {"CustOrdNbr": item.cust_ord_nbr, "AuthNbr": item.auth_nbr})


def write_order(conn: Connection, company: Company, audit: Audit, item: OrderInput) -> SLDocument:
    """Write the order; SOType's numbering row is locked until commit."""
    check_order(item)
    rate = company.rate(conn, item.lines[0].unit_price, item.date, item.rate)
    # SOType first, then the customer counter: the same lock order as every other write.
    (ord_nbr,) = order_numbers(conn, company.cpny_id, company.settings.so_type_id, 1)
    customer = customers.resolve(conn, company, item.customer, audit)
    header, lines = order_rows(company, audit, item, rate, customer, ord_nbr)
    # Parameters, not .values(): SQLAlchemy would build a cache key over ~100 literals.
    conn.execute(insert(sl.SOHeader), header)
    conn.execute(insert(sl.SOLine), lines)
    return order_document(company, item, ord_nbr, customer)


def order_document(
    company: Company, item: OrderInput, ord_nbr: str, customer: Customer
) -> SLDocument:
    """What the writer returns (and records in ``slpay_xref``) for a new order."""
    return SLDocument(
        key=item.key,
        kind="order",
        cpny_id=company.cpny_id,
        module="SO",
        ord_nbr=ord_nbr,
        cust_id=customer.cust_id,
    )


def order_rows(
    company: Company, audit: Audit, item: OrderInput, rate: Rate, customer: Customer, ord_nbr: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The SOHeader row and SOLine rows of an order (nothing written)."""
    s = company.settings
    when = company.sl_date(item.date)
    status = "C" if item.cancelled else "O"
    lines = []
    cury_merch = base_merch = Decimal(0)
    for i, line in enumerate(item.lines):
        cury_ext = round_money(line.qty * line.unit_price.amount, rate.cury_decpl)
        base_ext = rate.base(cury_ext)
        cury_merch += cury_ext
        base_merch += base_ext
        lines.append(
            full_row(
                sl.SOLine,
                audit,
                {
                    "CpnyID": company.cpny_id,
                    "OrdNbr": ord_nbr,
                    "LineRef": line_ref(i),
                    "LineNbr": line_nbr(i),
                    "InvtID": line.invt_id,
                    "Descr": clip(line.description, 60),
                    "QtyOrd": float(line.qty),
                    "QtyOpenShip": float(line.qty),
                    "CurySlsPrice": float(line.unit_price.amount),
                    "SlsPrice": float(rate.base(line.unit_price.amount)),
                    "CuryListPrice": float(line.unit_price.amount),
                    "ListPrice": float(rate.base(line.unit_price.amount)),
                    "CurySlsPriceOrig": float(line.unit_price.amount),
                    "SlsPriceOrig": float(rate.base(line.unit_price.amount)),
                    "CuryTotOrd": float(cury_ext),
                    "TotOrd": float(base_ext),
                    "SlsAcct": s.accounts.sales_acct,
                    "SlsSub": s.accounts.sales_sub,
                    "UnitDesc": "EA",
                    "UnitMultDiv": "M",
                    "CnvFact": 1.0,
                    "Status": status,
                    "ReqDate": when,
                    "PromDate": when,
                },
            )
        )
    cury_frt, base_frt = _pair(item.freight, rate)
    cury_tax, base_tax = _pair(item.tax, rate)
    cury_tot = cury_merch + cury_frt + cury_tax
    base_tot = base_merch + base_frt + base_tax
    ship = item.ship_to or item.customer
    header = {
        "CpnyID": company.cpny_id,
        "OrdNbr": ord_nbr,
        "SOTypeID": s.so_type_id,
        "Status": status,
        "CustID": customer.cust_id,
        "CustOrdNbr": item.cust_ord_nbr,
        "OrdDate": when,
        "PerPost": company.current_period("AR"),
        "TermsID": customer.terms,
        "CuryTotMerch": float(cury_merch),
        "TotMerch": float(base_merch),
        "CuryTotFrt": float(cury_frt),
        "TotFrt": float(base_frt),
        "CuryTotTax": float(cury_tax),
        "TotTax": float(base_tax),
        "CuryTotOrd": float(cury_tot),
        "TotOrd": float(base_tot),
        "CuryBalDue": float(cury_tot),
        "BalDue": float(base_tot),
        "CuryUnshippedBalance": float(cury_tot),
        "UnshippedBalance": float(base_tot),
        "ARAcct": customer.ar_acct,
        "ARSub": customer.ar_sub,
        "ShipCustID": customer.cust_id,
        **_address("Ship", ship, customer.name),
        **_address("Bill", item.customer, customer.name),
        "AuthNbr": item.auth_nbr,
        "AdminHold": int(item.admin_hold),
        "Cancelled": int(item.cancelled),
        "CancelDate": when if item.cancelled else None,
        "DateCancelled": when if item.cancelled else None,
        "LineCntr": len(lines),
        s.so_label_field: item.label,
        **rate.columns(sl.SOHeader),
    }
    header = {k: v for k, v in header.items() if v is not None}
    return full_row(sl.SOHeader, audit, header), lines


def _pair(money: Money | None, rate: Any) -> tuple[Decimal, Decimal]:
    if money is None:
        return Decimal(0), Decimal(0)
    if money.amount < 0:
        raise ValidationError("must not be negative", field="freight/tax")
    return money.amount, rate.base(money.amount)


def _address(prefix: str, ref: CustomerRef, name: str) -> dict[str, Any]:
    return {
        f"{prefix}Name": clip(ref.name or name, 60),
        f"{prefix}Addr1": clip(ref.addr1, 60),
        f"{prefix}Addr2": clip(ref.addr2, 60),
        f"{prefix}City": clip(ref.city, 30),
        f"{prefix}State": clip(ref.state, 3),
        f"{prefix}Zip": clip(ref.zip, 10),
        f"{prefix}Country": clip(ref.country, 3),
        f"{prefix}Phone": clip(ref.phone, 30),
    }


def find_order(conn: Connection, cpny_id: str, *, ord_nbr: str = "", cust_ord_nbr: str = "") -> str:
    """The SL OrdNbr of an order (by OrdNbr or by the eCommerce number), or ''."""
    stmt = select(H.OrdNbr).where(H.CpnyID == cpny_id)
    stmt = stmt.where(H.OrdNbr == ord_nbr) if ord_nbr else stmt.where(H.CustOrdNbr == cust_ord_nbr)
    return read_char(conn.execute(stmt.order_by(H.OrdNbr).limit(1)).scalar())


def change_order(
    conn: Connection, company: Company, audit: Audit, change: OrderChange
) -> SLDocument:
    """Apply hold / cancel / label / authorization code to an existing order."""
    s = company.settings
    found = find_order(conn, company.cpny_id, ord_nbr=change.ord_nbr)
    if not found:
        raise ValidationError(f"order {change.ord_nbr} not found", field="ord_nbr")
    values: dict[str, Any] = {}
    if change.admin_hold is not None:
        values["AdminHold"] = int(change.admin_hold)
    if change.label is not None:
        values[s.so_label_field] = change.label
    if change.auth_nbr is not None:
        values["AuthNbr"] = change.auth_nbr
    if change.cancelled is not None:
        when = company.sl_date(change.when or company.today)
        values["Cancelled"] = int(change.cancelled)
        values["Status"] = "C" if change.cancelled else "O"
        if change.cancelled:
            values.update(CancelDate=when, DateCancelled=when)
        line_status = update_values(sl.SOLine, audit, {"Status": values["Status"]})
        conn.execute(
            sl.SOLine.update()
            .where(sl.SOLine.c.CpnyID == company.cpny_id, sl.SOLine.c.OrdNbr == found)
            .values(line_status)
        )
    conn.execute(
        sl.SOHeader.update()
        .where(H.CpnyID == company.cpny_id, H.OrdNbr == found)
        .values(update_values(sl.SOHeader, audit, values))
    )
    cust = read_char(
        conn.execute(
            select(H.CustID).where(H.CpnyID == company.cpny_id, H.OrdNbr == found)
        ).scalar()
    )
    return SLDocument(
        key=change.key,
        kind="order-change",
        cpny_id=company.cpny_id,
        module="SO",
        ord_nbr=found,
        cust_id=cust,
    )
