"""The SL side: what slpay posted that moves the clearing account, read in one bulk query.

Every document slpay wrote is recorded in ``slpay_xref`` under its business key
(:mod:`.keys`); joined with its ``ARDoc`` this gives the Cybersource id, amount, currency, date
and order reference (CustOrdNbr = the merchant reference). The index is compact on purpose (a
day can hold a million documents): parallel lists and integer arrays, amounts in signed minor
units as they move the clearing account (captures and won chargebacks +, refunds and
chargebacks −). Each document's base amount (ARDoc.OrigDocAmt, at the rate SL booked it) is
kept too, in base minor units, for the exchange difference of a foreign-currency settlement.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, and_, exists, or_, select

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
    #: 1 where the document is a refund (credits in the report), else 0.
    is_refund: bytearray = field(default_factory=bytearray)
    #: Base amount as booked (OrigDocAmt), signed like ``amount``, base minor units.
    base_amount: array[int] = field(default_factory=lambda: array("q"))
    base_currency: str = ""

    def __len__(self) -> int:
        return len(self.txn)

    def add(
        self,
        txn: str,
        op: str,
        amount: int,
        currency: str,
        day: int,
        ref: str,
        doc: str,
        base: int | None = None,
    ) -> None:
        """One document (``base`` None: booked in the base currency, base = amount)."""
        i = len(self.txn)
        self.base_amount.append(amount if base is None else base)
        self.txn.append(txn)
        self.op.append(op)
        self.amount.append(amount)
        self.currency.append(currency)
        self.day.append(day)
        self.merchant_ref.append(ref)
        self.document.append(doc)
        self.matched.append(0)
        self.is_refund.append(op == "refund")
        if op in ROW_OPERATIONS:
            self.by_id[txn] = i
        else:
            self.disputes[(txn, op)] = i

    def key(self, i: int) -> str:
        return sl_key(self.txn[i], self.op[i])

    def booked_base(self, currency: str) -> int:
        """Σ base amount as booked of the matched documents in ``currency`` (minor units)."""
        flags, curs, base = self.matched, self.currency, self.base_amount
        return sum(base[i] for i in range(len(base)) if flags[i] == 1 and curs[i] == currency)

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
    settled_elsewhere: Callable[[Sequence[str]], Collection[str]] | None = None,
    on_rows: Callable[[int], None] | None = None,
    fetch: int = 50_000,
) -> SLSide:
    """SL documents dated in [day − lookback, day + ahead] not settled on another day
    (``settled_elsewhere`` answers that for each fetched block of keys)."""
    lo = datetime.combine(day - timedelta(days=lookback_days), datetime.min.time())
    hi = datetime.combine(day + timedelta(days=ahead_days + 1), datetime.min.time())
    side = SLSide()
    with engine.connect() as conn:
        side.base_currency = str(conn.execute(select(sl.GLSetup.c.BaseCuryId)).scalar()).rstrip()
        loader = _Loader(side, settled_elsewhere or (lambda _keys: ()))
        # SQLAlchemy compiles the query and binds the dates for the dialect; the rows are then
        # fetched from the DB-API cursor itself (``CursorResult.cursor``): plain tuples, without
        # SQLAlchemy's per-row result processing (a third of the time on a million rows).
        result = conn.execute(_query(lo, hi))
        try:
            while rows := result.cursor.fetchmany(fetch):
                loader.add(rows)
                if on_rows is not None:
                    on_rows(len(side))
        finally:
            result.close()
    return side


def _query(lo: datetime, hi: datetime) -> Select[Any]:
    """Every AR document slpay wrote (``slpay_xref`` joined with its ARDoc) dated in [lo, hi),
    but a card-refund DM whose refund was voided (its ``…:refund-void`` CM reverses it: the
    refund never settles, and the pair nets to zero on clearing)."""
    x, a = slpay_xref.c, sl.ARDoc.c
    voids = slpay_xref.alias("voids")
    reversed_refund = exists().where(voids.c.biz_key == x.biz_key + "-void")
    on = and_(
        a.CustId == x.cust_id, a.DocType == x.doc_type, a.RefNbr == x.ref_nbr,
        a.BatNbr == x.bat_nbr,
    )  # fmt: skip
    return (
        select(
            x.biz_key,
            a.CuryOrigDocAmt,
            a.CuryId,
            a.DocDate,
            a.CustOrdNbr,
            a.DocType,
            a.RefNbr,
            a.OrigDocAmt,
        )
        .select_from(slpay_xref.join(sl.ARDoc, on))
        .where(x.module == "AR", a.DocDate >= lo, a.DocDate < hi)
        .where(or_(~x.biz_key.like("%:refund"), ~reversed_refund))
    )


class _Loader:
    """Appends fetched rows to an :class:`SLSide` column by column (C loops where possible)."""

    def __init__(
        self, side: SLSide, settled_elsewhere: Callable[[Sequence[str]], Collection[str]]
    ) -> None:
        self.side, self.settled_elsewhere = side, settled_elsewhere
        self.currency: dict[str, str] = {}
        self.scale: dict[str, int] = {}
        self.base_scale = 10 ** exponent(side.base_currency)
        self.days: dict[object, int] = {}

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        keys, *rest = zip(*rows, strict=True)
        txns, _, ops = zip(*map(_split, keys), strict=True)
        cols: list[Sequence[Any]] = [txns, ops, *rest]
        elsewhere = self.settled_elsewhere(keys)
        keep = [
            k for k, (key, op) in enumerate(zip(keys, ops, strict=True))
            if op in CLEARING_SIGN and key not in elsewhere
        ]  # fmt: skip
        if len(keep) != len(keys):  # other documents, or settled on another day: rare
            cols = [[c[k] for k in keep] for c in cols]
        self._append(*cols)

    def _append(self, txns: Any, ops: Any, values: Any, curies: Any, whens: Any, refs: Any,
                doc_types: Any, ref_nbrs: Any, bases: Any) -> None:  # fmt: skip
        s, base = self.side, len(self.side)
        curs = [self.currency.get(c) or self._currency(c) for c in curies]
        scale = self.scale
        s.txn.extend(txns)
        s.op.extend(ops)
        amounts = [
            CLEARING_SIGN[o] * round(v * scale[c])
            for o, v, c in zip(ops, values, curs, strict=True)
        ]
        s.amount.extend(amounts)
        s.base_amount.extend(self._base_amounts(amounts, ops, curs, bases))
        s.currency.extend(curs)
        s.day.extend([self.days.get(w) or self._day(w) for w in whens])
        s.merchant_ref.extend(map(str.rstrip, refs))
        docs = zip(doc_types, ref_nbrs, strict=True)
        s.document.extend([f"{t.rstrip()} {r.rstrip()}" for t, r in docs])
        s.matched.extend(bytes(len(txns)))
        s.is_refund.extend([o == "refund" for o in ops])
        for i, (txn, op) in enumerate(zip(txns, ops, strict=True), start=base):
            if op in ROW_OPERATIONS:
                s.by_id[txn] = i
            else:
                s.disputes[(txn, op)] = i

    def _base_amounts(self, amounts: list[int], ops: Any, curs: list[str], bases: Any) -> Any:
        """Base minor units as booked; in the base currency that is the amount itself (the
        usual case, and the cheap one: no per-row work on a million-row day)."""
        home = self.side.base_currency
        if curs.count(home) == len(curs):
            return amounts
        bs = self.base_scale
        return [
            a if c == home else CLEARING_SIGN[o] * round(b * bs)
            for a, o, c, b in zip(amounts, ops, curs, bases, strict=True)
        ]

    def _currency(self, cury: str) -> str:
        cur = self.currency[cury] = cury.rstrip()
        self.scale[cur] = 10 ** exponent(cur)
        return cur

    def _day(self, when: object) -> int:
        ordinal = self.days[when] = _ordinal(when)
        return ordinal


def _split(key: str) -> tuple[str, str, str]:
    return key.rpartition(":")


def _ordinal(when: object) -> int:
    """DocDate as read: text on SQLite (no per-row parsing), a datetime elsewhere."""
    if isinstance(when, datetime | date):
        return when.toordinal()
    return date.fromisoformat(str(when)[:10]).toordinal()
