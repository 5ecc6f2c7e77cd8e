"""Batches SL would refuse are refused, with SL's message numbers, and left as they were.

The writer never produces these batches, so each test takes a good one and breaks it the way a
faulty integration (or an SL user) could.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, delete, update
from test_sl_sandbox_support import (  # noqa: F401 - fixtures
    CLEARING,
    REFUNDS,
    apply,
    ardoc,
    batch,
    capture,
    company_fixture,
    count,
    memo,
    order,
    pg_company_fixture,
    pg_session_url_fixture,
    sqlite_company_fixture,
    writer,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import JournalInput, JournalLine
from slpay.domain.money import Money
from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.release import ReleaseRefused, release_all, release_batch

B, DOC, TRAN, G = sl.Batch.c, sl.ARDoc.c, sl.ARTran.c, sl.GLTran.c


def change(engine: Engine, table: Any, where: Any, **values: Any) -> None:
    with engine.begin() as conn:
        assert conn.execute(update(table).where(where).values(**values)).rowcount >= 1


def refused(engine: Engine, module: str, batnbr: str) -> ReleaseRefused:
    with pytest.raises(ReleaseRefused) as info:
        release_batch(engine, module, batnbr)
    return info.value


def invoiced(engine: Engine, key: str, amount: str) -> users.Invoiced:
    ord_nbr = order(writer(engine), key, amount).ord_nbr
    users.ship(engine, ord_nbr)
    return users.invoice(engine, ord_nbr)


def assert_unreleased(engine: Engine, module: str, batnbr: str, status: str) -> None:
    b = batch(engine, module, batnbr)
    assert (b["Rlsed"], b["Status"]) == (0, status)
    assert count(engine, sl.GLTran, G.Module == module, G.BatNbr == batnbr, G.Rlsed == 1) == 0
    assert count(engine, sl.ARAdjust, sl.ARAdjust.c.AdjBatNbr == batnbr) == 0
    assert count(engine, sl.ARDoc, DOC.BatNbr == batnbr, DOC.Rlsed == 1) == 0


def journal(engine: Engine, debit: str = "50.00", credit: str = "-50.00") -> str:
    doc = writer(engine).write_journal(
        JournalInput(
            key=f"gl:{debit}:{credit}",
            date=datetime(2026, 5, 15, 12, tzinfo=UTC),
            lines=(
                JournalLine("1000", "000000", Money.of(debit, "USD")),
                JournalLine(*CLEARING, Money.of(credit, "USD")),
            ),
        )
    )
    return doc.bat_nbr


def test_unbalanced_gl_batch_is_refused_6019_and_left_on_its_status(company: Engine) -> None:
    batnbr = journal(company)
    change(company, sl.GLTran, (G.BatNbr == batnbr) & (G.DrAmt > 0), DrAmt=49.0, CuryDrAmt=49.0)

    exc = refused(company, "GL", batnbr)

    assert exc.message_number == 6019
    assert_unreleased(company, "GL", batnbr, "B")
    assert trial_balance(company) == {}


def test_ar_batch_with_control_total_off_is_refused_12123_and_suspended(company: Engine) -> None:
    pp = capture(writer(company), "C1", "40.00")
    change(company, sl.Batch, B.BatNbr == pp.bat_nbr, CuryCrTot=45.0)

    exc = refused(company, "AR", pp.bat_nbr)

    assert (exc.message_number, exc.module, exc.batnbr) == (12123, "AR", pp.bat_nbr)
    assert_unreleased(company, "AR", pp.bat_nbr, "S")
    # Corrected, a suspended batch releases on the next try, as in SL.
    change(company, sl.Batch, B.BatNbr == pp.bat_nbr, CuryCrTot=40.0)
    assert release_batch(company, "AR", pp.bat_nbr).status == "P"


def test_deposit_amount_off_is_refused_by_the_sandbox(sqlite_company: Engine) -> None:
    pp = capture(writer(sqlite_company), "C2", "40.00")
    change(sqlite_company, sl.Batch, B.BatNbr == pp.bat_nbr, DepositAmt=0.0)

    exc = refused(sqlite_company, "AR", pp.bat_nbr)

    assert exc.message_number is None
    assert "DepositAmt" in exc.text


def test_applying_a_document_before_it_is_released_is_refused_12306(company: Engine) -> None:
    inv = invoiced(company, "U1", "20.00")
    release_batch(company, "AR", inv.batnbr)
    pa = capture(writer(company), "U1", "20.00", applies_to=(("IN", inv.ref_nbr),))
    # As if the invoice had never been released (e.g. released in a copy of the database).
    change(company, sl.ARDoc, (DOC.DocType == "IN") & (DOC.RefNbr == inv.ref_nbr), Rlsed=0)

    exc = refused(company, "AR", pa.bat_nbr)

    assert exc.message_number == 12306
    assert_unreleased(company, "AR", pa.bat_nbr, "S")
    assert ardoc(company, "IN", inv.ref_nbr)["DocBal"] == 20.0


def test_release_all_releases_the_invoice_before_the_payment_applied_to_it(
    sqlite_company: Engine,
) -> None:
    inv = invoiced(sqlite_company, "U2", "20.00")
    release_batch(sqlite_company, "AR", inv.batnbr)
    pa = capture(writer(sqlite_company), "U2", "20.00", applies_to=(("IN", inv.ref_nbr),))
    # Put the invoice back to unreleased: both batches are now pending, the payment first.
    change(sqlite_company, sl.ARDoc, DOC.BatNbr == inv.batnbr, Rlsed=0)
    change(sqlite_company, sl.ARTran, TRAN.BatNbr == inv.batnbr, Rlsed=0)
    change(sqlite_company, sl.Batch, B.BatNbr == inv.batnbr, Rlsed=0, Status="B")
    with sqlite_company.begin() as conn:
        conn.execute(delete(sl.GLTran).where(G.BatNbr == inv.batnbr))

    report = release_all(sqlite_company)

    assert report.refused == []
    assert [r.batnbr for r in report.released] == [inv.batnbr, pa.bat_nbr]
    assert ardoc(sqlite_company, "IN", inv.ref_nbr)["DocBal"] == 0


def test_batch_in_a_period_after_the_current_one_is_refused_6035(company: Engine) -> None:
    pp = capture(writer(company), "F1", "10.00")
    change(company, sl.Batch, B.BatNbr == pp.bat_nbr, PerPost="202606")

    exc = refused(company, "AR", pp.bat_nbr)

    assert (exc.message_number, exc.stage) == (6035, "posting")
    assert_unreleased(company, "AR", pp.bat_nbr, "B")


def test_future_period_gl_batch_is_refused_6035(sqlite_company: Engine) -> None:
    batnbr = journal(sqlite_company)
    change(sqlite_company, sl.Batch, B.BatNbr == batnbr, PerPost="202607")
    change(sqlite_company, sl.GLTran, G.BatNbr == batnbr, PerPost="202607")

    assert refused(sqlite_company, "GL", batnbr).message_number == 6035
    assert_unreleased(sqlite_company, "GL", batnbr, "B")


def test_u_rows_for_an_auto_apply_customer_are_refused_8888(sqlite_company: Engine) -> None:
    w = writer(sqlite_company)
    inv = invoiced(sqlite_company, "AA", "20.00")
    release_batch(sqlite_company, "AR", inv.batnbr)
    pa = capture(w, "AA", "20.00", applies_to=(("IN", inv.ref_nbr),))
    change(sqlite_company, sl.Customer, sl.Customer.c.CustId == "C00001", AutoApply=1)

    assert refused(sqlite_company, "AR", pa.bat_nbr).message_number == 8888
    assert_unreleased(sqlite_company, "AR", pa.bat_nbr, "S")


def test_invoice_without_detail_lines_is_refused_12125(sqlite_company: Engine) -> None:
    inv = invoiced(sqlite_company, "L1", "20.00")
    with sqlite_company.begin() as conn:
        conn.execute(delete(sl.ARTran).where(TRAN.BatNbr == inv.batnbr))

    assert refused(sqlite_company, "AR", inv.batnbr).message_number == 12125


def test_line_with_a_blank_account_is_refused_6928(sqlite_company: Engine) -> None:
    inv = invoiced(sqlite_company, "L2", "20.00")
    change(sqlite_company, sl.ARTran, TRAN.BatNbr == inv.batnbr, Acct=" ")

    assert refused(sqlite_company, "AR", inv.batnbr).message_number == 6928


def test_line_on_an_account_sl_does_not_have_is_refused(sqlite_company: Engine) -> None:
    cm = memo(writer(sqlite_company), "L3", "CM", "5.00", REFUNDS)
    change(sqlite_company, sl.ARTran, TRAN.BatNbr == cm.bat_nbr, Acct="9999")

    exc = refused(sqlite_company, "AR", cm.bat_nbr)

    assert exc.message_number is None
    assert "9999" in exc.text


def test_base_currency_line_with_different_amounts_is_refused_12124(
    sqlite_company: Engine,
) -> None:
    cm = memo(writer(sqlite_company), "L4", "CM", "5.00", REFUNDS)
    change(sqlite_company, sl.ARTran, TRAN.BatNbr == cm.bat_nbr, TranAmt=4.0)

    assert refused(sqlite_company, "AR", cm.bat_nbr).message_number == 12124


def test_releasing_a_released_batch_is_refused_12008(sqlite_company: Engine) -> None:
    pp = capture(writer(sqlite_company), "R2", "10.00")
    release_batch(sqlite_company, "AR", pp.bat_nbr)

    assert refused(sqlite_company, "AR", pp.bat_nbr).message_number == 12008
    assert len(trial_balance(sqlite_company)) == 2


def test_application_to_a_document_that_does_not_exist_is_refused(
    sqlite_company: Engine,
) -> None:
    w = writer(sqlite_company)
    cm = memo(w, "X1", "CM", "5.00", REFUNDS)
    dm = memo(w, "X1", "DM", "5.00", CLEARING)
    release_all(sqlite_company)
    app = apply(w, "X1", ("CM", cm.ref_nbr), ("DM", dm.ref_nbr))
    change(sqlite_company, sl.ARTran, TRAN.BatNbr == app.bat_nbr, SiteId="NOSUCHDOC")

    exc = refused(sqlite_company, "AR", app.bat_nbr)

    assert exc.message_number is None
    assert "does not exist" in exc.text


def test_applying_more_than_the_open_balance_is_refused(sqlite_company: Engine) -> None:
    w = writer(sqlite_company)
    cm = memo(w, "X2", "CM", "5.00", REFUNDS)
    dm = memo(w, "X2", "DM", "5.00", CLEARING)
    release_all(sqlite_company)
    app = apply(w, "X2", ("CM", cm.ref_nbr), ("DM", dm.ref_nbr))
    change(sqlite_company, sl.ARTran, TRAN.BatNbr == app.bat_nbr, CuryTranAmt=6.0, TranAmt=6.0)

    exc = refused(sqlite_company, "AR", app.bat_nbr)

    assert "balance" in exc.text
    assert ardoc(sqlite_company, "DM", dm.ref_nbr)["DocBal"] == 5.0


def test_gl_line_of_another_company_is_refused_12341(sqlite_company: Engine) -> None:
    batnbr = journal(sqlite_company)
    change(sqlite_company, sl.GLTran, G.BatNbr == batnbr, CpnyID="OTHER")

    assert refused(sqlite_company, "GL", batnbr).message_number == 12341


def test_unknown_batch_is_refused_without_a_message_number(sqlite_company: Engine) -> None:
    exc = refused(sqlite_company, "AR", "424242")

    assert (exc.message_number, exc.text) == (None, "no such batch")
