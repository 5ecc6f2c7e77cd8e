"""Parsing downloaded report files (FACTS §9): the classic Payment Batch Detail CSV.

Line 1 is the report header (``Payment Batch Detail Report,1.0,<from> to <to>,,…``), line 2 the
column names, data from line 3. Columns are read by name (order and extra columns tolerated).
``request_id`` is the API transaction ``id``; ``merchant_ref_number`` is
``clientReferenceInformation.code``; ``trans_ref_no`` is ``reconciliationId``.
``transaction_type`` ``ics_bill`` is a capture, ``ics_credit`` a refund/credit (negative).
Accepts the bytes from ``download_report`` or the lines from ``iter_report_lines``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from slpay.domain.money import Money
from slpay.errors import ValidationError

REQUIRED_COLUMNS = (
    "batch_id",
    "merchant_id",
    "batch_date",
    "request_id",
    "merchant_ref_number",
    "trans_ref_no",
    "payment_method",
    "currency",
    "amount",
    "transaction_type",
)
CAPTURE = "ics_bill"
CREDIT = "ics_credit"


@dataclass(frozen=True)
class BatchDetailRow:
    """One settled request of a batch. ``amount`` is negative for credits."""

    batch_id: str
    merchant_id: str
    batch_date: str
    request_id: str
    merchant_ref_number: str
    trans_ref_no: str
    payment_method: str
    amount: Money
    transaction_type: str
    #: Columns beyond the standard ones, by name.
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchDetailReport:
    """A parsed Payment Batch Detail report."""

    name: str
    version: str
    period: str
    rows: list[BatchDetailRow]


def parse_payment_batch_detail(source: bytes | str | Iterable[str]) -> BatchDetailReport:
    """Parse the CSV; a malformed file raises :class:`~slpay.errors.ValidationError`."""
    reader = csv.reader(_lines(source))
    header = next(reader, None)
    columns = next(reader, None)
    if not header or not columns:
        raise ValidationError("report has no header and column lines", field="report")
    names = [c.strip() for c in columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ValidationError(f"missing columns {', '.join(missing)}", field="report")
    index = {name: i for i, name in enumerate(names)}
    rows = [_row(values, index, n) for n, values in enumerate(reader, start=3) if any(values)]
    padded = [*header, "", "", ""]
    return BatchDetailReport(
        name=padded[0].strip(), version=padded[1].strip(), period=padded[2].strip(), rows=rows
    )


def _lines(source: bytes | str | Iterable[str]) -> Iterator[str]:
    if isinstance(source, bytes):
        source = source.decode("utf-8-sig")
    if isinstance(source, str):
        return iter(io.StringIO(source))
    return iter(source)


def _row(values: list[str], index: dict[str, int], line: int) -> BatchDetailRow:
    def get(name: str) -> str:
        i = index[name]
        return values[i].strip() if i < len(values) else ""

    try:
        amount = Money.of(get("amount"), get("currency"))
    except ValueError as exc:
        raise ValidationError(f"line {line}: {exc}", field="amount") from None
    standard = set(REQUIRED_COLUMNS)
    extra = {name: get(name) for name in index if name not in standard}
    return BatchDetailRow(
        batch_id=get("batch_id"),
        merchant_id=get("merchant_id"),
        batch_date=get("batch_date"),
        request_id=get("request_id"),
        merchant_ref_number=get("merchant_ref_number"),
        trans_ref_no=get("trans_ref_no"),
        payment_method=get("payment_method"),
        amount=amount,
        transaction_type=get("transaction_type"),
        extra=extra,
    )
