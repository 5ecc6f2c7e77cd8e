"""Every kind of document the SL writer (and the sandbox's SL users) produce releases cleanly,
and the released state is the one FACTS §4 and §11 describe."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine
from test_sl_sandbox_support import (  # noqa: F401 - fixtures
    AR,
    CLEARING,
    NOW,
    PERIOD,
    PREPAY,
    REFUNDS,
    SALES,
    apply,
    ardoc,
    batch,
    capture,
    company_fixture,
    count,
    gl_lines,
    gl_net,
    memo,
    one,
    order,
    pg_company_fixture,
    pg_session_url_fixture,
    rows,
    sqlite_company_fixture,
    writer,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import (
    CustomerRef,
    JournalInput,
    JournalLine,
    PaymentInput,
)
from slpay.domain.money import Money
from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import TBKey, trial_balance
from slpay.sandbox.sl.release import release_all, release_batch

D = Decimal


def released_invoice(engine: Engine, key: str, amount: str, **kw: str) -> users.Invoiced:
    """An order shipped, invoiced by SL's sales journal and released."""
    ord_nbr = order(writer(engine), key, amount, **kw).ord_nbr
    users.ship(engine, ord_nbr)
    inv = users.invoice(engine, ord_nbr)
    release_batch(engine, "AR", inv.batnbr)
    return inv


def test_invoice_from_the_sales_journal_books_ar_against_sales(company: Engine) -> None:
    ord_nbr = order(writer(company), "A1", "84.00", qty="2").ord_nbr
    users.ship(company, ord_nbr)
    inv = users.invoice(company, ord_nbr)

    result = release_batch(company, "AR", inv.batnbr)

    assert (result.status, result.documents, result.gl_lines) == ("P", 1, 2)
    doc = ardoc(company, "IN", inv.ref_nbr)
    assert (doc["Rlsed"], doc["OpenDoc"], doc["DocBal"], doc["PerPost"]) == (1, 1, 84.0, PERIOD)
    assert gl_net(company, "AR", inv.batnbr) == {AR: D("84.00"), SALES: D("-84.00")}
    lines = gl_lines(company, "AR", inv.batnbr)
    assert {ln["Posted"] for ln in lines} == {"P"}
    assert {ln["Rlsed"] for ln in lines} == {1}
    assert sorted(ln["LineNbr"] for ln in lines) == [-32768, -32767]
    assert {ln["Id"] for ln in lines} == {"C00001"}
    assert {r["Rlsed"] for r in rows(company, sl.ARTran, sl.ARTran.c.BatNbr == inv.batnbr)} == {1}


def test_prepayment_releases_to_clearing_and_customer_prepayments(company: Engine) -> None:
    pp = capture(writer(company), "P1", "40.00", ord_nbr="WO000001")

    result = release_batch(company, "AR", pp.bat_nbr)

    assert result.status == "P"
    doc = ardoc(company, "PP", pp.ref_nbr)
    assert (doc["Rlsed"], doc["CuryDocBal"], doc["OpenDoc"], doc["ApplBatNbr"]) == (1, 40, 1, "")
    assert gl_net(company, "AR", pp.bat_nbr) == {CLEARING: D("40.00"), PREPAY: D("-40.00")}
    released = batch(company, "AR", pp.bat_nbr)
    assert (released["Rlsed"], released["Status"], released["CrTot"]) == (1, "P", 40.0)


def test_payment_applied_to_an_invoice_becomes_aradjust_and_zeroes_both(company: Engine) -> None:
    inv = released_invoice(company, "A2", "125.50")
    pa = capture(writer(company), "P2", "125.50", applies_to=(("IN", inv.ref_nbr),))
    assert count(company, sl.ARTran, sl.ARTran.c.BatNbr == pa.bat_nbr) == 1  # the U row

    result = release_batch(company, "AR", pa.bat_nbr)

    assert (result.adjustments, result.status) == (1, "P")
    assert count(company, sl.ARTran, sl.ARTran.c.BatNbr == pa.bat_nbr) == 0
    adj = one(company, sl.ARAdjust, sl.ARAdjust.c.AdjBatNbr == pa.bat_nbr)
    assert (adj["AdjdDocType"], adj["AdjdRefNbr"]) == ("IN", inv.ref_nbr)
    assert (adj["AdjgDocType"], adj["AdjgRefNbr"]) == ("PA", pa.ref_nbr)
    assert (adj["AdjAmt"], adj["CuryAdjdAmt"], adj["CuryAdjgAmt"]) == (125.5, 125.5, 125.5)
    assert (adj["PerAppl"], adj["AdjgPerPost"], adj["Crtd_Prog"]) == (PERIOD, PERIOD, "08400")
    assert adj["DateAppl"] == batch(company, "AR", pa.bat_nbr)["DateEnt"]
    for doc_type, ref in (("IN", inv.ref_nbr), ("PA", pa.ref_nbr)):
        doc = ardoc(company, doc_type, ref)
        assert (doc["DocBal"], doc["CuryDocBal"], doc["OpenDoc"], doc["PerClosed"]) == (
            0, 0, 0, PERIOD,
        )  # fmt: skip
    assert gl_net(company, "AR", pa.bat_nbr) == {CLEARING: D("125.50"), AR: D("-125.50")}


