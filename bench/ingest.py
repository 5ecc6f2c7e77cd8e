"""Webhook ingest benchmark: signed Cybersource webhooks offered by wrk to ``slpay``'s app.

Run: ``.venv/bin/python bench/ingest.py`` (``--help`` for options). It

1. makes sure ``wrk`` (Debian's package, a C load generator) is installed, or says why not;
2. pre-generates distinct signed notifications (fresh ``t``, inside the replay window) that a
   Lua script hands to wrk, one per request;
3. starts the hub's app (``slpay.api.create_app`` under uvicorn + uvloop + httptools, exactly
   what ``slpay serve`` runs) in a separate process, processing paused, on a fresh store —
   SQLite WAL with synchronous=FULL by default, or ``--db`` a PostgreSQL URL;
4. measures full load (``ingest_per_s``) and a fixed offered rate (default 1,000/s, paced with
   wrk's Lua ``delay()``; the rate achieved is printed, and ``p99_ack_ms`` comes from wrk's
   latency distribution);
5. measures the baseline in the same run: the same verification and storage behind a plain
   FastAPI route with one commit per request;
6. checks that every acknowledged event is in the inbox, and prints a last line
   ``ingest_per_s=<n> p99_ack_ms=<n>``.

Every acknowledgement waits for a durable commit. The load generator shares the machine's
cores with the server, as it would on the developers' machines. ``bench/order_to_cash.py``
reuses :func:`measure_hub` (it leaves the events in the store for the processing phase).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
PATH = "/webhooks/cybersource"
ORG = "slpay_demo"

# Reads "signature<TAB>body" lines (this thread's share), sends one per request, paces
# requests when a rate is given, and prints wrk's figures as one JSON line at the end.
LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } slpay_timespec;
int clock_gettime(int clk_id, slpay_timespec *tp);
]]
local ts = ffi.new("slpay_timespec[1]")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts[0].tv_sec) * 1000 + tonumber(ts[0].tv_nsec) / 1e6
end

local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local sigs, bodies, n, i, interval, next_at, wrapped
function init(args)
  local file, nthreads, rate = args[1], tonumber(args[2]), tonumber(args[3])
  sigs, bodies, n, i, wrapped = {}, {}, 0, 0, 0
  local k = 0
  for line in io.lines(file) do
    if k % nthreads == tid - 1 then
      local sig, body = line:match("^([^\t]*)\t(.*)$")
      n = n + 1
      sigs[n] = sig
      bodies[n] = body
    end
    k = k + 1
  end
  if rate > 0 then interval = 1000.0 * nthreads / rate end
  wrk.method = "POST"
  wrk.path = "/webhooks/cybersource"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  i = i + 1
  if i > n then i = 1; wrapped = wrapped + 1 end
  return wrk.format(nil, nil, {["v-c-signature"] = sigs[i]}, bodies[i])
end

function delay()
  if not interval then return 0 end
  local t = now_ms()
  if not next_at then next_at = t end
  local slot = next_at
  next_at = next_at + interval
  if slot <= t then return 0 end
  return math.floor(slot - t + 0.5)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,' ..
    '"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
"""


_RUNS = 0


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: requests completed, rate, ack latency percentiles (ms), errors."""

    requests: int
    seconds: float
    per_s: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    errors: int


def ensure_wrk() -> str | None:
    """Path of wrk, installing Debian's package if missing; None (with a message) if not."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]):
            subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        print(
            "wrk (Debian package 'wrk') is not installed and could not be installed; "
            "install it (apt-get install wrk) and run again",
            file=sys.stderr,
        )
    return found


