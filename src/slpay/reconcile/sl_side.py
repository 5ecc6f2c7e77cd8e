"""The SL side: what slpay posted that moves the clearing account, read in one bulk query.

Every document slpay wrote is recorded in ``slpay_xref`` under its business key
(:mod:`.keys`); joined with its ``ARDoc`` this gives the Cybersource id, amount, currency, date
and order reference (CustOrdNbr = the merchant reference). The index is compact on purpose (a
day can hold a million documents): parallel lists and integer arrays, amounts in signed minor
units as they move the clearing account (captures and won chargebacks +, refunds and
chargebacks −).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, String, and_, select, type_coerce

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.xref import slpay_xref
from slpay.domain.money import exponent
from slpay.domain.reconciliation import from_minor
from slpay.reconcile.keys import CLEARING_SIGN, sl_key

#: Operations matched against Payment Batch Detail rows by request id.
ROW_OPERATIONS = frozenset({"capture", "refund"})


@dataclass
class SLSide:
    """Candidate SL documents, index ``i`` across the parallel columns."""

    txn: list[str] = field(default_factory=list)
    op: list[str] = field(default_factory=list)
    amount: array[int] = field(default_factory=lambda: array("q"))
    currency: list[str] = field(default_factory=list)
    day: array[int] = field(default_factory=lambda: array("i"))
    merchant_ref: list[str] = field(default_factory=list)
    document: list[str] = field(default_factory=list)
    #: Captures and refunds by Cybersource id; chargebacks by (id, operation).
    by_id: dict[str, int] = field(default_factory=dict)
    disputes: dict[tuple[str, str], int] = field(default_factory=dict)
    matched: bytearray = field(default_factory=bytearray)

    def __len__(self) -> int:
        return len(self.txn)

    def add(
        self, txn: str, op: str, amount: int, currency: str, day: int, ref: str, doc: str
    ) -> None:
        i = len(self.txn)
        self.txn.append(txn)
        self.op.append(op)
        self.amount.append(amount)
        self.currency.append(currency)
        self.day.append(day)
        self.merchant_ref.append(ref)
        self.document.append(doc)
        self.matched.append(0)
        if op in ROW_OPERATIONS:
            self.by_id[txn] = i
        else:
            self.disputes[(txn, op)] = i

    def key(self, i: int) -> str:
        return sl_key(self.txn[i], self.op[i])

    def unmatched(self) -> list[int]:
        """Indexes not matched yet (a scan of one bytearray)."""
        out: list[int] = []
        find = self.matched.find
        i = find(0)
        while i != -1:
            out.append(i)
            i = find(0, i + 1)
        return out

    def evidence(self, i: int) -> dict[str, object]:
        """Document ``i`` as a task's evidence (SL's side)."""
        return {
            "key": self.key(i),
            "document": self.document[i],
            "currency": self.currency[i],
            "amount": str(from_minor(self.amount[i], self.currency[i])),
            "date": date.fromordinal(self.day[i]).isoformat(),
            "merchant_ref": self.merchant_ref[i],
        }


def load_sl_side(
    engine: Engine,
    day: date,
    *,
    lookback_days: int,
    ahead_days: int,
    exclude: Collection[str] = (),
    on_rows: Callable[[int], None] | None = None,
) -> SLSide:
    """SL documents dated in [day − lookback, day + ahead] not settled on another day."""
    x, a = slpay_xref.c, sl.ARDoc.c
    lo = datetime.combine(day - timedelta(days=lookback_days), datetime.min.time())
    hi = datetime.combine(day + timedelta(days=ahead_days + 1), datetime.min.time())
    stmt = (
        select(
            x.biz_key,
            a.CuryOrigDocAmt,
            a.CuryId,
            type_coerce(a.DocDate, String),
            a.CustOrdNbr,
            a.DocType,
            a.RefNbr,
        )
        .select_from(
            slpay_xref.join(
                sl.ARDoc,
                and_(
                    a.CustId == x.cust_id,
                    a.DocType == x.doc_type,
                    a.RefNbr == x.ref_nbr,
                    a.BatNbr == x.bat_nbr,
                ),
            )
        )
        .where(x.module == "AR", a.DocDate >= lo, a.DocDate < hi)
    )
    side = SLSide()
    intern: dict[str, str] = {}
    days: dict[object, int] = {}
    scale: dict[str, int] = {}
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=20_000).execute(stmt)
        for part in result.partitions():
            for key, value, cury, when, ref, doc_type, ref_nbr in part:
                txn, _, op = key.rpartition(":")
                sign = CLEARING_SIGN.get(op)
                if sign is None or key in exclude:
                    continue
                cur = intern.get(cury)
                if cur is None:
                    cur = intern[cury] = cury.rstrip()
                    scale[cur] = 10 ** exponent(cur)
                ordinal = days.get(when)
                if ordinal is None:
                    ordinal = days[when] = _ordinal(when)
                side.add(
                    txn, op, sign * round(value * scale[cur]), cur, ordinal,
                    ref.rstrip(), f"{doc_type.rstrip()} {ref_nbr.rstrip()}",
                )  # fmt: skip
            if on_rows is not None:
                on_rows(len(side))
    return side


def _ordinal(when: object) -> int:
    """DocDate as read: text on SQLite (no per-row parsing), a datetime elsewhere."""
    if isinstance(when, datetime | date):
        return when.toordinal()
    return date.fromisoformat(str(when)[:10]).toordinal()