def test_payment_larger_than_the_invoice_leaves_the_rest_on_the_customer(
    sqlite_company: Engine,
) -> None:
    inv = released_invoice(sqlite_company, "A3", "20.00")
    pa = capture(writer(sqlite_company), "P3", "30.00", applies_to=(("IN", inv.ref_nbr),))

    release_batch(sqlite_company, "AR", pa.bat_nbr)

    assert ardoc(sqlite_company, "IN", inv.ref_nbr)["DocBal"] == 0
    rest = ardoc(sqlite_company, "PA", pa.ref_nbr)
    assert (rest["DocBal"], rest["OpenDoc"]) == (10.0, 1)
    assert gl_net(sqlite_company, "AR", pa.bat_nbr) == {CLEARING: D("30.00"), AR: D("-30.00")}
    assert len(gl_lines(sqlite_company, "AR", pa.bat_nbr)) == 3  # cash, applied, unapplied


def test_applying_a_released_prepayment_moves_it_from_prepayments_to_ar(company: Engine) -> None:
    w = writer(company)
    inv = released_invoice(company, "A4", "60.00")
    pp = capture(w, "P4", "60.00")
    release_batch(company, "AR", pp.bat_nbr)
    app = apply(w, "P4", ("PP", pp.ref_nbr), ("IN", inv.ref_nbr))

    result = release_batch(company, "AR", app.bat_nbr)

    assert (result.status, result.documents, result.adjustments) == ("P", 0, 1)
    assert gl_net(company, "AR", app.bat_nbr) == {PREPAY: D("60.00"), AR: D("-60.00")}
    prepayment = ardoc(company, "PP", pp.ref_nbr)
    assert (prepayment["DocBal"], prepayment["OpenDoc"], prepayment["ApplBatNbr"]) == (0, 0, "")
    assert ardoc(company, "IN", inv.ref_nbr)["DocBal"] == 0
    assert count(company, sl.ARAdjust, sl.ARAdjust.c.AdjgRefNbr == pp.ref_nbr) == 1


def test_refund_after_invoice_memos_and_their_application(company: Engine) -> None:
    w = writer(company)
    cm = memo(w, "R1", "CM", "15.00", REFUNDS)
    dm = memo(w, "R1", "DM", "15.00", CLEARING)

    report = release_all(company)

    assert report.refused == []
    assert gl_net(company, "AR", cm.bat_nbr) == {REFUNDS: D("15.00"), AR: D("-15.00")}
    assert gl_net(company, "AR", dm.bat_nbr) == {AR: D("15.00"), CLEARING: D("-15.00")}
    tb = trial_balance(company)
    assert tb == {
        TBKey(*CLEARING, "USD"): D("-15.00"),
        TBKey(*REFUNDS, "USD"): D("15.00"),
    }
    app = apply(w, "R1", ("CM", cm.ref_nbr), ("DM", dm.ref_nbr))
    result = release_batch(company, "AR", app.bat_nbr)

    # CM and DM both sit on AR: applying one to the other needs no GL line (Status C).
    assert (result.status, result.gl_lines, result.adjustments) == ("C", 0, 1)
    assert ardoc(company, "CM", cm.ref_nbr)["DocBal"] == 0
    assert ardoc(company, "DM", dm.ref_nbr)["DocBal"] == 0
    assert trial_balance(company) == tb


def test_gl_journal_batch_is_released_and_posted(company: Engine) -> None:
    w = writer(company)
    journal = w.write_journal(
        JournalInput(
            key="settle:2026-05-15:USD",
            date=datetime.fromisoformat("2026-05-15T12:00:00+00:00"),
            lines=(
                JournalLine(*CLEARING, Money.of("-100.00", "USD"), "Card settlement"),
                JournalLine("1000", "000000", Money.of("97.00", "USD"), "Net funding"),
                JournalLine("6100", "000000", Money.of("3.00", "USD"), "Fees"),
            ),
        )
    )

    result = release_batch(company, "GL", journal.bat_nbr)

    assert (result.status, result.gl_lines) == ("P", 3)
    assert (batch(company, "GL", journal.bat_nbr)["Rlsed"]) == 1
    assert {(ln["Posted"], ln["Rlsed"]) for ln in gl_lines(company, "GL", journal.bat_nbr)} == {
        ("P", 1)
    }
    assert trial_balance(company)[TBKey(*CLEARING, "USD")] == D("-100.00")


