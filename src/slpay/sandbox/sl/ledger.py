"""Trial balance of what SL has released, per account, subaccount and currency.

Amounts are debit minus credit. By default each key's amount is in the transaction currency of
the GL lines (``CuryDrAmt - CuryCrAmt``), which is how DESIGN.md states its invariant ("clearing
= captures - refunds - chargebacks + chargebacks won not yet settled, per currency");
``base=True`` gives base-currency amounts keyed by the base currency instead. Zero balances are
left out so that two trial balances compare with ``==``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Engine, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char, read_money


class TBKey(NamedTuple):
    """A trial-balance line: account, subaccount, currency."""

    acct: str
    sub: str
    currency: str


TrialBalance = dict[TBKey, Decimal]


def trial_balance(engine: Engine, *, base: bool = False, posted_only: bool = False) -> TrialBalance:
    """Σ debit - credit of released GLTran (Rlsed = 1; ``posted_only``: Posted = 'P')."""
    g = sl.GLTran.c
    query = select(
        g.Acct, g.Sub, g.CuryId, g.BaseCuryID, g.DrAmt, g.CrAmt, g.CuryDrAmt, g.CuryCrAmt
    ).where(g.Rlsed == 1)
    if posted_only:
        query = query.where(g.Posted == "P")
    with engine.connect() as conn:
        decpl = {
            read_char(c): int(d)
            for c, d in conn.execute(select(sl.Currncy.c.CuryId, sl.Currncy.c.DecPl))
        }
        rows = conn.execute(query).all()
    totals: dict[TBKey, Decimal] = defaultdict(Decimal)
    for acct, sub, cury, base_cury, dr, cr, cury_dr, cury_cr in rows:
        currency = read_char(base_cury if base else cury) or read_char(base_cury)
        places = decpl.get(currency, 2)
        amount = (
            read_money(dr, places) - read_money(cr, places)
            if base
            else read_money(cury_dr, places) - read_money(cury_cr, places)
        )
        totals[TBKey(read_char(acct), read_char(sub), currency)] += amount
    return without_zeros(totals)


def without_zeros(tb: dict[TBKey, Decimal]) -> TrialBalance:
    """The same trial balance without zero lines."""
    return {key: amount for key, amount in sorted(tb.items()) if amount != 0}
