"""Transaction Import files carry the same documents as the rows the writer put in SL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from test_sl_writer_support import (
    ACC,
    NOW,
    released_invoice,
    rows,
    sqlite_company,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import (
    Application,
    CustomerRef,
    JournalInput,
    JournalLine,
    MemoInput,
    PaymentInput,
)
from slpay.connectors.dynamics_sl.ti_export import export_batch, parse_ti
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money


def _write_documents(engine: Engine) -> dict[str, str]:
    w = SLWriter(engine)
    released_invoice(engine, "C00001", "IN0100", "100.00")
    payments = w.write_payments([
        PaymentInput("a:capture", CustomerRef(cust_id="C00001"), Money.of("40.00", "USD"), NOW,
                     cyber_id="6900000000000000000001", cust_ord_nbr="WEB-1",
                     applications=(Application("IN", "IN0100"),)),
        PaymentInput("b:capture", CustomerRef(cust_id="C00002"), Money.of("12.34", "USD"), NOW,
                     cyber_id="6900000000000000000002", order_nbr="WO000009"),
    ])  # fmt: skip
    memos = w.write_memos([
        MemoInput("c:cm", "CM", CustomerRef(cust_id="C00002"), Money.of("2.50", "USD"), NOW,
                  ACC.refunds_acct, ACC.refunds_sub, description="Refund, partial"),
    ])  # fmt: skip
    journal = w.write_journal(JournalInput("d:settle", NOW, (
        JournalLine(ACC.bank_acct, ACC.bank_sub, Money.of("9.50", "USD")),
        JournalLine(ACC.fees_acct, ACC.fees_sub, Money.of("0.50", "USD")),
        JournalLine(ACC.clearing_acct, ACC.clearing_sub, Money.of("-10.00", "USD")),
    ), ref_nbr="STL0515"))  # fmt: skip
    assert payments[0].document is not None
    return {"AR-pay": payments[0].document.bat_nbr, "AR-memo": memos[0].bat_nbr,
            "GL": journal.bat_nbr}  # fmt: skip


def test_ti_files_parse_back_to_the_written_documents(tmp_path: Path) -> None:
    engine = sqlite_company(tmp_path)
    batches = _write_documents(engine)
    with engine.connect() as conn:
        pay = parse_ti(export_batch(conn, "AR", batches["AR-pay"]).text)
        memo = parse_ti(export_batch(conn, "AR", batches["AR-memo"]).text)
        gl_file = export_batch(conn, "GL", batches["GL"])
    gl = parse_ti(gl_file.text)

    assert (pay.screen, pay.batch["BatNbr"], pay.batch["CuryCtrlTot"]) == (
        "08030",
        batches["AR-pay"],
        "52.34",
    )
    assert pay.currency == {"CuryId": "USD", "CuryRateType": "SPOT", "CuryEffDate": "05/15/2026",
                            "CuryRate": "1.0", "CuryMultDiv": "M"}  # fmt: skip
    db_docs = rows(engine, sl.ARDoc, sl.ARDoc.c.BatNbr == batches["AR-pay"])
    assert {(d.fields["CustId"], d.fields["RefNbr"], Decimal(d.fields["CuryOrigDocAmt"]),
             d.fields["User2"]) for d in pay.documents} == {
        (r["CustId"], r["RefNbr"], Decimal(str(r["CuryOrigDocAmt"])), r["User2"])
        for r in db_docs}  # fmt: skip
    applying = next(d for d in pay.documents if d.lines)
    assert applying.lines == [{"CostType": "IN", "SiteId": "IN0100", "CuryTranAmt": "40.00",
                               "CuryUnitPrice": "0.00"}]  # fmt: skip

    assert memo.screen == "08010"
    (cm,) = memo.documents
    assert (cm.fields["DocType"], cm.fields["DocDesc"], cm.lines[0]["Acct"]) == (
        "CM", "Refund, partial", ACC.refunds_acct)  # fmt: skip

    assert (gl_file.screen, gl_file.name) == ("01010", f"01010_GL{batches['GL']}.txt")
    assert [(t["Acct"], t["CuryDrAmt"], t["CuryCrAmt"], t["RefNbr"]) for t in gl.lines] == [
        (ACC.bank_acct, "9.50", "0.00", "STL0515"),
        (ACC.fees_acct, "0.50", "0.00", "STL0515"),
        (ACC.clearing_acct, "0.00", "10.00", "STL0515"),
    ]
    engine.dispose()
