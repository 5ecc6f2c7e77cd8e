"""The sandbox's SL users: ship, invoice, cancel an order, issue a credit memo.

What slpay reads back are DESIGN.md's SL signals: a confirmed shipper, a released IN with the
order number, SOHeader.Cancelled, a released CM flagged for a card refund.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine
from test_sl_sandbox_support import (  # noqa: F401 - fixtures
    ACC,
    AR,
    PERIOD,
    REFUNDS,
    SALES,
    ardoc,
    batch,
    company_fixture,
    count,
    gl_net,
    one,
    order,
    pg_company_fixture,
    pg_session_url_fixture,
    rows,
    sqlite_company_fixture,
    writer,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.domain.money import Money
from slpay.errors import ValidationError
from slpay.sandbox.sl import users
from slpay.sandbox.sl.release import release_batch

D = Decimal
SO, SOL, SH, DOC = sl.SOHeader.c, sl.SOLine.c, sl.SOShipHeader.c, sl.ARDoc.c


def header(engine: Engine, ord_nbr: str) -> dict[str, object]:
    return one(engine, sl.SOHeader, SO.OrdNbr == ord_nbr)


def test_ship_confirms_a_shipper_for_everything_left(company: Engine) -> None:
    ord_nbr = order(writer(company), "S1", "30.00", qty="3").ord_nbr

    shipped = users.ship(company, ord_nbr)

    assert (shipped.amount, shipped.lines) == (D("30.00"), [("00001", D("3"))])
    shipper = one(company, sl.SOShipHeader, SH.ShipperID == shipped.shipper_id)
    assert (shipper["OrdNbr"], shipper["ShippingConfirmed"], shipper["CustID"]) == (
        ord_nbr, 1, "C00001",
    )  # fmt: skip
    assert shipper["CustOrdNbr"] == "WEB-S1"
    assert one(company, sl.SOLine, SOL.OrdNbr == ord_nbr)["QtyShip"] == 3.0


def test_partial_shipments_are_invoiced_one_at_a_time(sqlite_company: Engine) -> None:
    ord_nbr = order(writer(sqlite_company), "S2", "40.00", qty="4").ord_nbr

    first = users.ship(sqlite_company, ord_nbr, {"1": D("1")})
    inv1 = users.invoice(sqlite_company, ord_nbr)
    second = users.ship(sqlite_company, ord_nbr)
    inv2 = users.invoice(sqlite_company, ord_nbr)

    assert (first.amount, inv1.amount, inv1.shippers) == (D("10.00"), D("10.00"),
                                                          [first.shipper_id])  # fmt: skip
    assert (second.lines, inv2.amount) == ([("00001", D("3"))], D("30.00"))
    assert inv1.batnbr != inv2.batnbr
    assert header(sqlite_company, ord_nbr)["Status"] == "C"
    with pytest.raises(ValidationError) as info:
        users.ship(sqlite_company, ord_nbr)
    assert info.value.field == "order"


def test_invoice_is_an_unreleased_in_that_releases_to_ar_and_sales(company: Engine) -> None:
    ord_nbr = order(writer(company), "S3", "55.00").ord_nbr
    users.ship(company, ord_nbr)

    inv = users.invoice(company, ord_nbr)

    doc = ardoc(company, "IN", inv.ref_nbr)
    assert (doc["OrdNbr"], doc["CustOrdNbr"], doc["Rlsed"], doc["PerPost"]) == (
        ord_nbr, "WEB-S3", 0, PERIOD,
    )  # fmt: skip
    assert (doc["BankAcct"], doc["CuryOrigDocAmt"], doc["DocBal"]) == (ACC.ar_acct, 55.0, 55.0)
    b = batch(company, "AR", inv.batnbr)
    assert (b["Status"], b["Rlsed"], b["EditScrnNbr"], b["OrigScrnNbr"], b["JrnlType"]) == (
        "B", 0, "08010", "40690", "OM",
    )  # fmt: skip
    assert (b["CrTot"], b["CtrlTot"], b["CuryCrTot"]) == (55.0, 55.0, 55.0)
    line = one(company, sl.ARTran, sl.ARTran.c.BatNbr == inv.batnbr)
    assert (line["Acct"], line["DrCr"], line["TranAmt"]) == (ACC.sales_acct, "C", 55.0)
    assert header(company, ord_nbr)["InvcNbr"] == inv.ref_nbr

    release_batch(company, "AR", inv.batnbr)

    # The signal slpay polls for: an IN with the order number, released.
    assert ardoc(company, "IN", inv.ref_nbr)["Rlsed"] == 1
    assert gl_net(company, "AR", inv.batnbr) == {AR: D("55.00"), SALES: D("-55.00")}


def test_invoice_of_an_order_not_shipped_is_refused(sqlite_company: Engine) -> None:
    ord_nbr = order(writer(sqlite_company), "S4", "10.00").ord_nbr

    with pytest.raises(ValidationError) as info:
        users.invoice(sqlite_company, ord_nbr)

    assert info.value.field == "order"
    assert count(sqlite_company, sl.ARDoc) == 0


def test_ship_refuses_more_than_ordered_and_unknown_lines(sqlite_company: Engine) -> None:
    ord_nbr = order(writer(sqlite_company), "S5", "20.00", qty="2").ord_nbr

    for qty in ({"1": D("3")}, {"7": D("1")}, {"1": D("0")}):
        with pytest.raises(ValidationError) as info:
            users.ship(sqlite_company, ord_nbr, qty)
        assert info.value.field == "qty"
    with pytest.raises(ValidationError) as unknown:
        users.ship(sqlite_company, "NOSUCH")
    assert unknown.value.field == "order"
    assert count(sqlite_company, sl.SOShipHeader) == 0


def test_cancel_sets_the_cancelled_flag_once(company: Engine) -> None:
    ord_nbr = order(writer(company), "S6", "20.00").ord_nbr

    first = users.cancel(company, ord_nbr)
    second = users.cancel(company, ord_nbr)

    assert (first.already, second.already) == (False, True)
    head = header(company, ord_nbr)
    assert (head["Cancelled"], head["Status"]) == (1, "C")
    assert {r["Status"] for r in rows(company, sl.SOLine, SOL.OrdNbr == ord_nbr)} == {"C"}
    with pytest.raises(ValidationError):
        users.ship(company, ord_nbr)


def test_an_invoiced_order_cannot_be_cancelled(sqlite_company: Engine) -> None:
    ord_nbr = order(writer(sqlite_company), "S7", "20.00").ord_nbr
    users.ship(sqlite_company, ord_nbr)
    users.invoice(sqlite_company, ord_nbr)

    with pytest.raises(ValidationError) as info:
        users.cancel(sqlite_company, ord_nbr)

    assert info.value.field == "order"
    assert header(sqlite_company, ord_nbr)["Cancelled"] == 0


def test_card_refund_credit_memo_carries_the_flag_and_the_order(company: Engine) -> None:
    ord_nbr = order(writer(company), "S8", "20.00").ord_nbr

    cm = users.credit_memo(company, "C00001", Money.of("12.50", "USD"), ord_nbr=ord_nbr,
                           card_refund=True)  # fmt: skip

    doc = ardoc(company, "CM", cm.ref_nbr)
    assert (doc["User1"], doc["OrdNbr"], doc["CustOrdNbr"], doc["Rlsed"]) == (
        "CARDREFUND", ord_nbr, "WEB-S8", 0,
    )  # fmt: skip
    assert batch(company, "AR", cm.batnbr)["CuryCrTot"] == 12.5
    release_batch(company, "AR", cm.batnbr)
    assert gl_net(company, "AR", cm.batnbr) == {REFUNDS: D("12.50"), AR: D("-12.50")}
    flagged = rows(company, sl.ARDoc, DOC.DocType == "CM", DOC.Rlsed == 1,
                   DOC.User1 == "CARDREFUND")  # fmt: skip
    assert [d["RefNbr"] for d in flagged] == [cm.ref_nbr]


def test_plain_credit_memo_in_euro_is_not_flagged(sqlite_company: Engine) -> None:
    cm = users.credit_memo(sqlite_company, "C00004", Money.of("10.00", "EUR"))

    doc = ardoc(sqlite_company, "CM", cm.ref_nbr)
    assert (doc["User1"], doc["CuryId"], doc["CuryOrigDocAmt"], doc["OrigDocAmt"]) == (
        "", "EUR", 10.0, 10.8,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("cust", "amount", "kwargs", "field"),
    [
        ("NOSUCH", "5.00", {}, "customer"),
        ("C00001", "0.00", {}, "amount"),
        ("C00001", "5.00", {"card_refund": True}, "order"),
        ("C00002", "5.00", {"ord_nbr": "WO000001"}, "order"),
    ],
)
def test_bad_credit_memo_names_the_field_and_writes_nothing(
    sqlite_company: Engine, cust: str, amount: str, kwargs: dict[str, object], field: str
) -> None:
    order(writer(sqlite_company), "S9", "20.00")  # WO000001, customer C00001

    with pytest.raises(ValidationError) as info:
        users.credit_memo(sqlite_company, cust, Money.of(amount, "USD"), **kwargs)  # type: ignore[arg-type]

    assert info.value.field == field
    assert count(sqlite_company, sl.ARDoc) == 0
    assert count(sqlite_company, sl.Batch) == 0


def test_credit_memo_in_a_currency_sl_lacks_is_refused(sqlite_company: Engine) -> None:
    with pytest.raises(ValidationError) as info:
        users.credit_memo(sqlite_company, "C00001", Money.of("5.00", "CHF"))

    assert info.value.field == "currency"
    assert count(sqlite_company, sl.Batch) == 0
