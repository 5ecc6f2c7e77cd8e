"""Passes 2-4 of :mod:`.matching` over the few rows request ids did not match.

Only the SL documents still unmatched take part, so these passes cost nothing on a clean day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

from slpay.domain.reconciliation import DUPLICATE
from slpay.reconcile.report_stream import SettledRow

if TYPE_CHECKING:
    from slpay.reconcile.matching import Matcher


def match_rest(m: Matcher, rows: list[SettledRow]) -> list[SettledRow]:
    """Match what request ids could not; return the rows still unmatched."""
    rows = _drop_duplicates(m, rows)
    if not rows:
        return []
    side = m.side
    open_docs = [i for i in side.unmatched() if side.op[i] in ("capture", "refund")]
    rows = _by_reference(m, rows, open_docs)
    rows = _by_amount_and_date(m, rows, open_docs)
    return _many_to_one(m, rows, open_docs)


def _drop_duplicates(m: Matcher, rows: list[SettledRow]) -> list[SettledRow]:
    seen: set[str] = set()
    out = []
    for row in rows:
        if row.request_id in seen:
            m._flag(DUPLICATE, row, None, "settled twice in the report")
        else:
            seen.add(row.request_id)
            out.append(row)
    return out


def _fits(m: Matcher, row: SettledRow, i: int) -> bool:
    side = m.side
    return (
        side.matched[i] == 0
        and side.currency[i] == row.currency
        and side.is_refund[i] == row.credit
    )


def _by_reference(m: Matcher, rows: list[SettledRow], docs: list[int]) -> list[SettledRow]:
    refs = {r.merchant_ref for r in rows if r.merchant_ref}
    by_ref: dict[str, list[int]] = defaultdict(list)
    for i in docs:
        if m.side.merchant_ref[i] in refs:
            by_ref[m.side.merchant_ref[i]].append(i)
    left = []
    for row in rows:
        cands = [i for i in by_ref.get(row.merchant_ref, []) if _fits(m, row, i)]
        exact = [i for i in cands if m.side.amount[i] == row.amount]
        tol = m.rules.tolerance(row.currency)
        near = [i for i in cands if tol.allows(row.amount - m.side.amount[i], row.amount)]
        pick = exact[:1] or (near if len(near) == 1 else [])
        if pick:
            m._match(pick[0], row.currency, row.amount)
        else:
            left.append(row)
    return left


def _by_amount_and_date(m: Matcher, rows: list[SettledRow], docs: list[int]) -> list[SettledRow]:
    side, days = m.side, m.rules.date_tolerance_days
    proposals: dict[int, list[SettledRow]] = defaultdict(list)
    chosen: dict[int, int] = {}
    for n, row in enumerate(rows):
        tol = m.rules.tolerance(row.currency)
        when = _ordinal(row.batch_date)
        cands = [
            i
            for i in docs
            if _fits(m, row, i)
            and tol.allows(row.amount - side.amount[i], row.amount)
            and (when is None or abs(side.day[i] - when) <= days)
        ]
        if len(cands) == 1:
            proposals[cands[0]].append(row)
            chosen[n] = cands[0]
    left = []
    for n, row in enumerate(rows):
        i = chosen.get(n)
        if i is not None and len(proposals[i]) == 1:
            m._match(i, row.currency, row.amount)
        else:
            left.append(row)
    return left


def _many_to_one(m: Matcher, rows: list[SettledRow], docs: list[int]) -> list[SettledRow]:
    side = m.side
    groups: dict[tuple[str, str, bool], list[SettledRow]] = defaultdict(list)
    for row in rows:
        if row.merchant_ref:
            groups[(row.merchant_ref, row.currency, row.credit)].append(row)
    done: set[int] = set()
    for (ref, cur, credit), group in groups.items():
        mine = [
            i for i in docs
            if side.matched[i] == 0 and side.merchant_ref[i] == ref
            and side.currency[i] == cur and side.is_refund[i] == credit
        ]  # fmt: skip
        total = sum(r.amount for r in group)
        one_doc = [i for i in mine if side.amount[i] == total]
        if len(group) > 1 and one_doc:
            _share(m, [one_doc[0]], group, done)
        elif len(group) == 1 and len(mine) > 1 and sum(side.amount[i] for i in mine) == total:
            _share(m, mine, group, done)
    return [r for r in rows if id(r) not in done]


def _share(m: Matcher, docs: list[int], rows: list[SettledRow], done: set[int]) -> None:
    """Many-to-one, exact: every document and every row is matched."""
    cur = rows[0].currency
    for i in docs:
        m._match(i, cur, 0)
    m.result.totals[cur].reported += sum(r.amount for r in rows)
    done.update(id(r) for r in rows)


def _ordinal(text: str) -> int | None:
    try:
        return date.fromisoformat(text.strip()[:10]).toordinal()
    except ValueError:
        return None
