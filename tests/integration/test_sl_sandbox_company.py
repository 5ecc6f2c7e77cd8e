"""``init_company`` makes a company SL users and slpay can work in at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from test_sl_sandbox_support import (  # noqa: F401 - fixtures
    ACC,
    PERIOD,
    SETTINGS,
    TODAY,
    company_fixture,
    count,
    one,
    pg_company_fixture,
    pg_session_url_fixture,
    rows,
    sqlite_company_fixture,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.errors import ValidationError
from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.engine import open_engine

MONEY_MAP_ACCOUNTS = {
    ACC.bank_acct: "Bank",
    ACC.clearing_acct: "Cybersource clearing",
    ACC.ar_acct: "AR",
    ACC.prepay_acct: "customer prepayments",
    ACC.sales_acct: "Sales",
    ACC.refunds_acct: "Refunds",
    ACC.fees_acct: "card processing fees",
    ACC.chargeback_loss_acct: "chargeback losses",
    ACC.fx_acct: "exchange gain/loss",
    ACC.settlement_diff_acct: "settlement differences",
}


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for name, t in sl.TABLES.items()
        }


def test_every_money_map_account_exists_and_is_active(company: Engine) -> None:
    accounts = {a["Acct"]: a for a in rows(company, sl.Account)}

    for acct, role in MONEY_MAP_ACCOUNTS.items():
        assert accounts.get(acct, {}).get("Active") == 1, f"{role} account {acct}"
    assert accounts[ACC.prepay_acct]["AcctType"] == "2L"
    assert accounts[ACC.sales_acct]["AcctType"] == "3I"
    assert {s["Sub"] for s in rows(company, sl.SubAcct)} == {ACC.ar_sub}


def test_setup_rows_define_an_open_period_base_currency_and_numbering(company: Engine) -> None:
    gl = one(company, sl.GLSetup)
    ar = one(company, sl.ARSetup)

    assert (gl["CpnyId"], gl["BaseCuryId"], gl["LedgerID"]) == ("DEMO", "USD", "ACTUAL")
    assert (gl["PerNbr"], ar["PerNbr"], gl["NbrPer"]) == (PERIOD, PERIOD, 12)
    assert gl["LastClosePerNbr"] == "202604"
    assert (ar["SetupId"], ar["PrePayAcct"], ar["ArAcct"]) == ("AR", ACC.prepay_acct, ACC.ar_acct)
    assert (ar["LastBatNbr"], gl["LastBatNbr"]) == ("000000", "000000")
    ledger = one(company, sl.Ledger)
    assert (ledger["LedgerID"], ledger["BalRequired"], ledger["BaseCuryID"]) == (
        "ACTUAL", 1, "USD",
    )  # fmt: skip


def test_cash_accounts_currencies_terms_and_order_type_are_there(company: Engine) -> None:
    cash = {(c["BankAcct"], c["CashAcctName"]) for c in rows(company, sl.CashAcct)}
    assert cash == {(ACC.bank_acct, "Operating bank"), (ACC.clearing_acct, "Cybersource clearing")}
    decimals = {c["CuryId"]: c["DecPl"] for c in rows(company, sl.Currncy)}
    assert {"USD": 2, "EUR": 2, "GBP": 2, "CAD": 2}.items() <= decimals.items()
    rate = one(company, sl.CuryRate, sl.CuryRate.c.FromCuryId == "EUR")
    assert (rate["ToCuryId"], rate["RateType"], rate["MultDiv"], rate["Rate"]) == (
        "USD", "SPOT", "M", 1.08,
    )  # fmt: skip
    assert {t["TermsId"] for t in rows(company, sl.Terms)} >= {SETTINGS.customer_terms}
    assert one(company, sl.PmtType)["CashAcct"] == ACC.clearing_acct
    so_type = one(company, sl.SOType)
    assert (so_type["SOTypeID"], so_type["Behavior"], so_type["Active"]) == (
        SETTINGS.so_type_id, "SO", 1,
    )  # fmt: skip


def test_customers_include_one_sl_auto_applies_for(company: Engine) -> None:
    customers = {c["CustId"]: c for c in rows(company, sl.Customer)}

    assert len(customers) >= 3
    assert [c for c, row in customers.items() if row["AutoApply"] == 1] == ["C00003"]
    first = customers["C00001"]
    assert (first["ArAcct"], first["PrePayAcct"], first["Status"]) == (
        ACC.ar_acct, ACC.prepay_acct, "A",
    )  # fmt: skip
    assert customers["C00004"]["CuryId"] == "EUR"


def test_init_twice_changes_nothing(company: Engine) -> None:
    before = row_counts(company)

    info = init_company(company, today=TODAY)

    assert (info.created, info.company, info.period) == (False, "DEMO", PERIOD)
    assert row_counts(company) == before


def test_init_refuses_another_company_in_the_same_database(sqlite_company: Engine) -> None:
    with pytest.raises(ValidationError) as info:
        init_company(sqlite_company, "ACME", today=TODAY)

    assert info.value.field == "company"
    assert count(sqlite_company, sl.GLSetup) == 1


def test_current_period_is_the_month_of_today(tmp_path: Path) -> None:
    engine = open_engine(str(tmp_path / "jan.db"))
    try:
        info = init_company(engine, "JAN", today=date(2027, 1, 3))
        assert info.period == "202701"
        assert one(engine, sl.GLSetup)["LastClosePerNbr"] == "202612"
    finally:
        engine.dispose()


def test_company_id_longer_than_sl_allows_is_refused(tmp_path: Path) -> None:
    engine = open_engine(str(tmp_path / "long.db"))
    try:
        with pytest.raises(ValidationError) as info:
            init_company(engine, "ELEVENCHARS")
        assert info.value.field == "company"
    finally:
        engine.dispose()
