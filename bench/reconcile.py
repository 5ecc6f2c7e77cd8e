"""Benchmark: one settlement day of N rows reconciled and posted, against a polars join.

    python bench/reconcile.py --rows 1000000 [--workdir DIR]

Generates (and caches in ``--workdir``) a day of N Payment Batch Detail rows (95 % captures,
5 % refunds) and the matching SL side: N ARDoc documents with their ``slpay_xref`` keys in a
SQLite sandbox company. Then, each in a fresh process so that peak RSS is its own:

* slpay: ``Reconciler.reconcile_day`` - the report streamed from the file, one bulk SL read,
  matching, the GL batch written, what settled recorded in a fresh hub store, tasks synced,
  the HTML and CSV reports written;
* baseline: a plain polars join of the same report and SL records (read CSV, read the same
  SQL query, join on request id, sum per currency).

Last line: ``rows=<n> seconds=<s> peak_rss_mb=<m> vs_polars_join=<ratio>`` (slpay seconds /
polars seconds). Targets: <= 15 s and <= 1,024 MB on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

DAY = date(2026, 5, 15)
COLUMNS = (
    "batch_id,merchant_id,batch_date,request_id,merchant_ref_number,trans_ref_no,"
    "payment_method,currency,amount,transaction_type"
)
SL_QUERY = (
    "SELECT x.cyber_id, a.CuryOrigDocAmt, a.CuryId FROM slpay_xref x JOIN ARDoc a "
    "ON a.CustId = x.cust_id AND a.DocType = x.doc_type AND a.RefNbr = x.ref_nbr "
    "AND a.BatNbr = x.bat_nbr"
)


def _amount(i: int) -> int:
    return (i * 7919) % 100_000 + 100


def _txn(i: int) -> str:
    return f"{7_000_000_000_000_000_000_000 + i:022d}"


def generate(workdir: Path, rows: int) -> dict[str, int]:
    """Write report.csv and sl.db for ``rows`` rows (cached); returns the net funding."""
    meta = workdir / f"day-{rows}.json"
    if meta.exists():
        return dict(json.loads(meta.read_text()))
    from slpay.sandbox.sl.company import init_company
    from slpay.sandbox.sl.engine import open_engine

    sl_path = workdir / f"sl-{rows}.db"
    sl_path.unlink(missing_ok=True)
    engine = open_engine(str(sl_path))
    init_company(engine, today=DAY)
    engine.dispose()
    totals = {"purchases": 0, "refunds": 0, "fees": 0}
    with (workdir / f"report-{rows}.csv").open("w") as out:
        out.write(f"Payment Batch Detail Report,1.0,{DAY} to {DAY},,,,,,,\n{COLUMNS}\n")
        for i in range(rows):
            refund, minor = i % 20 == 19, _amount(i)
            amt = f"{'-' if refund else ''}{minor // 100}.{minor % 100:02d}"
            kind = "ics_credit" if refund else "ics_bill"
            out.write(f"4018230051,slpay_demo,{DAY},{_txn(i)},ORD-{i},R{i},Visa,USD,{amt},{kind}\n")
            if refund:
                totals["refunds"] += minor
            else:
                totals["purchases"] += minor
                totals["fees"] += (minor * 20_000 * 2 + 10**6) // (2 * 10**6) + 10
    _insert_sl(sl_path, rows)
    totals["net"] = totals["purchases"] - totals["refunds"] - totals["fees"]
    meta.write_text(json.dumps(totals))
    return totals


def _insert_sl(path: Path, rows: int) -> None:
    from slpay.connectors.dynamics_sl import schema as sl

    cols = [c for c in sl.ARDoc.c if c.name != "tstamp"]
    template = {c.name: _blank(c) for c in cols}
    names = [c.name for c in cols]
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    # Column names come from slpay's own schema, never from input.
    marks = ",".join("?" * len(names))
    doc_sql = f"INSERT INTO ARDoc ({','.join(names)}) VALUES ({marks})"  # noqa: S608
    xref_sql = "INSERT INTO slpay_xref VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    con.execute(
        "CREATE TABLE IF NOT EXISTS slpay_xref (biz_key VARCHAR(120) PRIMARY KEY, kind VARCHAR(20),"
        " cpny_id VARCHAR(10), module VARCHAR(2), bat_nbr VARCHAR(10), doc_type VARCHAR(2),"
        " ref_nbr VARCHAR(15), cust_id VARCHAR(15), ord_nbr VARCHAR(15), cyber_id VARCHAR(40),"
        " created_at DATETIME)"
    )
    when = f"{DAY} 12:00:00.000000"
    for start in range(0, rows, 50_000):
        docs, refs = [], []
        for i in range(start, min(rows, start + 50_000)):
            refund = i % 20 == 19
            doc_type, op = ("DM", "refund") if refund else ("PP", "capture")
            values = {
                **template, "CustId": "C00001", "DocType": doc_type, "RefNbr": f"{i:010d}",
                "BatNbr": f"B{i // 50_000:05d}", "CuryId": "USD", "DocDate": when,
                "CuryOrigDocAmt": _amount(i) / 100, "OrigDocAmt": _amount(i) / 100,
                "CustOrdNbr": f"ORD-{i}", "User2": _txn(i), "CpnyID": "DEMO",
            }  # fmt: skip
            docs.append([values[n] for n in names])
            refs.append((f"{_txn(i)}:{op}", "payment", "DEMO", "AR", values["BatNbr"], doc_type,
                         values["RefNbr"], "C00001", "", _txn(i), when))  # fmt: skip
        con.executemany(doc_sql, docs)
        con.executemany(xref_sql, refs)
        con.commit()
    con.close()


def _blank(column: Any) -> Any:
    kind = type(column.type).__name__.lower()
    if "char" in kind or "string" in kind or "text" in kind:
        return ""
    if "float" in kind:
        return 0.0
    if "date" in kind:
        return "1900-01-01 00:00:00.000000"
    return 0


class FileSource:
    """The day's reporting calls answered from the generated files (streamed)."""

    def __init__(self, report: Path, totals: dict[str, int]) -> None:
        self.report, self.totals = report, totals

    def iter_report_lines(self, report_date: date, report_name: str) -> Iterator[str]:
        with self.report.open() as fh:
            yield from fh

    def net_fundings(self, start: datetime, end: datetime) -> Any:
        from slpay.connectors.cybersource.models.reporting import NetFundings

        def v(name: str) -> list[dict[str, str]]:
            return [{"currency": "USD", "value": str(Decimal(self.totals[name]) / 100)}]

        return NetFundings.model_validate(
            {"totalPurchases": v("purchases"), "totalRefunds": v("refunds"),
             "totalFees": v("fees"), "totalChargebacks": [{"currency": "USD", "value": "0"}],
             "netTotal": v("net")}
        )  # fmt: skip

    def chargeback_details(self, start: datetime, end: datetime) -> Any:
        return None


