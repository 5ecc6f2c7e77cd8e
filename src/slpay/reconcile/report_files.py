"""The day's report for finance: ``reconciliation-<day>.csv`` and ``.html``.

Both hold the same facts: per currency the matched count and totals, net funding, fees, the
remainder and the GL batch (or why the day is held); then every discrepancy with its reason.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

from slpay.domain.reconciliation import from_minor

if TYPE_CHECKING:
    from slpay.reconcile.service import DayResult

COLUMNS = ("section", "currency", "kind", "key", "count", "amount", "detail")


def report_rows(result: DayResult) -> list[tuple[str, ...]]:
    """The report as rows of :data:`COLUMNS`."""
    rows: list[tuple[str, ...]] = []
    for p in result.postings:
        cur, t = p.currency, p.totals

        def amt(minor: int, cur: str = cur) -> str:
            return str(from_minor(minor, cur))

        batch = result.gl_batches.get(cur, "")
        rows.append(
            ("matched", cur, "", "", str(t.matched), amt(t.cleared), f"reported {amt(t.reported)}")
        )
        if p.funding is not None:
            f = p.funding
            for name, value in (
                ("totalPurchases", f.purchases), ("totalRefunds", f.refunds),
                ("totalChargebacks", f.chargebacks), ("totalFees", f.fees), ("netTotal", f.net),
            ):  # fmt: skip
                rows.append(("net funding", cur, name, "", "", amt(value), ""))
        rows.append(
            ("fees", cur, "expected", "", "", amt(t.expected_fees), "from the fee schedule")
        )
        rows.append(("remainder", cur, "", "", "", amt(p.remainder), ""))
        if p.exchange:
            base = p.base_currency
            rows.append(("exchange difference", cur, base, "", "", amt(p.exchange, base),
                         "in base currency; + is a loss"))  # fmt: skip
        rows.append(("gl batch", cur, "", batch, "", "", p.held or ("posted" if batch else "")))
    for d in result.found:
        rows.append(
            (
                "discrepancy",
                d.currency,
                d.kind,
                d.what,
                "",
                "",
                f"{d.reason} {json.dumps(d.evidence, default=str)}",
            )
        )
    return rows


def write_reports(directory: Path, result: DayResult) -> list[Path]:
    """Write the CSV and HTML report of the day; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = report_rows(result)
    stem = directory / f"reconciliation-{result.day.isoformat()}"
    csv_path, html_path = stem.with_suffix(".csv"), stem.with_suffix(".html")
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    html_path.write_text(_html(result, rows), encoding="utf-8")
    return [csv_path, html_path]


def _html(result: DayResult, rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows
    )
    title = f"Cybersource settlement {result.day.isoformat()}"
    counts = ", ".join(f"{k}: {n}" for k, n in result.discrepancies.items()) or "none"
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>Matched: {result.matched}. "
        f"Discrepancies: {html.escape(counts)}. GL batches: "
        f"{html.escape(json.dumps(result.gl_batches))}.</p>\n"
        f'<table border="1"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>\n'
        "</body></html>\n"
    )
