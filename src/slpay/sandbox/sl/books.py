"""The reference data a release run reads once: setup rows, currencies, accounts, ledgers.

Also the small value types the release simulator passes around: a refusal carrying SL's message
number, and a planned GL line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char, read_money, round_money, to_base
from slpay.errors import SlpayError


class ReleaseRefused(SlpayError):
    """SL's release or posting would refuse this batch.

    ``message_number`` is SL's own message number where FACTS.md records one (e.g. 6019
    unbalanced GL batch, 12123 control total, 12306 document applied before it is released);
    ``None`` for checks the sandbox makes that SL leaves to its screens or lets through.
    ``stage`` is ``release`` or ``posting`` (a batch refused at posting is left unchanged; one
    refused by AR release is marked ``S``, as SL does).
    """

    def __init__(
        self,
        message_number: int | None,
        text: str,
        *,
        module: str = "",
        batnbr: str = "",
        stage: str = "release",
    ):
        self.message_number = message_number
        self.text = text
        self.module = module
        self.batnbr = batnbr
        self.stage = stage
        where = f"{module} batch {batnbr}: " if batnbr else ""
        number = f"SL message {message_number}: " if message_number is not None else ""
        super().__init__(f"{where}{number}{text}")


def refuse(message_number: int | None, text: str, *, stage: str = "release") -> ReleaseRefused:
    """A refusal without the batch yet (``release_batch`` adds module and number)."""
    return ReleaseRefused(message_number, text, stage=stage)


@dataclass(frozen=True)
class Account:
    active: bool
    cury_id: str


@dataclass
class Books:
    """Setup and reference rows, read once per release."""

    base_cury: str
    ledger_id: str
    gl_period: str
    prepay: tuple[str, str]
    decpl: dict[str, int]
    accounts: dict[str, Account]
    subs: dict[str, bool]
    ledgers: dict[str, bool]
    gain_loss: dict[str, tuple[str, str, str, str]]
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def base_decpl(self) -> int:
        return self.decpl.get(self.base_cury, 2)

    def money(self, value: float, cury_id: str) -> Decimal:
        """A FLOAT amount in ``cury_id``, as a Decimal with that currency's places."""
        return read_money(value, self.decpl.get(cury_id, 2))

    def base(self, value: float) -> Decimal:
        return read_money(value, self.base_decpl)

    def to_base(self, amount: Decimal, rate: float, mult_div: str) -> Decimal:
        """Transaction currency → base at a document's rate (rate 0 or 1 = same amount)."""
        r = Decimal(repr(float(rate)))
        if r in (0, 1):
            return round_money(amount, self.base_decpl)
        return to_base(amount, r, read_char(mult_div) or "M", self.base_decpl)

    def check_account(self, acct: str, sub: str, where: str) -> None:
        """Blank account/sub: SL's 6928/6929; unknown or inactive: refused by the sandbox.

        SL itself lets unknown accounts through release and moves them to its suspense account
        at posting (FACTS §11.1); the sandbox refuses them so that the mistake shows.
        """
        if not acct:
            raise refuse(6928, f"{where}: account is blank")
        if not sub:
            raise refuse(6929, f"{where}: subaccount is blank")
        account = self.accounts.get(acct)
        if account is None or not account.active:
            raise refuse(None, f"{where}: account {acct} does not exist or is inactive")
        if not self.subs.get(sub):
            raise refuse(None, f"{where}: subaccount {sub} does not exist or is inactive")

    def customer(self, conn: Connection, cust_id: str) -> dict[str, Any] | None:
        if cust_id not in self.customers:
            row = conn.execute(select(sl.Customer).where(sl.Customer.c.CustId == cust_id)).first()
            if row is None:
                return None
            self.customers[cust_id] = dict(row._mapping)
        return self.customers[cust_id]


def load_books(conn: Connection) -> Books:
    """Read GLSetup, ARSetup, Currncy, Account, SubAcct and Ledger."""
    gl = conn.execute(select(sl.GLSetup)).first()
    ar = conn.execute(select(sl.ARSetup).where(sl.ARSetup.c.SetupId == "AR")).first()
    if gl is None or ar is None:
        raise refuse(None, "the company has no GLSetup/ARSetup row (run `slpay sandbox sl init`)")
    currencies = conn.execute(select(sl.Currncy)).all()
    return Books(
        base_cury=read_char(gl.BaseCuryId),
        ledger_id=read_char(gl.LedgerID),
        gl_period=read_char(gl.PerNbr),
        prepay=(read_char(ar.PrePayAcct), read_char(ar.PrePaySub)),
        decpl={read_char(c.CuryId): int(c.DecPl) for c in currencies},
        accounts={
            read_char(a.Acct): Account(bool(a.Active), read_char(a.CuryId))
            for a in conn.execute(
                select(sl.Account.c.Acct, sl.Account.c.Active, sl.Account.c.CuryId)
            )
        },
        subs={
            read_char(s.Sub): bool(s.Active)
            for s in conn.execute(select(sl.SubAcct.c.Sub, sl.SubAcct.c.Active))
        },
        ledgers={
            read_char(g.LedgerID): bool(g.BalRequired)
            for g in conn.execute(select(sl.Ledger.c.LedgerID, sl.Ledger.c.BalRequired))
        },
        gain_loss={
            read_char(c.CuryId): (
                read_char(c.RealGainAcct),
                read_char(c.RealGainSub),
                read_char(c.RealLossAcct),
                read_char(c.RealLossSub),
            )
            for c in currencies
        },
    )


@dataclass(frozen=True)
class GLLine:
    """One GL line a release will write (base and transaction-currency amounts, one side)."""

    acct: str
    sub: str
    dr: Decimal
    cr: Decimal
    cury_dr: Decimal
    cury_cr: Decimal
    cury_id: str
    cury_rate: float = 1.0
    cury_mult_div: str = "M"
    tran_type: str = ""
    ref_nbr: str = ""
    cust_id: str = ""
    desc: str = ""
    tran_date: datetime | None = None


def debit(acct_sub: tuple[str, str], base: Decimal, cury: Decimal, **kw: Any) -> GLLine:
    """A GL line on the debit side (a negative amount goes on the credit side)."""
    if base < 0 or cury < 0:
        return credit(acct_sub, -base, -cury, **kw)
    zero = Decimal(0)
    return GLLine(acct_sub[0], acct_sub[1], base, zero, cury, zero, **kw)


def credit(acct_sub: tuple[str, str], base: Decimal, cury: Decimal, **kw: Any) -> GLLine:
    """A GL line on the credit side (a negative amount goes on the debit side)."""
    if base < 0 or cury < 0:
        return debit(acct_sub, -base, -cury, **kw)
    zero = Decimal(0)
    return GLLine(acct_sub[0], acct_sub[1], zero, base, zero, cury, **kw)
