"""The Payment Batch Detail CSV read as a stream (FACTS §9), never whole in memory.

:func:`slpay.connectors.cybersource.reports.parse_payment_batch_detail` builds a list of every
row (with Decimal amounts); a day of a million settlements needs the opposite: one row at a
time, amounts in integer minor units, so this reader walks the lines the client streams.
Line 1 is the report header, line 2 the column names (read by name), data from line 3,
read in fixed-size batches (:class:`ReportBatch`).
"""

from __future__ import annotations

import csv
import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from slpay.connectors.cybersource.reports import CREDIT, REQUIRED_COLUMNS
from slpay.domain.money import exponent
from slpay.domain.reconciliation import to_minor
from slpay.errors import ValidationError


class SettledRow(NamedTuple):
    """One settled request; ``amount`` in minor units, negative for credits (refunds)."""

    request_id: str
    merchant_ref: str
    currency: str
    amount: int
    credit: bool
    payment_method: str
    batch_id: str
    batch_date: str
    trans_ref_no: str
    line: int

    def evidence(self) -> dict[str, object]:
        """The row as a task's evidence (Cybersource's side)."""
        from slpay.domain.reconciliation import from_minor

        return {
            "request_id": self.request_id,
            "merchant_ref_number": self.merchant_ref,
            "currency": self.currency,
            "amount": str(from_minor(self.amount, self.currency)),
            "transaction_type": "ics_credit" if self.credit else "ics_bill",
            "payment_method": self.payment_method,
            "batch_id": self.batch_id,
            "batch_date": self.batch_date,
            "trans_ref_no": self.trans_ref_no,
            "line": self.line,
        }


@dataclass
class ReportBatch:
    """Up to ``batch_size`` consecutive data rows, column by column (the hot path's shape).

    ``amount`` is in minor units, negative for credits; ``first_line`` is the file line of
    row 0. :meth:`row` builds one :class:`SettledRow` only where a row needs one (a row not
    matched by request id, a discrepancy's evidence).
    """

    request_id: list[str]
    merchant_ref: list[str]
    currency: list[str]
    amount: list[int]
    credit: list[bool]
    payment_method: list[str]
    batch_id: list[str]
    batch_date: list[str]
    trans_ref_no: list[str]
    first_line: int
    #: Each row's line when blank lines were skipped inside the batch.
    lines: list[int] | None = None

    def __len__(self) -> int:
        return len(self.request_id)

    def row(self, k: int) -> SettledRow:
        return SettledRow(
            self.request_id[k], self.merchant_ref[k], self.currency[k], self.amount[k],
            self.credit[k], self.payment_method[k], self.batch_id[k], self.batch_date[k],
            self.trans_ref_no[k], self.lines[k] if self.lines else self.first_line + k,
        )  # fmt: skip


def read_settled_rows(lines: Iterable[str]) -> Iterator[SettledRow]:
    """Yield the report's rows; a malformed file raises :class:`~slpay.errors.ValidationError`."""
    for batch in read_report_batches(lines):
        for k in range(len(batch)):
            yield batch.row(k)


def read_report_batches(lines: Iterable[str], batch_size: int = 50_000) -> Iterator[ReportBatch]:
    """The report in batches of rows (memory bounded by ``batch_size``, never the whole file).

    The stdlib's C CSV reader splits the lines; columns are then taken with ``zip`` and
    ``map`` (C loops), and amounts become integer minor units through one regular-expression
    check of the whole batch's column, so no Python code runs per row on a well-formed file.
    """
    reader = csv.reader(iter(lines))
    idx, width = _columns(next(reader, None), next(reader, None))
    line = 3
    while chunk := list(itertools.islice(reader, batch_size)):
        first, rows, numbers = line, chunk, None
        line += len(chunk)
        if any(len(v) < width for v in rows):
            rows, numbers = _drop_blank(chunk, first, width)
            if not rows:
                continue
        cols = list(zip(*rows, strict=False))
        yield _batch([cols[i] for i in idx], first, numbers)


def _columns(header: list[str] | None, columns: list[str] | None) -> tuple[list[int], int]:
    if not header or not columns or not header[0].strip():
        raise ValidationError("report has no header and column lines", field="report")
    names = [c.strip().lstrip("\ufeff") for c in columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ValidationError(f"missing columns {', '.join(missing)}", field="report")
    at = {name: n for n, name in enumerate(names)}
    idx = [at[name] for name in _ORDER]
    return idx, max(at[c] for c in REQUIRED_COLUMNS) + 1


#: Column order of :func:`_batch`'s ``cols``.
_ORDER = (
    "request_id", "merchant_ref_number", "currency", "amount", "transaction_type",
    "payment_method", "batch_id", "batch_date", "trans_ref_no",
)  # fmt: skip


def _drop_blank(
    chunk: list[list[str]], first: int, width: int
) -> tuple[list[list[str]], list[int]]:
    """Blank lines are skipped; a short non-blank line is an error naming its line."""
    out, numbers = [], []
    for n, v in enumerate(chunk, start=first):
        if len(v) >= width:
            out.append(v)
            numbers.append(n)
        elif any(v):
            raise ValidationError(f"line {n}: {len(v)} columns, {width} expected", field="report")
    return out, numbers


def _batch(cols: list[tuple[str, ...]], first: int, numbers: list[int] | None) -> ReportBatch:
    rid, ref, cur, amount, kind, method, bid, bdate, trn = cols
    currency = list(map(str.upper, map(str.strip, cur)))
    return ReportBatch(
        list(map(str.strip, rid)),
        list(map(str.strip, ref)),
        currency,
        _amounts(amount, currency, numbers or range(first, first + len(amount))),
        [k.strip() == CREDIT for k in kind],
        list(method), list(bid), list(bdate), list(trn),
        first, numbers,
    )  # fmt: skip


def _amounts(texts: tuple[str, ...], currencies: list[str], numbers: Iterable[int]) -> list[int]:
    """Minor units: one regex over the joined column when every currency shares an exponent."""
    exps = {exponent(c) for c in set(currencies)}
    if len(exps) == 1:
        exp = exps.pop()
        joined = "\n".join(texts)
        if _pattern(exp).fullmatch(joined):
            return list(map(int, joined.replace(".", "").split("\n")))
    out = []
    for n, text, cur in zip(numbers, texts, currencies, strict=True):
        try:
            out.append(to_minor(text, cur))
        except ValueError as exc:
            raise ValidationError(f"line {n}: {exc}", field="amount") from None
    return out


@functools.cache
def _pattern(exp: int) -> re.Pattern[str]:
    one = rf"-?\d+\.\d{{{exp}}}" if exp else r"-?\d+"
    return re.compile(rf"{one}(?:\n{one})*")