def test_release_without_posting_leaves_lines_unposted(sqlite_company: Engine) -> None:
    pp = capture(writer(sqlite_company), "P5", "12.00")

    result = release_batch(sqlite_company, "AR", pp.bat_nbr, post=False)

    assert result.status == "U"
    assert {ln["Posted"] for ln in gl_lines(sqlite_company, "AR", pp.bat_nbr)} == {"U"}
    assert trial_balance(sqlite_company, posted_only=True) == {}
    assert trial_balance(sqlite_company)[TBKey(*CLEARING, "USD")] == D("12.00")


def test_euro_documents_carry_base_and_euro_amounts(sqlite_company: Engine) -> None:
    inv = released_invoice(sqlite_company, "E1", "80.00", cust_id="C00004", currency="EUR")
    pa = capture(writer(sqlite_company), "E1", "80.00", cust_id="C00004", currency="EUR",
                 applies_to=(("IN", inv.ref_nbr),))  # fmt: skip

    release_batch(sqlite_company, "AR", pa.bat_nbr)

    assert trial_balance(sqlite_company) == {
        TBKey(*CLEARING, "EUR"): D("80.00"),
        TBKey(*SALES, "EUR"): D("-80.00"),
    }
    # The sandbox's SPOT rate is 1.08 USD per EUR (multiply).
    assert trial_balance(sqlite_company, base=True) == {
        TBKey(*CLEARING, "USD"): D("86.40"),
        TBKey(*SALES, "USD"): D("-86.40"),
    }
    assert ardoc(sqlite_company, "IN", inv.ref_nbr)["DocBal"] == 0


def test_release_all_releases_every_pending_batch_once(company: Engine) -> None:
    w = writer(company)
    ord_nbr = order(w, "A6", "30.00").ord_nbr
    users.ship(company, ord_nbr)
    inv = users.invoice(company, ord_nbr)
    pp = capture(w, "P6", "30.00", ord_nbr=ord_nbr)

    first = release_all(company)
    app = apply(w, "P6", ("PP", pp.ref_nbr), ("IN", inv.ref_nbr))
    second = release_all(company)
    third = release_all(company)

    assert first.refused == second.refused == third.refused == []
    assert sorted(r.batnbr for r in first.released) == sorted([inv.batnbr, pp.bat_nbr])
    assert [r.batnbr for r in second.released] == [app.bat_nbr]
    assert third.released == []
    assert trial_balance(company) == {
        TBKey(*CLEARING, "USD"): D("30.00"),
        TBKey(*SALES, "USD"): D("-30.00"),
    }


def test_a_micro_batch_of_payments_releases_as_one_batch(company: Engine) -> None:
    w = writer(company)
    docs = w.write_payments(
        [
            PaymentInput(key=f"mb{i}:capture", customer=CustomerRef(cust_id="C00001"),
                         amount=Money.of(amount, "USD"), date=NOW)
            for i, amount in enumerate(("10.00", "20.50", "30.25"))
        ]
    )  # fmt: skip
    batnbrs = {d.document.bat_nbr for d in docs if d.document is not None}
    assert len(batnbrs) == 1

    result = release_batch(company, "AR", batnbrs.pop())

    assert (result.documents, result.gl_lines) == (3, 6)
    assert trial_balance(company) == {
        TBKey(*CLEARING, "USD"): D("60.75"),
        TBKey(*PREPAY, "USD"): D("-60.75"),
    }


def test_unapplied_rest_of_a_payment_is_applied_later_without_gl(sqlite_company: Engine) -> None:
    w = writer(sqlite_company)
    first = released_invoice(sqlite_company, "A7", "20.00")
    pa = capture(w, "P7", "30.00", applies_to=(("IN", first.ref_nbr),))
    release_batch(sqlite_company, "AR", pa.bat_nbr)
    second = released_invoice(sqlite_company, "A8", "10.00")
    app = apply(w, "P7", ("PA", pa.ref_nbr), ("IN", second.ref_nbr))

    result = release_batch(sqlite_company, "AR", app.bat_nbr)

    # The rest of a PA sits on the customer's AR account, like the invoice: nothing to move.
    assert (result.status, result.gl_lines, result.adjustments) == ("C", 0, 1)
    assert ardoc(sqlite_company, "PA", pa.ref_nbr)["DocBal"] == 0
    assert ardoc(sqlite_company, "IN", second.ref_nbr)["OpenDoc"] == 0


def test_two_release_runs_at_once_release_each_batch_once(company: Engine) -> None:
    w = writer(company)
    invoices = [released_invoice(company, f"T{i}", "10.00") for i in range(3)]
    for i, inv in enumerate(invoices):
        capture(w, f"T{i}", "10.00", applies_to=(("IN", inv.ref_nbr),))
    reports = []

    def run() -> None:
        reports.append(release_all(company))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    released = sorted(r.batnbr for report in reports for r in report.released)
    assert len(released) == len(set(released)) == 3
    # The run that came second found the batches released: SL's 12008, nothing posted twice.
    assert {exc.message_number for report in reports for exc in report.refused} <= {12008}
    assert trial_balance(company) == {
        TBKey(*CLEARING, "USD"): D("30.00"),
        TBKey(*SALES, "USD"): D("-30.00"),
    }