def write_bodies(path: Path, count: int, *, org: str = ORG) -> Path:
    """``count`` distinct signed capture notifications, one ``signature<TAB>body`` per line."""
    global _RUNS
    _RUNS += 1
    run = f"7{int(time.time()) % 10**7:07d}{_RUNS:02d}"  # 10 digits, unique per call
    from slpay.config import SANDBOX_WEBHOOK_KEY, SANDBOX_WEBHOOK_KEY_ID
    from slpay.connectors.cybersource.webhook_signature import sign_webhook

    t_ms = int(time.time() * 1000)
    webhook_id = str(uuid.uuid4())  # one subscription, as in production
    with path.open("w", encoding="ascii") as out:
        for n in range(count):
            doc = {
                "eventType": "payments.captures.accept",
                "webhookId": webhook_id,
                "productId": "cardProcessing",
                "organizationId": org,
                "eventDate": "2026-11-25T12:00:00",
                "transactionTraceId": f"{uuid.uuid4().hex}-0",
                "retryNumber": 0,
                "requestType": "NEW",
                "payload": {
                    "data": {
                        "id": f"{run}{n:012d}",  # 22 digits, like Cybersource's ids
                        "type": "captures",
                        "status": "PENDING",
                        "clientReferenceInformation": {"code": f"SO{n:08d}"},
                    },
                    "organizationId": org,
                },
            }
            body = json.dumps(doc, separators=(",", ":")).encode()
            sig = sign_webhook(
                body, key_b64=SANDBOX_WEBHOOK_KEY, key_id=SANDBOX_WEBHOOK_KEY_ID, t_ms=t_ms
            )
            out.write(f"{sig}\t{body.decode()}\n")
    return path


def run_wrk(
    wrk: str,
    port: int,
    bodies: Path,
    *,
    seconds: float,
    connections: int,
    rate: float = 0,
    threads: int = 1,
) -> WrkResult:
    """Offer the pre-signed bodies to 127.0.0.1:``port``; ``rate`` 0 means as fast as it goes."""
    script = bodies.with_suffix(".lua")
    script.write_text(LUA, encoding="utf-8")
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{PATH}",
        "--",
        str(bodies),
        str(threads),
        str(rate),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    secs = raw["duration_us"] / 1e6
    errors = sum(
        raw[k]
        for k in (
            "status_errors",
            "connect_errors",
            "read_errors",
            "write_errors",
            "timeouts",
        )
    )
    return WrkResult(
        requests=raw["requests"],
        seconds=round(secs, 3),
        per_s=round(raw["requests"] / secs, 1),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=errors,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(kind: str, db_url: str, port: int) -> subprocess.Popen[bytes]:
    """Run this file's ``--serve`` mode in a separate process; wait until it answers."""
    cmd = [sys.executable, str(Path(__file__)), "--serve", kind, "--db", db_url]
    cmd += ["--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stored_events(db_url: str) -> int:
    from slpay.store import make_engine
    from slpay.store.schema import inbox

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(inbox)).scalar_one())
    finally:
        engine.dispose()


def _phase(
    wrk: str, kind: str, db_url: str, work: Path, *, seconds: float, connections: int, rate: float
) -> tuple[WrkResult, int]:
    """Warm up briefly, then one measured wrk run; returns it and the inbox rows it added."""
    port = free_port()
    expected = int((rate or 20_000) * (seconds + 2) * 1.2) + 2_000
    bodies = write_bodies(work / f"{kind}-{int(rate)}.tsv", expected)
    proc = start_server(kind, db_url, port)
    try:
        warm = write_bodies(work / f"{kind}-{int(rate)}-warm.tsv", 5_000)
        run_wrk(wrk, port, warm, seconds=1, connections=8)
        before = stored_events(db_url)
        result = run_wrk(wrk, port, bodies, seconds=seconds, connections=connections, rate=rate)
    finally:
        stop_server(proc)
    return result, stored_events(db_url) - before


def measure_hub(
    db_url: str,
    work: Path,
    *,
    seconds: float = 10,
    connections: int = 64,
    rate: float = 1000,
    rate_connections: int = 32,
) -> dict[str, WrkResult]:
    """Full load and fixed-rate runs against the hub's app; the events stay in ``db_url``."""
    wrk = ensure_wrk()
    if wrk is None:
        raise SystemExit(2)
    full, rows = _phase(wrk, "hub", db_url, work, seconds=seconds, connections=connections, rate=0)
    _check_stored("hub full load", full, rows)
    paced, rows = _phase(
        wrk, "hub", db_url, work, seconds=seconds, connections=rate_connections, rate=rate
    )
    _check_stored("hub fixed rate", paced, rows)
    return {"full": full, "paced": paced}


