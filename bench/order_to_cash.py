"""Order-to-cash benchmark: webhook ingest, then the inbox drained into the SL sandbox.

Run: ``.venv/bin/python bench/order_to_cash.py`` (``--help`` for options). In one run:

1. **Ingest** (``bench/ingest.py``'s :func:`measure_hub`): signed webhooks offered by ``wrk``
   to the hub's app, processing paused, each acknowledged after a durable commit (SQLite WAL,
   synchronous=FULL): full load, then a fixed offered rate paced with wrk's Lua ``delay()``.
2. **End to end**: ``--orders`` captured sales (two lines, a bill-to) are created in a
   Cybersource sandbox; their signed ``payments.captures.accept`` notifications are offered
   by wrk to ``slpay serve`` (its own process, processing paused), then processing resumes.
   ``orders_per_s`` = orders / time from the resume until every event is marked done by
   the finish step (then SL is checked to hold one SO and one PP per order). Then
   ``--live`` more sales are offered at ``--live-rate`` with processing running;
   ``p99_to_sl_ms`` is, per event, the webhook's acknowledgement (inbox ``received_at``) →
   its PP recorded after the SL commit (xref ``created_at``).
3. **Baseline**: the first ``--baseline`` of the same notifications processed by one DBOS
   workflow per event (``bench/_o2c_baseline.py``: claim, enrich + transform + write SO and
   PP, finish) into a fresh hub store and SL company; ``vs_one_workflow_per_event`` =
   micro-batch orders/s ÷ baseline orders/s.

Last line: ``ingest_per_s=<n> p99_ack_ms=<n> orders_per_s=<n> p99_to_sl_ms=<n>
vs_one_workflow_per_event=<ratio>``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _o2c_setup as setup
from ingest import WrkResult, ensure_wrk, free_port, measure_hub, run_wrk, stop_server

HERE = Path(__file__).resolve().parent


def _ingest(wrk: str, port: int, tsv: Path, count: int, hub_url: str, ids: set[str]) -> None:
    """Offer ``tsv`` once at full load (wrk wraps around: repeats are duplicates)."""
    run_wrk(wrk, port, tsv, seconds=max(2.0, count / 3000 + 1), connections=32)
    stored = sum(setup.inbox_counts(hub_url, ids).values())
    if stored != count:
        raise SystemExit(f"only {stored} of {count} notifications were stored")


def _drain(hub_url: str, sl_url: str, ids: set[str], timeout: float) -> float:
    """Resume processing; seconds until the finish step has marked every event done (its
    xref and audit committed) and SL holds one SO and one PP per event."""
    expected = len(ids)
    poll = setup.StatusPoll(hub_url)  # the inbox holds exactly these events now
    start = time.perf_counter()
    setup.set_paused(hub_url, False)
    try:
        ok = setup.wait_for(lambda: poll.count("done") >= expected, timeout)
    finally:
        poll.close()
    seconds = time.perf_counter() - start
    if not ok:
        raise SystemExit(f"inbox {setup.inbox_counts(hub_url, ids)} after {timeout}s")
    if setup.sl_documents(sl_url) != (expected, expected):
        raise SystemExit(f"SL holds {setup.sl_documents(sl_url)} for {expected} orders")
    return seconds


def _settle(hub_url: str, timeout: float) -> bool:
    """Wait until no event is new or claimed (the drained ones are all done by now)."""
    poll = setup.StatusPoll(hub_url)
    try:
        return setup.wait_for(lambda: poll.count("new", "claimed") == 0, timeout, 0.1)
    finally:
        poll.close()


def end_to_end(wrk: str, work: Path, args: argparse.Namespace) -> dict[str, float]:
    """Phases 2 and 3 (see the module docstring)."""
    from slpay.sandbox.cybersource import SandboxConfig, run_in_thread

    cs_url, sl_url, hub_url = (f"sqlite:///{work / n}.db" for n in ("cybersource", "sl", "o2c"))
    n, m = args.orders, args.live
    t = time.perf_counter()
    sales = setup.create_sales(cs_url, n + m, prefix="BO")
    print(f"  {n + m} sales created in the Cybersource sandbox in {time.perf_counter() - t:.1f}s")
    drain, live = sales[:n], sales[n:]
    setup.init_sl(sl_url)
    port = free_port()
    with run_in_thread(SandboxConfig(db_url=cs_url)) as sandbox:
        env = setup.hub_env(
            hub_url=hub_url, sl_url=sl_url, cs_base=sandbox.base_url, port=port,
            batch_size=args.batch_size, concurrency=args.concurrency,
        )  # fmt: skip
        proc = setup.start_slpay_serve(env, port, work)
        try:
            ids = {txn for txn, _ in drain}
            tsv = setup.write_notifications(work / "drain.tsv", drain)
            _ingest(wrk, port, tsv, n, hub_url, ids)
            cpu = _cpu_seconds(proc.pid)
            seconds = _drain(hub_url, sl_url, ids, args.timeout)
            cpu = _cpu_seconds(proc.pid) - cpu
            statuses = setup.inbox_counts(hub_url, ids)
            print(
                f"  drained {n} orders in {seconds:.2f}s; inbox: {statuses}; slpay serve used "
                f"{cpu:.1f}s of CPU ({cpu / seconds:.0%} of a core, {cpu / n * 1e6:,.0f} µs/order)"
            )
            live_tsv = setup.write_notifications(work / "live.tsv", live)
            paced = run_wrk(
                wrk, port, live_tsv, seconds=m / args.live_rate, connections=16,
                rate=args.live_rate,
            )  # fmt: skip
            live_ids = {txn for txn, _ in live}
            offered = sum(setup.inbox_counts(hub_url, live_ids).values())
            _settle(hub_url, args.timeout)
            lat = setup.ack_to_sl_ms(hub_url, live_ids)
        finally:
            stop_server(proc)
        base = _baseline(work, tsv, args.baseline, sandbox.base_url)
    return _figures(n, seconds, paced, offered, lat, base)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _baseline(work: Path, tsv: Path, count: int, cs_base: str) -> dict[str, float]:
    sample = work / "baseline.tsv"
    sample.write_text("".join(tsv.read_text().splitlines(keepends=True)[:count]))
    sl_url = f"sqlite:///{work / 'baseline-sl'}.db"
    setup.init_sl(sl_url)
    cmd = [sys.executable, str(HERE / "_o2c_baseline.py"), str(sample)]
    cmd += [f"sqlite:///{work / 'baseline-hub'}.db", sl_url, cs_base]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=work)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"baseline failed: {proc.stdout}\n{proc.stderr}")
    result: dict[str, float] = json.loads(lines[-1])
    result["sl_orders"], result["sl_pp"] = setup.sl_documents(sl_url)
    return result


def _figures(
    n: int,
    seconds: float,
    paced: WrkResult,
    offered: int,
    lat: list[float],
    base: dict[str, float],
) -> dict[str, float]:
    orders_per_s = n / seconds
    print(
        f"  live: offered {paced.per_s:,.0f}/s ({offered} events), ack → SL p50 "
        f"{setup.percentile(lat, 50):.0f} ms, p99 {setup.percentile(lat, 99):.0f} ms "
        f"over {len(lat)} events"
    )
    print(
        f"  baseline (one DBOS workflow per event): {base['events']:.0f} events in "
        f"{base['seconds']:.2f}s = {base['per_s']:.1f}/s, {base['done']:.0f} done, "
        f"SL {base['sl_orders']:.0f} SO / {base['sl_pp']:.0f} PP"
    )
    return {
        "orders_per_s": orders_per_s,
        "p99_to_sl_ms": setup.percentile(lat, 99),
        "live_offered_per_s": paced.per_s,
        "baseline_per_s": base["per_s"],
        "ratio": orders_per_s / base["per_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="each ingest run")
    parser.add_argument("--rate", type=float, default=1000, help="ingest fixed offered rate")
    parser.add_argument("--connections", type=int, default=64, help="ingest full-load conns")
    parser.add_argument("--orders", type=int, default=5000, help="orders drained end to end")
    parser.add_argument("--live", type=int, default=2000, help="orders offered live")
    parser.add_argument("--live-rate", type=float, default=250, help="live offered rate (/s)")
    parser.add_argument("--baseline", type=int, default=300, help="baseline sample size")
    parser.add_argument("--batch-size", type=int, default=500, help="workflows.batch_size")
    parser.add_argument("--concurrency", type=int, default=2, help="workflows.sl_concurrency")
    parser.add_argument("--timeout", type=float, default=600, help="drain timeout (s)")
    parser.add_argument("--skip-ingest", action="store_true", help="end-to-end phase only")
    parser.add_argument("--keep", type=Path, help="keep the work files in this directory")
    args = parser.parse_args()
    wrk = ensure_wrk()
    if wrk is None:
        raise SystemExit(2)
    with tempfile.TemporaryDirectory(prefix="slpay-o2c-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ingest_per_s = p99_ack = float("nan")
        if not args.skip_ingest:
            print("ingest (processing paused):")
            hub = measure_hub(
                f"sqlite:///{work / 'ingest'}.db", work, seconds=args.seconds,
                connections=args.connections, rate=args.rate,
            )  # fmt: skip
            full, paced = hub["full"], hub["paced"]
            ingest_per_s, p99_ack = full.per_s, paced.p99_ms
            print(
                f"  full load: {full.per_s:,.0f}/s, p99 {full.p99_ms:.1f} ms; offered "
                f"{args.rate:,.0f}/s: achieved {paced.per_s:,.0f}/s, p99 {paced.p99_ms:.2f} ms"
            )
        print("end to end (inbox → SL sandbox):")
        e2e = end_to_end(wrk, work, args)
    _report(ingest_per_s, p99_ack, e2e, args)


def _report(ingest: float, p99_ack: float, e2e: dict[str, float], a: argparse.Namespace) -> None:
    orders = e2e["orders_per_s"]
    print(
        f"orders: {orders:,.0f}/s micro-batched (batch {a.batch_size}, concurrency "
        f"{a.concurrency}) vs {e2e['baseline_per_s']:.1f}/s one workflow per event"
    )
    verdict = [
        f"ingest >= 5000/s: {'met' if ingest >= 5000 else 'MISSED'}",
        f"p99 ack <= 20 ms at {a.rate:,.0f}/s: {'met' if p99_ack <= 20 else 'MISSED'}",
        f"orders >= 1000/s: {'met' if orders >= 1000 else 'MISSED'}",
    ]
    print("targets: " + "; ".join(verdict))
    print(
        f"ingest_per_s={ingest:.0f} p99_ack_ms={p99_ack:.2f} orders_per_s={orders:.0f} "
        f"p99_to_sl_ms={e2e['p99_to_sl_ms']:.0f} vs_one_workflow_per_event={e2e['ratio']:.1f}"
    )


if __name__ == "__main__":
    main()