def _earlier_days(hub: Any, rows: int, days: int) -> None:
    """``days`` earlier settlement days of ``rows`` documents each in ``recon_settled`` (setup,
    not timed): what a site settling ``rows`` a day has in its hub before today's run."""
    from slpay.reconcile import state

    for n in range(1, days + 1):
        earlier = DAY - timedelta(days=n)
        with hub.begin() as conn:
            keys = (f"E{n}-{i:09d}:capture" for i in range(rows))
            state.record_settled(conn, earlier, "USD", keys)


def run_slpay(workdir: Path, rows: int, earlier_days: int = 0) -> dict[str, Any]:
    from slpay.config import HubSettings, ReconcileSettings, Settings, SLSettings
    from slpay.connectors.dynamics_sl.writer import SLWriter
    from slpay.logs import configure_logging
    from slpay.reconcile import Reconciler
    from slpay.store import make_engine, migrate

    configure_logging("WARNING", stream=None)
    totals = json.loads((workdir / f"day-{rows}.json").read_text())
    sl_url = f"sqlite:///{workdir / f'sl-{rows}.db'}"
    con = sqlite3.connect(workdir / f"sl-{rows}.db")
    con.execute("DELETE FROM GLTran")
    con.execute("DELETE FROM Batch WHERE Module = 'GL'")
    con.execute("DELETE FROM slpay_xref WHERE biz_key LIKE 'settle:%'")
    con.commit()
    con.close()
    hub_path = workdir / "hub.db"
    hub_path.unlink(missing_ok=True)
    hub = make_engine(hub_path)
    migrate(hub)
    _earlier_days(hub, rows, earlier_days)
    settings = Settings(
        sl=SLSettings(db_url=sl_url),
        hub=HubSettings(db_url=f"sqlite:///{hub_path}"),
        reconcile=ReconcileSettings(report_dir=workdir / "out"),
    )
    writer = SLWriter(sl_url, settings.sl)
    writer.install()
    source = FileSource(workdir / f"report-{rows}.csv", totals)
    start = time.perf_counter()
    result = Reconciler(settings, source, writer, hub).reconcile_day(DAY)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_mb": _rss_mb(), "summary": result.summary()}


def run_polars(workdir: Path, rows: int) -> dict[str, Any]:
    import polars as pl

    start = time.perf_counter()
    report = pl.read_csv(workdir / f"report-{rows}.csv", skip_rows=1, infer_schema_length=0)
    con = sqlite3.connect(workdir / f"sl-{rows}.db")
    side = pl.read_database(SL_QUERY, con)
    joined = report.join(side, left_on="request_id", right_on="cyber_id", how="inner")
    sums = joined.group_by("currency").agg(pl.col("amount").cast(pl.Decimal(18, 2)).sum())
    seconds = time.perf_counter() - start
    con.close()
    return {"seconds": seconds, "rss_mb": _rss_mb(), "matched": joined.height, "sums": str(sums)}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "slpay-bench-reconcile"
    )
    parser.add_argument(
        "--earlier-days", type=int, default=0,
        help="settle this many earlier days of --rows documents in the hub first (memory check)",
    )  # fmt: skip
    parser.add_argument("--child", choices=["slpay", "polars"])
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.child:
        if args.child == "slpay":
            print(json.dumps(run_slpay(args.workdir, args.rows, args.earlier_days)))
        else:
            print(json.dumps(run_polars(args.workdir, args.rows)))
        return
    t0 = time.perf_counter()
    generate(args.workdir, args.rows)
    print(f"setup: {time.perf_counter() - t0:.1f} s (cached in {args.workdir})", file=sys.stderr)
    ours, base = (_child(args, name) for name in ("slpay", "polars"))
    print(f"slpay: {json.dumps(ours)}")
    secs, rss = base["seconds"], base["rss_mb"]
    print(f"polars: seconds={secs:.2f} peak_rss_mb={rss:.0f} matched={base['matched']}")
    ratio = ours["seconds"] / secs
    print(
        f"rows={args.rows} seconds={ours['seconds']:.2f} peak_rss_mb={ours['rss_mb']:.0f} "
        f"vs_polars_join={ratio:.2f}"
    )


def _child(args: argparse.Namespace, name: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--rows",
        str(args.rows),
        "--workdir",
        str(args.workdir),
        "--earlier-days",
        str(args.earlier_days),
        "--child",
        name,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
