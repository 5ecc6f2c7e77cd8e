"""Create a ready-to-use SL sandbox company (``slpay sandbox sl init``).

``init_company`` creates SL's tables (the connector's schema, one MetaData) and the setup rows
an SL company needs before anyone can enter a document: GLSetup (calendar fiscal year of 12
periods, current period open, base currency, ledger, numbering), ARSetup, an order type for web
orders, currencies and rates, terms, a card payment type, the money map's chart of accounts,
subaccounts, the bank and Cybersource clearing cash accounts, a ledger and a few customers.

Running it again on the same database for the same company changes nothing; for another company
it refuses (SL's setup tables hold one row per database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, inspect, select

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import FiscalCalendar, read_char, sl_now
from slpay.connectors.dynamics_sl.rows import Audit, full_row
from slpay.errors import ValidationError
from slpay.sandbox.sl import chart
from slpay.sandbox.sl.chart import LAST_NUMBERS

#: Crtd_Prog of the rows the sandbox itself creates.
SANDBOX_PROG = "SANDBOX"
#: Calendar months: period n ends on the last day of month n (0229 is clamped in other years).
_MONTH_ENDS = ("0131", "0229", "0331", "0430", "0531", "0630",
               "0731", "0831", "0930", "1031", "1130", "1231")  # fmt: skip
_LONG_AGO = datetime(2000, 1, 1)  # noqa: DTZ001 - SL dates are naive; rates effective since


@dataclass(frozen=True)
class CompanyInfo:
    """What ``init_company`` found or made."""

    company: str
    period: str
    base_currency: str
    created: bool


def init_company(
    engine: Engine,
    company: str = "DEMO",
    *,
    settings: SLSettings | None = None,
    today: date | None = None,
) -> CompanyInfo:
    """Create the tables and a ready company; idempotent for the same ``company``.

    The current GL and AR period is the month of ``today`` (fiscal year = calendar year).
    Raises ValidationError (field ``company``) when the database already holds another company.
    """
    cfg = settings or SLSettings()
    if not company or len(company) > 10:
        raise ValidationError("1 to 10 characters", field="company")
    sl.metadata.create_all(engine)
    with engine.begin() as conn:
        existing = conn.execute(select(sl.GLSetup.c.CpnyId, sl.GLSetup.c.PerNbr)).first()
        if existing is not None:
            return _existing(existing, company)
        now = sl_now(cfg.timezone)
        period = _period_of(today or now.date())
        seeder = _Seeder(conn, Audit(user=cfg.user, now=now, prog=SANDBOX_PROG), company, cfg)
        seeder.seed_all(period)
    return CompanyInfo(company, period, chart.BASE_CURRENCY, created=True)


def has_company(engine: Engine) -> bool:
    """Whether ``init_company`` has run on this database."""
    if not inspect(engine).has_table("GLSetup"):
        return False
    with engine.connect() as conn:
        return conn.execute(select(sl.GLSetup.c.SetupId)).first() is not None


def _existing(row: Any, company: str) -> CompanyInfo:
    found = read_char(row.CpnyId)
    if found.upper() != company.upper():
        raise ValidationError(
            f"this database already holds company {found!r}; use another database",
            field="company",
        )
    return CompanyInfo(found, read_char(row.PerNbr), chart.BASE_CURRENCY, created=False)


def _period_of(day: date) -> str:
    cal = FiscalCalendar(12, tuple((int(e[:2]), int(e[2:])) for e in _MONTH_ENDS))
    return cal.period_of(day)


def _previous_period(period: str) -> str:
    year, per = int(period[:4]), int(period[4:])
    return f"{year - 1:04d}12" if per == 1 else f"{year:04d}{per - 1:02d}"


class _Seeder:
    """Inserts the setup rows; one method per SL table (or small group)."""

    def __init__(self, conn: Connection, audit: Audit, company: str, cfg: SLSettings):
        self.conn = conn
        self.audit = audit
        self.company = company
        self.cfg = cfg
        self.acc = cfg.accounts

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        self.conn.execute(insert(table), [full_row(table, self.audit, r) for r in rows])

    def seed_all(self, period: str) -> None:
        self.ledger_and_currencies()
        self.accounts()
        self.gl_setup(period)
        self.ar_setup(period)
        self.cash_and_payment_types()
        self.terms()
        self.so_type()
        self.customers(period)

    def ledger_and_currencies(self) -> None:
        self.insert(sl.Ledger, [{
            "LedgerID": chart.LEDGER_ID, "BalanceType": "A", "BalRequired": 1,
            "BaseCuryID": chart.BASE_CURRENCY, "Descr": "Actuals",
        }])  # fmt: skip
        fx = {"Acct": self.acc.fx_acct, "Sub": self.acc.fx_sub}
        gain_loss = {
            f"{kind}{side}{part}": fx[part]
            for kind in ("Real", "Unrl", "Rval", "Trsl")
            for side in ("Gain", "Loss")
            for part in ("Acct", "Sub")
        }
        self.insert(sl.Currncy, [
            {"CuryId": c.cury_id, "DecPl": c.decpl, "Descr": c.descr, "CurySym": c.symbol,
             "CuryCapt": c.descr[:15], "Status": "A", **gain_loss}
            for c in chart.CURRENCIES
        ])  # fmt: skip
        self.insert(sl.CuryRate, [
            {"FromCuryId": c.cury_id, "ToCuryId": chart.BASE_CURRENCY,
             "RateType": self.cfg.cury_rate_type, "EffDate": _LONG_AGO, "MultDiv": "M",
             "Rate": float(c.rate_to_base), "RateReciprocal": float(1 / c.rate_to_base),
             "AutoCalcMeth": " ", "Triangulate": " "}
            for c in chart.CURRENCIES if c.cury_id != chart.BASE_CURRENCY
        ])  # fmt: skip

    def accounts(self) -> None:
        self.insert(sl.Account, [
            {"Acct": a.acct, "AcctType": a.acct_type, "Descr": a.descr, "Active": 1,
             "SummPost": "N", "ValidateID": "N"}
            for a in chart.chart_of_accounts(self.acc)
        ])  # fmt: skip
        self.insert(sl.SubAcct, [
            {"Sub": s, "Descr": "Default", "Active": 1, "ConsolSub": s}
            for s in chart.subaccounts(self.acc)
        ])  # fmt: skip

    def gl_setup(self, period: str) -> None:
        ends = {f"FiscalPerEnd{i:02d}": e for i, e in enumerate(_MONTH_ENDS)}
        self.insert(sl.GLSetup, [{
            "SetupId": "GL", "CpnyId": self.company, "CpnyName": f"{self.company} sandbox",
            "BaseCuryId": chart.BASE_CURRENCY, "LedgerID": chart.LEDGER_ID,
            "PerNbr": period, "LastClosePerNbr": _previous_period(period), "NbrPer": 12,
            "BegFiscalYr": 0, **ends, "LastBatNbr": LAST_NUMBERS["GLSetup.LastBatNbr"],
            "AutoRef": "1", "AutoPost": "N", "RetEarnAcct": chart.RETAINED_EARNINGS,
            "YtdNetIncAcct": chart.YTD_NET_INCOME, "MCActive": 1, "ValidateAcctSub": 0,
            "ValidateAtPosting": 0, "COAOrder": "A", "Init": 1,
        }])  # fmt: skip

    def ar_setup(self, period: str) -> None:
        a = self.acc
        numbers = {k.split(".")[1]: v for k, v in LAST_NUMBERS.items() if k.startswith("ARSetup.")}
        self.insert(sl.ARSetup, [{
            "SetupId": "AR", "ArAcct": a.ar_acct, "ArSub": a.ar_sub,
            "ChkAcct": a.clearing_acct, "ChkSub": a.clearing_sub,
            "DiscAcct": chart.SALES_DISCOUNTS, "DiscSub": a.sales_sub,
            "PrePayAcct": a.prepay_acct, "PrePaySub": a.prepay_sub,
            "RfndAcct": a.refunds_acct, "RfndSub": a.refunds_sub,
            "DfltSBWOAcct": a.settlement_diff_acct, "DfltSBWOSub": a.settlement_diff_sub,
            "DfltSCWOAcct": a.settlement_diff_acct, "DfltSCWOSub": a.settlement_diff_sub,
            **numbers, "AutoRef": 1, "PerNbr": period, "CurrPerNbr": period,
            "GLPostOpt": "D", "TranDescDflt": "C", "DfltClass": self.cfg.customer_class,
            "DfltStmtCycle": self.cfg.customer_stmt_cycle, "DecPlPrcCst": 2, "DecPlQty": 2,
            "Init": 1,
        }])  # fmt: skip

    def cash_and_payment_types(self) -> None:
        a = self.acc
        cash = [
            (a.bank_acct, a.bank_sub, "Operating bank"),
            (a.clearing_acct, a.clearing_sub, "Cybersource clearing"),
        ]
        self.insert(sl.CashAcct, [
            {"CpnyID": self.company, "BankAcct": acct, "BankSub": sub, "CashAcctName": name,
             "CuryID": chart.BASE_CURRENCY, "Active": 1, "AcceptGLUpdates": 1}
            for acct, sub, name in cash
        ])  # fmt: skip
        self.insert(sl.PmtType, [{
            "CpnyID": self.company, "PmtTypeID": chart.CARD_PMT_TYPE,
            "Descr": "Card via Cybersource", "CashAcct": a.clearing_acct,
            "CashSub": a.clearing_sub,
        }])  # fmt: skip

    def terms(self) -> None:
        self.insert(sl.Terms, [
            {"TermsId": t.terms_id, "Descr": t.descr, "DueType": "D", "DueIntrv": t.due_days,
             "DiscType": "D", "TermsType": "S", "NbrInstall": 1, "ApplyTo": "B"}
            for t in chart.TERMS
        ])  # fmt: skip

    def so_type(self) -> None:
        a = self.acc
        self.insert(sl.SOType, [{
            "CpnyID": self.company, "SOTypeID": self.cfg.so_type_id, "Behavior": "SO",
            "Descr": "Web orders", "Active": 1, "StdOrdType": 1,
            "LastOrdNbr": LAST_NUMBERS["SOType.LastOrdNbr"], "OrdNbrPrefix": "WO",
            "LastInvcNbr": LAST_NUMBERS["SOType.LastInvcNbr"], "InvcNbrAR": 1,
            "LastShipperNbr": LAST_NUMBERS["SOType.LastShipperNbr"], "ShipperPrefix": "SH",
            "ARAcct": a.ar_acct, "ARSub": a.ar_sub, "SlsAcct": a.sales_acct,
            "SlsSub": a.sales_sub, "DiscAcct": chart.SALES_DISCOUNTS, "DiscSub": a.sales_sub,
            "FrtAcct": a.sales_acct, "FrtSub": a.sales_sub, "MiscAcct": a.sales_acct,
            "MiscSub": a.sales_sub,
        }])  # fmt: skip

    def customers(self, period: str) -> None:
        a = self.acc
        self.insert(sl.Customer, [
            {"CustId": c.cust_id, "Name": c.name, "BillName": c.name, "EMailAddr": c.email,
             "City": c.city, "BillCity": c.city, "Country": c.country,
             "BillCountry": c.country, "Status": "A", "ClassId": self.cfg.customer_class,
             "Terms": self.cfg.customer_terms, "CuryId": c.currency,
             "CuryRateType": self.cfg.cury_rate_type, "ArAcct": a.ar_acct, "ArSub": a.ar_sub,
             "PrePayAcct": a.prepay_acct, "PrePaySub": a.prepay_sub,
             "SlsAcct": a.sales_acct, "SlsSub": a.sales_sub, "AutoApply": c.auto_apply,
             "StmtCycleId": self.cfg.customer_stmt_cycle, "StmtType": "O", "PrtStmt": 1,
             "CrLmt": float(Decimal(0)), "SetupDate": self.audit.now, "PerNbr": period}
            for c in chart.CUSTOMERS
        ])  # fmt: skip
