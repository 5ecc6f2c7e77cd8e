"""The Payment Batch Detail CSV read as a stream (FACTS §9), never whole in memory.

:func:`slpay.connectors.cybersource.reports.parse_payment_batch_detail` builds a list of every
row (with Decimal amounts); a day of a million settlements needs the opposite: one row at a
time, amounts in integer minor units, so this reader walks the lines the client streams.
Line 1 is the report header, line 2 the column names (read by name), data from line 3.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from slpay.connectors.cybersource.reports import CREDIT, REQUIRED_COLUMNS
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


def read_settled_rows(lines: Iterable[str]) -> Iterator[SettledRow]:
    """Yield the report's rows; a malformed file raises :class:`~slpay.errors.ValidationError`."""
    reader = csv.reader(iter(lines))
    header = next(reader, None)
    columns = next(reader, None)
    if not header or not columns or not header[0].strip():
        raise ValidationError("report has no header and column lines", field="report")
    names = [c.strip().lstrip("\ufeff") for c in columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ValidationError(f"missing columns {', '.join(missing)}", field="report")
    i = {name: n for n, name in enumerate(names)}
    width = max(i[c] for c in REQUIRED_COLUMNS) + 1
    ir, im, ic, ia, it = (
        i["request_id"], i["merchant_ref_number"], i["currency"], i["amount"], i["transaction_type"]
    )  # fmt: skip
    ip, ib, idt, itr = i["payment_method"], i["batch_id"], i["batch_date"], i["trans_ref_no"]
    intern: dict[str, str] = {}
    for n, v in enumerate(reader, start=3):
        if len(v) < width:
            if not any(v):
                continue
            raise ValidationError(f"line {n}: {len(v)} columns, {width} expected", field="report")
        cur = v[ic].strip().upper()
        cur = intern.setdefault(cur, cur)
        try:
            amount = to_minor(v[ia], cur)
        except ValueError as exc:
            raise ValidationError(f"line {n}: {exc}", field="amount") from None
        yield SettledRow(
            v[ir].strip(), v[im].strip(), cur, amount, v[it].strip() == CREDIT,
            v[ip], v[ib], v[idt], v[itr], n,
        )  # fmt: skip
