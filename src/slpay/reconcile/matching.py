"""Matching one settlement day: report rows and chargebacks against the SL side.

In order (the first that applies wins): request id; then merchant reference (exact amount,
or the one candidate within tolerance); then amount and date within tolerance, 1:1 only (a
candidate claimed by two rows, or a row with two candidates, is not matched); then
many-to-one, exact only (rows of one merchant reference summing to one SL document, or the
reverse — partial captures, several refunds). What is left becomes a discrepancy. The pass
over the report streams: only rows not matched by request id are kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from slpay.domain.reconciliation import (
    AMOUNT_MISMATCH,
    CURRENCY_MISMATCH,
    DUPLICATE,
    MISSING_IN_SL,
    NOT_SETTLED,
    FeeRule,
    Tolerance,
    card_sub_type,
)
from slpay.reconcile.report_stream import ReportBatch, SettledRow
from slpay.reconcile.sl_side import SLSide

MATCHED, FLAGGED = 1, 2


@dataclass(frozen=True)
class Dispute:
    """A chargeback (``op`` chargeback) or its won outcome (chargeback-won) of the day."""

    request_id: str
    op: str
    currency: str
    #: Signed as it moves clearing: a chargeback negative, a won one positive.
    amount: int
    evidence: dict[str, object]


@dataclass
class Discrepancy:
    kind: str
    what: str
    currency: str
    reason: str
    evidence: dict[str, object]
    #: The day in the task key (a never-settled document: the day it became overdue).
    day: date | None = None


@dataclass
class CurrencyTotals:
    """Per currency, in minor units."""

    matched: int = 0
    #: Σ of the matched SL documents as they move clearing (the GL batch's clearing credit).
    cleared: int = 0
    #: Σ of the same rows as Cybersource reported them.
    reported: int = 0
    rows: int = 0
    purchases: int = 0
    expected_fees: int = 0


@dataclass
class MatchRules:
    tolerance: Callable[[str], Tolerance]
    fee_rule: Callable[[str, str], FeeRule | None]
    date_tolerance_days: int
    #: SL documents dated on or before this ordinal and unmatched are "never settled".
    unsettled_cutoff: int
    unsettled_after_days: int


@dataclass
class MatchResult:
    totals: dict[str, CurrencyTotals] = field(default_factory=lambda: defaultdict(CurrencyTotals))
    discrepancies: list[Discrepancy] = field(default_factory=list)


class Matcher:
    """Feed it the day's rows (streamed) and disputes; :meth:`finish` flags what is left."""

    def __init__(self, side: SLSide, rules: MatchRules) -> None:
        self.side = side
        self.rules = rules
        self.result = MatchResult()
        self.left: list[SettledRow] = []
        self._fees: dict[tuple[str, str], FeeRule | None] = {}

    # --- pass 1: request id, streaming ------------------------------------------------------

    def feed(self, rows: Iterable[SettledRow]) -> None:
        """Rows one at a time (the general path; :meth:`feed_batch` is the fast one)."""
        totals = self.result.totals
        for row in rows:
            t = totals[row.currency]
            t.rows += 1
            if not row.credit:
                t.purchases += row.amount
                t.expected_fees += self._fee(row)
            self._by_request_id(row)

    def feed_batch(self, b: ReportBatch) -> None:
        """A batch of rows: the clean case (same id, kind, currency and amount) in tight loops,
        every other row through the general path."""
        side, flags = self.side, self.side.matched
        found = list(map(self.side.by_id.get, b.request_id))
        refund, s_cur, s_amt = side.is_refund, side.currency, side.amount
        slow: list[int] = []
        for k, i in enumerate(found):
            if (
                i is None or flags[i] or s_amt[i] != b.amount[k]
                or s_cur[i] != b.currency[k] or refund[i] != b.credit[k]
            ):  # fmt: skip
                slow.append(k)
            else:
                flags[i] = MATCHED
        self._batch_totals(b, slow)
        for k in slow:
            self._by_request_id(b.row(k))

    def _batch_totals(self, b: ReportBatch, slow: list[int]) -> None:
        """Count the fast matches and the whole batch's purchases and expected fees."""
        currencies = set(b.currency)
        if len(currencies) != 1:
            return self._mixed_totals(b, slow)
        cur = currencies.pop()
        t = self.result.totals[cur]
        fast = sum(b.amount) - sum([b.amount[k] for k in slow])
        t.rows += len(b)
        t.matched += len(b) - len(slow)
        t.cleared += fast
        t.reported += fast
        for method in set(b.payment_method):
            amounts = [
                a for a, m, c in zip(b.amount, b.payment_method, b.credit, strict=True)
                if not c and m == method
            ]  # fmt: skip
            self._purchases(cur, method, amounts)
        return None

    def _mixed_totals(self, b: ReportBatch, slow: list[int]) -> None:
        skip = set(slow)
        totals = self.result.totals
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for k, (cur, method, amount, credit) in enumerate(
            zip(b.currency, b.payment_method, b.amount, b.credit, strict=True)
        ):
            t = totals[cur]
            t.rows += 1
            if not credit:
                groups[(cur, method)].append(amount)
            if k not in skip:
                t.matched += 1
                t.cleared += amount
                t.reported += amount
        for (cur, method), amounts in groups.items():
            self._purchases(cur, method, amounts)

    def _purchases(self, currency: str, method: str, amounts: list[int]) -> None:
        t = self.result.totals[currency]
        t.purchases += sum(amounts)
        rule = self._rule(currency, method)
        if rule is not None:
            t.expected_fees += rule.fees_minor(amounts)

    def _by_request_id(self, row: SettledRow) -> None:
        side, flags = self.side, self.side.matched
        i = side.by_id.get(row.request_id)
        if i is None or side.is_refund[i] != row.credit:
            self.left.append(row)
        elif flags[i]:
            self._flag(DUPLICATE, row, i, "settled twice in the report")
        elif side.currency[i] != row.currency:
            flags[i] = FLAGGED
            self._flag(CURRENCY_MISMATCH, row, i, f"SL has it in {side.currency[i]}")
        elif row.amount != side.amount[i] and not self.rules.tolerance(row.currency).allows(
            row.amount - side.amount[i], row.amount
        ):
            flags[i] = FLAGGED
            self._flag(AMOUNT_MISMATCH, row, i, "amounts differ beyond tolerance")
        else:
            self._match(i, row.currency, row.amount)

    def _rule(self, currency: str, method: str) -> FeeRule | None:
        key = (currency, method)
        if key not in self._fees:
            self._fees[key] = self.rules.fee_rule(currency, card_sub_type(method))
        return self._fees[key]

    def _fee(self, row: SettledRow) -> int:
        rule = self._rule(row.currency, row.payment_method)
        return rule.fee_minor(row.amount) if rule else 0

    def _match(self, i: int, currency: str, reported: int) -> None:
        self.side.matched[i] = MATCHED
        t = self.result.totals[currency]
        t.matched += 1
        t.cleared += self.side.amount[i]
        t.reported += reported

    def _flag(self, kind: str, row: SettledRow, i: int | None, reason: str) -> None:
        evidence: dict[str, object] = {"cybersource": row.evidence()}
        if i is not None:
            evidence["sl"] = self.side.evidence(i)
        what = f"{row.request_id}#{row.line}" if kind == DUPLICATE else row.request_id
        self.result.discrepancies.append(Discrepancy(kind, what, row.currency, reason, evidence))

    # --- chargebacks ------------------------------------------------------------------------

    def feed_disputes(self, disputes: Iterable[Dispute]) -> None:
        side = self.side
        for d in disputes:
            i = side.disputes.get((d.request_id, d.op))
            what = f"{d.request_id}:{d.op}"
            if i is None or side.matched[i]:
                kind = MISSING_IN_SL if i is None else DUPLICATE
                self._dispute(kind, d, what, i, f"{d.op} not in SL" if i is None else "twice")
            elif side.currency[i] != d.currency:
                side.matched[i] = FLAGGED
                self._dispute(CURRENCY_MISMATCH, d, what, i, f"SL has it in {side.currency[i]}")
            elif side.amount[i] != d.amount:
                side.matched[i] = FLAGGED
                self._dispute(AMOUNT_MISMATCH, d, what, i, "amounts differ")
            else:
                self._match(i, d.currency, d.amount)

    def _dispute(self, kind: str, d: Dispute, what: str, i: int | None, reason: str) -> None:
        evidence: dict[str, object] = {"cybersource": d.evidence}
        if i is not None:
            evidence["sl"] = self.side.evidence(i)
        self.result.discrepancies.append(Discrepancy(kind, what, d.currency, reason, evidence))

    # --- passes 2-4 and what is left --------------------------------------------------------

    def finish(self) -> MatchResult:
        from slpay.reconcile.matching_rest import match_rest

        rest = match_rest(self, self.left)
        for row in rest:
            self._flag(MISSING_IN_SL, row, None, "settled by Cybersource, not found in SL")
        self._flag_unsettled()
        return self.result

    def _flag_unsettled(self) -> None:
        from datetime import timedelta

        side, rules = self.side, self.rules
        for i in side.unmatched():
            if side.day[i] > rules.unsettled_cutoff:
                continue
            overdue = date.fromordinal(side.day[i]) + timedelta(days=rules.unsettled_after_days)
            self.result.discrepancies.append(
                Discrepancy(
                    NOT_SETTLED,
                    side.key(i),
                    side.currency[i],
                    f"in SL since {date.fromordinal(side.day[i])}, never settled",
                    {"sl": side.evidence(i)},
                    day=overdue,
                )
            )
