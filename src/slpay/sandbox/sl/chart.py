"""The sandbox company's reference data: chart of accounts, currencies, terms, customers.

Account numbers come from :class:`slpay.config.SLAccounts` (the money map of DESIGN.md), so the
sandbox, the writer and the trial-balance prediction always agree on them. The rest is plain
data, documented in docs/sl-sandbox.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from slpay.config import SLAccounts


@dataclass(frozen=True)
class AccountSeed:
    """One ``Account`` row: number, SL type (sort digit + A/L/I/E) and description."""

    acct: str
    acct_type: str
    descr: str


#: Accounts outside the money map that an SL company needs anyway.
RETAINED_EARNINGS = "3000"
YTD_NET_INCOME = "3100"
SALES_DISCOUNTS = "4900"


def chart_of_accounts(a: SLAccounts) -> list[AccountSeed]:
    """Every account of the money map plus retained earnings, YTD net income and discounts."""
    seeds = [
        AccountSeed(a.bank_acct, "1A", "Bank - operating"),
        AccountSeed(a.clearing_acct, "1A", "Cybersource clearing"),
        AccountSeed(a.ar_acct, "1A", "Accounts receivable"),
        AccountSeed(a.prepay_acct, "2L", "Customer prepayments"),
        AccountSeed(RETAINED_EARNINGS, "2L", "Retained earnings"),
        AccountSeed(YTD_NET_INCOME, "2L", "YTD net income"),
        AccountSeed(a.sales_acct, "3I", "Sales"),
        AccountSeed(a.refunds_acct, "3I", "Refunds"),
        AccountSeed(SALES_DISCOUNTS, "3I", "Sales discounts"),
        AccountSeed(a.fees_acct, "4E", "Card processing fees"),
        AccountSeed(a.chargeback_loss_acct, "4E", "Chargeback losses"),
        AccountSeed(a.settlement_diff_acct, "4E", "Settlement differences"),
        AccountSeed(a.fx_acct, "4E", "Exchange gain/loss"),
    ]
    # Configured accounts may coincide; SL has one row per account number.
    unique: dict[str, AccountSeed] = {}
    for seed in seeds:
        unique.setdefault(seed.acct, seed)
    return list(unique.values())


def subaccounts(a: SLAccounts) -> list[str]:
    """Every subaccount the money map uses (one, ``000000``, by default)."""
    subs = {
        a.bank_sub,
        a.clearing_sub,
        a.ar_sub,
        a.prepay_sub,
        a.sales_sub,
        a.refunds_sub,
        a.fees_sub,
        a.chargeback_loss_sub,
        a.settlement_diff_sub,
        a.fx_sub,
    }
    return sorted(subs)


@dataclass(frozen=True)
class CurrencySeed:
    """A ``Currncy`` row and its SPOT rate to the base currency (multiply)."""

    cury_id: str
    decpl: int
    descr: str
    symbol: str
    rate_to_base: Decimal


CURRENCIES: tuple[CurrencySeed, ...] = (
    CurrencySeed("USD", 2, "US dollar", "$", Decimal(1)),
    CurrencySeed("EUR", 2, "Euro", "EUR", Decimal("1.08")),
    CurrencySeed("GBP", 2, "Pound sterling", "GBP", Decimal("1.27")),
    CurrencySeed("CAD", 2, "Canadian dollar", "CAD", Decimal("0.73")),
    CurrencySeed("JPY", 0, "Yen", "JPY", Decimal("0.0067")),
)


@dataclass(frozen=True)
class TermsSeed:
    terms_id: str
    descr: str
    due_days: int


TERMS: tuple[TermsSeed, ...] = (
    TermsSeed("00", "Due on receipt", 0),
    TermsSeed("30", "Net 30 days", 30),
)


@dataclass(frozen=True)
class CustomerSeed:
    """A sandbox customer. ``name`` uses SL's ``Last~First`` form for persons."""

    cust_id: str
    name: str
    email: str
    city: str
    country: str
    currency: str = "USD"
    auto_apply: int = 0


CUSTOMERS: tuple[CustomerSeed, ...] = (
    CustomerSeed("C00001", "Northwind Traders", "orders@northwind.example", "Seattle", "USA"),
    CustomerSeed("C00002", "Doe~Jane", "jane.doe@example.com", "Portland", "USA"),
    # SL auto-applies this customer's payments itself: slpay must never write U rows for it.
    CustomerSeed(
        "C00003", "Contoso Auto-Apply", "ap@contoso.example", "Boston", "USA", auto_apply=1
    ),
    CustomerSeed("C00004", "Fabrikam GmbH", "buchhaltung@fabrikam.example", "Berlin", "DEU", "EUR"),
)

#: Numbering seeds (ARSetup / GLSetup / SOType "last number used").
LAST_NUMBERS: dict[str, str] = {
    "ARSetup.LastBatNbr": "000000",
    "ARSetup.LastRefNbr": "100000",
    "ARSetup.LastCrMemoNbr": "300000",
    "ARSetup.LastDrMemoNbr": "500000",
    "ARSetup.LastFinChrgRefNbr": "700000",
    "ARSetup.LastWORefNbr": "800000",
    "GLSetup.LastBatNbr": "000000",
    "SOType.LastOrdNbr": "000000",
    "SOType.LastInvcNbr": "000000",
    "SOType.LastShipperNbr": "000000",
}

LEDGER_ID = "ACTUAL"
BASE_CURRENCY = "USD"
CARD_PMT_TYPE = "CARD"
