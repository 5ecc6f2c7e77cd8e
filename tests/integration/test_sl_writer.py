"""The SL writer on a real sandbox company (SQLite and PostgreSQL): rows as SL expects them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine
from test_sl_writer_support import (  # noqa: F401 - fixtures
    ACC,
    NOW,
    PERIOD,
    company_fixture,
    count,
    one,
    pg_company_fixture,
    pg_schema_fixture,
    released_invoice,
    rows,
    sqlite_template_fixture,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import (
    Application,
    CreditApplication,
    CustomerRef,
    JournalInput,
    JournalLine,
    MemoInput,
    NoteInput,
    NotReleasedError,
    OrderChange,
    OrderInput,
    OrderLine,
    PaymentInput,
)
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.connectors.dynamics_sl.xref import slpay_xref
from slpay.domain.money import Money
from slpay.errors import ValidationError

CYBER_ID = "6912345678901234567890"


def usd(v: str) -> Money:
    return Money.of(v, "USD")


def capture(key: str = "txn1:capture", amount: str = "125.50", **kw: object) -> PaymentInput:
    args: dict[str, object] = {
        "key": key,
        "customer": CustomerRef(cust_id="C00001"),
        "amount": usd(amount),
        "date": NOW,
        "cyber_id": CYBER_ID,
        "order_nbr": "WO000001",
        "cust_ord_nbr": "WEB-1001",
    }
    args.update(kw)
    return PaymentInput(**args)  # type: ignore[arg-type]


def test_prepayment_batch_has_sl_control_totals_and_clearing_account(company: Engine) -> None:
    doc = SLWriter(company).write_payment(capture())

    batch = one(company, sl.Batch, sl.Batch.c.Module == "AR", sl.Batch.c.BatNbr == doc.bat_nbr)
    assert (batch["EditScrnNbr"], batch["Status"], batch["Rlsed"]) == ("08030", "B", 0)
    for col in ("CtrlTot", "CrTot", "DepositAmt", "CuryCtrlTot", "CuryCrTot", "CuryDepositAmt"):
        assert batch[col] == 125.50, col
    assert (batch["DrTot"], batch["CuryDrTot"]) == (0, 0)
    assert (batch["BankAcct"], batch["BankSub"]) == (ACC.clearing_acct, ACC.clearing_sub)
    assert (batch["PerPost"], batch["LedgerID"], batch["BaseCuryID"]) == (PERIOD, "ACTUAL", "USD")
    ardoc = one(company, sl.ARDoc, sl.ARDoc.c.RefNbr == doc.ref_nbr)
    assert (ardoc["DocType"], ardoc["BatNbr"], ardoc["ApplBatNbr"]) == (
        "PP",
        doc.bat_nbr,
        doc.bat_nbr,
    )
    assert ardoc["OrigDocAmt"] == ardoc["DocBal"] == ardoc["CuryApplAmt"] == 125.50
    assert (ardoc["OrdNbr"], ardoc["CustOrdNbr"], ardoc["User2"]) == (
        "WO000001",
        "WEB-1001",
        CYBER_ID,
    )
    assert (ardoc["Crtd_Prog"], ardoc["Crtd_User"], ardoc["LUpd_Prog"]) == (
        "SLPAY",
        "SLPAY",
        "SLPAY",
    )
    assert ardoc["Crtd_DateTime"].second == 0  # SMALLDATETIME: minute precision
    assert count(company, sl.ARTran, sl.ARTran.c.BatNbr == doc.bat_nbr) == 0


def test_same_business_key_returns_the_first_document_and_writes_nothing_more(
    company: Engine,
) -> None:
    writer = SLWriter(company)
    first = writer.write_payment(capture())
    again = SLWriter(company).write_payment(capture(amount="999.00"))  # e.g. after a crash

    assert again.created is False
    assert (again.bat_nbr, again.ref_nbr) == (first.bat_nbr, first.ref_nbr)
    assert count(company, sl.ARDoc) == 1
    assert writer.lookup("txn1:capture") == again


def test_payment_applied_to_released_invoice_writes_u_rows_per_facts(company: Engine) -> None:
    released_invoice(company, "C00001", "IN0001", "100.00")
    doc = SLWriter(company).write_payment(
        capture(amount="60.00", applications=(Application("IN", "IN0001"),))
    )

    assert doc.doc_type == "PA"
    ardoc = one(company, sl.ARDoc, sl.ARDoc.c.RefNbr == doc.ref_nbr)
    assert (ardoc["CuryApplAmt"], ardoc["LineCntr"]) == (0, 1)
    u = one(company, sl.ARTran, sl.ARTran.c.BatNbr == doc.bat_nbr)
    assert (u["DrCr"], u["TranType"], u["RefNbr"]) == ("U", "PA", doc.ref_nbr)
    assert (u["CostType"], u["SiteId"]) == ("IN", "IN0001")
    assert (u["CuryTranAmt"], u["TranAmt"], u["CuryTxblAmt00"]) == (60.0, 60.0, 40.0)
    assert (u["Acct"], u["Sub"], u["UnitDesc"], u["UnitPrice"]) == (
        ACC.ar_acct,
        ACC.ar_sub,
        PERIOD,
        1.0,
    )
    assert (u["PerPost"], u["FiscYr"], u["JrnlType"], u["Rlsed"]) == (PERIOD, "2026", "AR", 0)


def test_two_payments_in_one_batch_never_overapply_one_invoice(company: Engine) -> None:
    released_invoice(company, "C00001", "IN0002", "100.00")
    results = SLWriter(company).write_payments([
        capture("a:capture", "70.00", applications=(Application("IN", "IN0002", usd("70.00")),)),
        capture("b:capture", "70.00", applications=(Application("IN", "IN0002", usd("70.00")),)),
    ])  # fmt: skip

    assert results[0].ok
    assert isinstance(results[1].error, ValidationError)
    assert results[1].error.field == "applications[0].amount"
    assert count(company, sl.ARTran) == 1


def test_application_refused_for_auto_apply_customer_and_nothing_written(company: Engine) -> None:
    released_invoice(company, "C00003", "IN0003", "50.00")
    with pytest.raises(ValidationError) as err:
        SLWriter(company).write_payment(
            capture(customer=CustomerRef(cust_id="C00003"),
                    applications=(Application("IN", "IN0003"),))
        )  # fmt: skip
    assert err.value.field == "customer"
    assert count(company, sl.ARDoc, sl.ARDoc.c.DocType == "PA") == 0


def test_application_to_unreleased_invoice_waits_for_release(company: Engine) -> None:
    released_invoice(company, "C00001", "IN0004", "50.00", rlsed=0)
    with pytest.raises(NotReleasedError) as err:
        SLWriter(company).write_payment(capture(applications=(Application("IN", "IN0004"),)))
    assert err.value.documents == ("IN IN0004",)
    assert count(company, sl.Batch, sl.Batch.c.Module == "AR") == 0


def test_released_prepayment_applied_in_own_zero_total_batch(company: Engine) -> None:
    writer = SLWriter(company)
    pp = writer.write_payment(capture(amount="80.00"))
    app = CreditApplication("txn1:apply", "C00001", "PP", pp.ref_nbr,
                            (Application("IN", "IN0005"),), NOW)  # fmt: skip
    released_invoice(company, "C00001", "IN0005", "80.00")
    with pytest.raises(NotReleasedError):
        writer.apply_credit(app)  # the PP itself is not released yet
    _release_document(company, pp.ref_nbr)

    doc = writer.apply_credit(app)

    batch = one(company, sl.Batch, sl.Batch.c.BatNbr == doc.bat_nbr)
    assert (batch["EditScrnNbr"], batch["CtrlTot"], batch["CuryCrTot"], batch["DepositAmt"]) == (
        "08030", 0, 0, 0)  # fmt: skip
    ardoc = one(company, sl.ARDoc, sl.ARDoc.c.RefNbr == pp.ref_nbr)
    assert (ardoc["ApplBatNbr"], ardoc["CuryApplAmt"]) == (doc.bat_nbr, 0)
    u = one(company, sl.ARTran, sl.ARTran.c.BatNbr == doc.bat_nbr)
    assert (u["TranType"], u["RefNbr"], u["SiteId"], u["CuryTranAmt"]) == (
        "PP",
        pp.ref_nbr,
        "IN0005",
        80.0,
    )
    with pytest.raises(NotReleasedError):  # the credit is already in an unreleased batch
        writer.apply_credit(CreditApplication("txn1:apply-again", "C00001", "PP", pp.ref_nbr,
                                              (Application("IN", "IN0005"),), NOW))  # fmt: skip


def _release_document(engine: Engine, ref_nbr: str) -> None:
    with engine.begin() as conn:
        conn.execute(sl.ARDoc.update().where(sl.ARDoc.c.RefNbr == ref_nbr)
                     .values(Rlsed=1, ApplBatNbr=" ", CuryApplAmt=0, ApplAmt=0))  # fmt: skip


def test_credit_and_debit_memo_share_a_batch_with_totals_and_line_sides(company: Engine) -> None:
    docs = SLWriter(company).write_memos([
        MemoInput("r1:refund:cm", "CM", CustomerRef(cust_id="C00001"), usd("30.00"), NOW,
                  ACC.refunds_acct, ACC.refunds_sub, cyber_id=CYBER_ID),
        MemoInput("r1:refund:dm", "DM", CustomerRef(cust_id="C00001"), usd("30.00"), NOW,
                  ACC.clearing_acct, ACC.clearing_sub, description="Card refund"),
    ])  # fmt: skip

    assert docs[0].bat_nbr == docs[1].bat_nbr
    assert (docs[0].ref_nbr, docs[1].ref_nbr) == ("300001", "500001")  # ARSetup numbering
    batch = one(company, sl.Batch, sl.Batch.c.BatNbr == docs[0].bat_nbr)
    assert (batch["EditScrnNbr"], batch["CrTot"], batch["CtrlTot"], batch["CuryCrTot"]) == (
        "08010", 60.0, 60.0, 60.0)  # fmt: skip
    cm = one(company, sl.ARTran, sl.ARTran.c.TranType == "CM")
    dm = one(company, sl.ARTran, sl.ARTran.c.TranType == "DM")
    assert (cm["DrCr"], cm["Acct"], dm["DrCr"], dm["Acct"]) == (
        "D",
        ACC.refunds_acct,
        "C",
        ACC.clearing_acct,
    )
    cm_doc = one(company, sl.ARDoc, sl.ARDoc.c.DocType == "CM")
    assert (cm_doc["BankAcct"], cm_doc["DocBal"], cm_doc["User2"]) == (ACC.ar_acct, 30.0, CYBER_ID)


def test_memos_are_all_or_nothing(company: Engine) -> None:
    with pytest.raises(ValidationError) as err:
        SLWriter(company).write_memos([
            MemoInput("r2:cm", "CM", CustomerRef(cust_id="C00001"), usd("5.00"), NOW,
                      ACC.refunds_acct, ACC.refunds_sub),
            MemoInput("r2:dm", "DM", CustomerRef(cust_id="C00001"), usd("5.00"), NOW,
                      "9999", ACC.clearing_sub),
        ])  # fmt: skip
    assert err.value.field == "line_acct"
    assert count(company, sl.ARDoc) == 0
    assert count(company, sl.Batch) == 0


def test_journal_balances_and_control_totals_equal_debits(company: Engine) -> None:
    doc = SLWriter(company).write_journal(JournalInput("settle:2026-05-15:USD", NOW, (
        JournalLine(ACC.bank_acct, ACC.bank_sub, usd("97.10")),
        JournalLine(ACC.fees_acct, ACC.fees_sub, usd("2.90")),
        JournalLine(ACC.clearing_acct, ACC.clearing_sub, usd("-100.00")),
    ), description="Settlement 2026-05-15"))  # fmt: skip

    batch = one(company, sl.Batch, sl.Batch.c.Module == "GL", sl.Batch.c.BatNbr == doc.bat_nbr)
    assert (batch["EditScrnNbr"], batch["BatType"], batch["JrnlType"]) == ("01010", "N", "GJ")
    assert batch["CrTot"] == batch["DrTot"] == batch["CtrlTot"] == 100.0
    lines = rows(company, sl.GLTran, sl.GLTran.c.BatNbr == doc.bat_nbr)
    assert sum(Decimal(str(r["DrAmt"])) for r in lines) == Decimal("100.0")
    assert sum(Decimal(str(r["CrAmt"])) for r in lines) == Decimal("100.0")
    assert {(r["Posted"], r["Rlsed"], r["LedgerID"], r["PerPost"]) for r in lines} == {
        ("U", 0, "ACTUAL", PERIOD)}  # fmt: skip


def test_foreign_currency_journal_balances_in_base_after_rounding(company: Engine) -> None:
    eur = [Money.of(v, "EUR") for v in ("0.01", "0.01", "0.01", "-0.03")]
    doc = SLWriter(company).write_journal(JournalInput("settle:EUR", NOW, tuple(
        JournalLine(ACC.clearing_acct, ACC.clearing_sub, m) for m in eur)))  # fmt: skip

    lines = rows(company, sl.GLTran, sl.GLTran.c.BatNbr == doc.bat_nbr)
    dr = sum(Decimal(str(r["DrAmt"])) for r in lines)
    cr = sum(Decimal(str(r["CrAmt"])) for r in lines)
    assert dr == cr == Decimal(str(one(company, sl.Batch, sl.Batch.c.Module == "GL")["CrTot"]))
    assert {r["CuryId"] for r in lines} == {"EUR"}


def test_order_totals_match_lines_and_status_fields(company: Engine) -> None:
    writer = SLWriter(company)
    doc = writer.write_order(OrderInput(
        "txn9:authorize", "WEB-2001", CustomerRef(email="Ann.Buyer@Example.com", name="Buyer~Ann"),
        (OrderLine("WIDGET", "Widget", Decimal(3), usd("9.99")),
         OrderLine("GADGET", "Gadget", Decimal(1), usd("20.00"))),
        NOW, auth_nbr="831000", admin_hold=True, label="On Hold", freight=usd("5.00"),
    ))  # fmt: skip

    head = one(company, sl.SOHeader, sl.SOHeader.c.OrdNbr == doc.ord_nbr)
    assert (head["CustOrdNbr"], head["SOTypeID"], head["AuthNbr"]) == ("WEB-2001", "SO", "831000")
    assert (head["AdminHold"], head["Cancelled"], head["Status"], head["User1"]) == (
        1, 0, "O", "On Hold")  # fmt: skip
    lines = rows(company, sl.SOLine, sl.SOLine.c.OrdNbr == doc.ord_nbr)
    assert head["CuryTotMerch"] == pytest.approx(sum(r["CuryTotOrd"] for r in lines)) == 49.97
    assert head["CuryTotOrd"] == head["CuryBalDue"] == pytest.approx(54.97)
    assert count(company, sl.SOPrePay) == 0

    writer.change_order(OrderChange("txn9:reversal", doc.ord_nbr, cancelled=True, label="Open"))
    head = one(company, sl.SOHeader, sl.SOHeader.c.OrdNbr == doc.ord_nbr)
    assert (head["Cancelled"], head["Status"], head["User1"]) == (1, "C", "Open")
    assert {r["Status"] for r in rows(company, sl.SOLine)} == {"C"}


def test_new_customer_created_with_defaults_and_found_again_by_email(company: Engine) -> None:
    writer = SLWriter(company)
    created = writer.ensure_customer(CustomerRef(email="New.Person@Example.com", name="Person~New"))
    found = writer.ensure_customer(CustomerRef(email="new.person@example.com"))

    assert created.created
    assert not found.created
    assert found.cust_id == created.cust_id == "W0000001"
    row = one(company, sl.Customer, sl.Customer.c.CustId == created.cust_id)
    assert (row["ClassId"], row["Terms"], row["ArAcct"], row["PrePayAcct"], row["AutoApply"]) == (
        "WEB", "00", ACC.ar_acct, ACC.prepay_acct, 0)  # fmt: skip
    assert (row["Status"], row["CuryId"], row["StmtCycleId"], row["Name"]) == (
        "A", "USD", "01", "Person~New")  # fmt: skip


def test_note_is_attached_and_appended(company: Engine) -> None:
    writer = SLWriter(company)
    pp = writer.write_payment(capture())
    ids = {"CustId": "C00001", "DocType": "PP", "RefNbr": pp.ref_nbr}
    writer.add_note(NoteInput("n1", "ARDoc", ids, "Refund refused: card expired"))
    writer.add_note(NoteInput("n2", "ARDoc", ids, "Second attempt refused"))

    note_id = one(company, sl.ARDoc, sl.ARDoc.c.RefNbr == pp.ref_nbr)["NoteId"]
    note = one(company, sl.Snote, sl.Snote.c.nID == note_id)
    assert note["sNoteText"] == "Refund refused: card expired\r\nSecond attempt refused"
    assert count(company, slpay_xref) == 3
