"""SL signals read by polling, with SL users' acts played by the sandbox (ship, invoice, ...)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from test_sl_writer_support import (  # noqa: F401 - fixtures
    NOW,
    company_fixture,
    pg_company_fixture,
    pg_schema_fixture,
    sqlite_template_fixture,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import sl_now
from slpay.connectors.dynamics_sl.models import CustomerRef, OrderInput, OrderLine, PaymentInput
from slpay.connectors.dynamics_sl.reader import SLReader, SLSignal, Watermark
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money
from slpay.sandbox.sl.billing import credit_memo, invoice
from slpay.sandbox.sl.release import release_all
from slpay.sandbox.sl.shipping import cancel, ship


def _order(writer: SLWriter, n: int) -> str:
    doc = writer.write_order(OrderInput(
        f"o{n}:authorize", f"WEB-{n}", CustomerRef(cust_id="C00001"),
        (OrderLine("WIDGET", "Widget", Decimal(1), Money.of("25.00", "USD")),), NOW,
    ))  # fmt: skip
    return doc.ord_nbr


def _kinds(signals: list[SLSignal]) -> set[tuple[str, str]]:
    return {(s.kind, s.ord_nbr or s.ref_nbr or s.bat_nbr or s.cust_id) for s in signals}


def test_each_signal_is_reported_once_across_overlapping_polls(company: Engine) -> None:
    writer = SLWriter(company)
    reader = SLReader(company)
    shipped_order, cancelled_order = _order(writer, 1), _order(writer, 2)
    _, mark = reader.poll()

    ship(company, shipped_order)
    cancel(company, cancelled_order)
    signals, mark = reader.poll(mark)
    assert _kinds(signals) == {("shipped", shipped_order), ("cancelled", cancelled_order)}
    assert reader.poll(mark)[0] == []  # same minute, re-read, deduplicated

    invoice(company, shipped_order)
    pp = writer.write_payment(PaymentInput("t:capture", CustomerRef(cust_id="C00001"),
                                           Money.of("25.00", "USD"), NOW,
                                           order_nbr=shipped_order))  # fmt: skip
    credit_memo(company, "C00001", Money.of("5.00", "USD"), ord_nbr=shipped_order,
                card_refund=True)  # fmt: skip
    release_all(company)
    signals, mark = reader.poll(mark)

    kinds = {s.kind for s in signals}
    assert kinds == {"invoiced", "released", "card_refund"}
    invoiced = next(s for s in signals if s.kind == "invoiced")
    assert (invoiced.ord_nbr, invoiced.doc_type, invoiced.amount) == (shipped_order, "IN", 25.0)
    refund = next(s for s in signals if s.kind == "card_refund")
    assert (refund.doc_type, refund.ord_nbr, refund.amount) == ("CM", shipped_order, 5.0)
    released = {(s.module, s.bat_nbr, s.ref_nbr) for s in signals if s.kind == "released"}
    assert released == {("AR", pp.bat_nbr, pp.ref_nbr), ("AR", pp.bat_nbr, "")}
    assert reader.poll(mark)[0] == []


def test_customer_edited_by_sl_user_is_a_signal_but_slpay_own_writes_are_not(
    company: Engine,
) -> None:
    writer = SLWriter(company)
    reader = SLReader(company)
    _, mark = reader.poll()
    writer.ensure_customer(CustomerRef(email="fresh@example.com"))
    assert reader.poll(mark)[0] == []
    with company.begin() as conn:
        conn.execute(
            sl.Customer.update()
            .where(sl.Customer.c.CustId == "C00002")
            .values(Phone="555-0100", LUpd_DateTime=sl_now(), LUpd_Prog="08260", LUpd_User="ALICE")
        )

    signals, _ = reader.poll(mark)
    assert [(s.kind, s.cust_id) for s in signals] == [("customer_changed", "C00002")]


def test_watermark_survives_a_restart_as_json() -> None:
    mark = Watermark(datetime(2026, 5, 15, 14, 30, tzinfo=UTC), frozenset({"shipped:DEMO:SH1"}))
    assert Watermark.from_json(mark.to_json()) == mark
    assert mark.since - timedelta(minutes=2) < mark.since