def _check_stored(name: str, result: WrkResult, stored: int) -> None:
    """Every acknowledged event must be in the inbox (a few more may be: wrk stops mid-flight)."""
    acked = result.requests - result.errors
    print(f"  {name}: {acked} acknowledged, {stored} stored, {result.errors} errors")
    if stored < acked:
        raise SystemExit(f"{name}: {acked - stored} acknowledged events are missing")


def _fresh_db(arg: str, work: Path, name: str) -> str:
    if arg == "sqlite":
        return f"sqlite:///{work / name}.db"
    return arg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="each measured run")
    parser.add_argument("--rate", type=float, default=1000, help="fixed offered rate (/s)")
    parser.add_argument("--connections", type=int, default=64, help="full-load connections")
    parser.add_argument("--db", default="sqlite", help="'sqlite' (fresh file) or a database URL")
    parser.add_argument("--no-baseline", action="store_true", help="skip the FastAPI baseline")
    parser.add_argument("--json", action="store_true", help="also print one JSON object")
    parser.add_argument("--serve", choices=["hub", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        from _ingest_servers import serve_for_bench

        serve_for_bench(args.serve, args.db, args.port)
        return
    if args.db != "sqlite" and not args.db.startswith("postgresql"):
        raise SystemExit("--db: 'sqlite' (a fresh file) or a postgresql URL")
    with tempfile.TemporaryDirectory(prefix="slpay-bench-") as tmp:
        work = Path(tmp)
        hub = measure_hub(
            _fresh_db(args.db, work, "hub"),
            work,
            seconds=args.seconds,
            connections=args.connections,
            rate=args.rate,
        )
        base = None
        if not args.no_baseline and args.db == "sqlite":
            wrk = ensure_wrk() or ""
            base, rows = _phase(
                wrk,
                "baseline",
                _fresh_db("sqlite", work, "baseline"),
                work,
                seconds=args.seconds,
                connections=args.connections,
                rate=0,
            )
            _check_stored("baseline full load", base, rows)
    _report(hub, base, args)


def _report(hub: dict[str, WrkResult], base: WrkResult | None, args: argparse.Namespace) -> None:
    full, paced = hub["full"], hub["paced"]
    store = "SQLite WAL synchronous=FULL" if args.db == "sqlite" else "PostgreSQL"
    print(f"store: {store}; load generator: wrk, 1 thread, same machine ({os.cpu_count()} cores)")
    print(
        f"hub, full load ({args.connections} connections): {full.per_s:,.0f}/s, "
        f"p50 {full.p50_ms:.1f} ms, p99 {full.p99_ms:.1f} ms, errors {full.errors}"
    )
    print(
        f"hub, offered {args.rate:,.0f}/s: achieved {paced.per_s:,.0f}/s, "
        f"p50 {paced.p50_ms:.2f} ms, p99 {paced.p99_ms:.2f} ms, "
        f"p99.9 {paced.p999_ms:.2f} ms, errors {paced.errors}"
    )
    if base is not None:
        print(
            f"baseline (plain FastAPI route, one commit per request), full load: "
            f"{base.per_s:,.0f}/s, p99 {base.p99_ms:.1f} ms, errors {base.errors}; "
            f"hub/baseline = {full.per_s / base.per_s:.2f}x"
        )
    verdict = [
        f"ingest target >= 5000/s: {'met' if full.per_s >= 5000 else 'MISSED'}",
        f"p99 target <= 20 ms at {args.rate:,.0f}/s: {'met' if paced.p99_ms <= 20 else 'MISSED'}",
    ]
    print("; ".join(verdict))
    if args.json:
        out = {"hub_full": asdict(full), "hub_paced": asdict(paced)}
        out["baseline_full"] = asdict(base) if base else None
        print(json.dumps(out))
    print(f"ingest_per_s={full.per_s:.0f} p99_ack_ms={paced.p99_ms:.2f}")


if __name__ == "__main__":
    main()
