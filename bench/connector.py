"""Connector benchmark: authorize+capture round trips through our connector vs the official SDK.

Run: ``.venv/bin/python bench/connector.py`` (``--help`` for options). It

1. starts the embedded Cybersource sandbox (``slpay sandbox cybersource``) in its own
   process on a free loopback port, so the server's CPU is never counted;
2. creates one TMS customer token (test card → instrument identifier → customer → default
   payment instrument) through our connector;
3. measures, alternately for ``--rounds`` rounds, ``--calls`` authorize+capture requests
   (``processingInformation.capture = true``: one round trip each) after ``--warmup`` untimed
   ones, with ``--concurrency`` threads:

   - **ours**: ``CybersourceClient.authorize(build_authorize_request(...))`` in this process;
   - **sdk**: the official ``cybersource-rest-client-python`` 0.0.80 in its own virtualenv
     (``bench/_sdk_worker.py`` as a subprocess, ``IntermediateHost`` → the sandbox), building
     each request the way the SDK's official samples do;

   both send the same payment (same token, amount, billTo, a fresh order number and
   transactionId per call) to the same sandbox;
4. reports per client the round trips per second (wall clock) and the client CPU time per
   call (``time.process_time()`` of the client process, all threads, divided by calls), the
   median over rounds; then the ratios, and as the last line
   ``ours_per_s=<n> sdk_per_s=<n> ours_cpu_us=<n> sdk_cpu_us=<n>``.

Every timed call must come back ``AUTHORIZED``; anything else aborts the run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from slpay.config import SANDBOX_KEY_ID, SANDBOX_MERCHANT_ID, SANDBOX_SHARED_SECRET
from slpay.connectors.cybersource import CybersourceClient, build_authorize_request
from slpay.connectors.cybersource.models.common import Address
from slpay.connectors.cybersource.setup_requests import (
    build_customer_request,
    build_payment_instrument_request,
)
from slpay.domain.money import Money

REPO = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("_sdk_worker.py")
API_HOST = "apitest.cybersource.com"
TEST_CARD = "4111111111111111"  # FACTS §11; tokenized once in the sandbox's TMS
AMOUNT = Money.of("10.00", "USD")
# The same billTo the SDK worker sends (bench/_sdk_worker.py).
BILL_TO = Address(
    first_name="Ada",
    last_name="Lovelace",
    address1="1 London Bridge",
    locality="London",
    postal_code="SE1 9BG",
    country="GB",
    email="ada@example.com",
)


@dataclass
class Measured:
    calls: int
    wall_s: float
    cpu_s: float

    @property
    def per_s(self) -> float:
        return self.calls / self.wall_s

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / self.calls * 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sandbox(port: int) -> subprocess.Popen[bytes]:
    """``slpay sandbox cybersource`` in its own process, in-memory database, default keys."""
    command = [sys.executable, "-c", "from slpay.cli import main; main()"]
    command += ["sandbox", "cybersource", "--port", str(port), "--db", ":memory:"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/sandbox/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the Cybersource sandbox did not start")


def create_customer_token(cs: CybersourceClient) -> str:
    identifier = cs.create_instrument_identifier(TEST_CARD)
    customer = cs.create_customer(build_customer_request(merchant_customer_id="BENCH"))
    instrument = build_payment_instrument_request(
        instrument_identifier_id=identifier.id or "",
        expiration_month="12",
        expiration_year="2031",
        bill_to=BILL_TO,
        default=True,
    )
    cs.create_customer_payment_instrument(customer.id or "", instrument)
    return customer.id or ""


def measure_ours(
    base_url: str, customer_id: str, calls: int, warmup: int, concurrency: int
) -> Measured:
    run = uuid.uuid4().hex[:8]
    statuses: list[str | None] = []
    with CybersourceClient(base_url=base_url) as cs:

        def one(i: int) -> None:
            request = build_authorize_request(
                AMOUNT,
                code=f"BENCH-{run}-{i}",
                transaction_id=f"{run}{i:08d}",
                customer_id=customer_id,
                capture=True,
                bill_to=BILL_TO,
            )
            statuses.append(cs.authorize(request).status)

        for i in range(warmup):
            one(-1 - i)
        statuses.clear()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        if concurrency <= 1:
            for i in range(calls):
                one(i)
        else:
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(one, range(calls)))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    _check_statuses("ours", {s: statuses.count(s) for s in set(statuses)}, calls)
    return Measured(calls, wall, cpu)


def measure_sdk(
    sdk_python: Path,
    base_url: str,
    customer_id: str,
    calls: int,
    warmup: int,
    concurrency: int,
) -> Measured:
    job = {
        "config": {
            "base_url": base_url,
            "host": API_HOST,
            "merchant_id": SANDBOX_MERCHANT_ID,
            "key_id": SANDBOX_KEY_ID,
            "secret": SANDBOX_SHARED_SECRET,
        },
        "customer_id": customer_id,
        "calls": calls,
        "warmup": warmup,
        "concurrency": concurrency,
        "run": "s" + uuid.uuid4().hex[:7],
    }
    done = subprocess.run(
        [str(sdk_python), "-W", "ignore", str(WORKER)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    if done.returncode != 0:
        raise SystemExit(f"SDK worker failed:\n{done.stderr}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    _check_statuses("sdk", out["statuses"], calls)
    return Measured(out["calls"], out["wall_s"], out["cpu_s"])


def _check_statuses(who: str, statuses: dict[str | None, int], calls: int) -> None:
    if statuses != {"AUTHORIZED": calls}:
        raise SystemExit(f"{who}: expected {calls} AUTHORIZED, got {statuses}")


def _median(runs: list[Measured]) -> tuple[float, float]:
    return statistics.median(r.per_s for r in runs), statistics.median(r.cpu_us for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="timed calls per round")
    parser.add_argument("--warmup", type=int, default=100, help="untimed calls first")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    parser.add_argument("--concurrency", type=int, default=1, help="client threads")
    default_sdk = os.environ.get("SLPAY_SDK_PYTHON") or str(REPO / ".venv-sdk/bin/python")
    parser.add_argument("--sdk-python", type=Path, default=Path(default_sdk))
    args = parser.parse_args()
    if not args.sdk_python.exists():
        raise SystemExit(f"{args.sdk_python} is absent: run scripts/test once (builds .venv-sdk)")

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    sandbox = start_sandbox(port)
    try:
        with CybersourceClient(base_url=base_url) as cs:
            customer_id = create_customer_token(cs)
        ours: list[Measured] = []
        sdk: list[Measured] = []
        for n in range(1, args.rounds + 1):
            common = (base_url, customer_id, args.calls, args.warmup, args.concurrency)
            ours.append(measure_ours(*common))
            sdk.append(measure_sdk(args.sdk_python, *common))
            for name, m in (("ours", ours[-1]), ("sdk", sdk[-1])):
                print(
                    f"round {n} {name}: {m.calls} calls in {m.wall_s:.2f} s = {m.per_s:.0f}/s, "
                    f"client CPU {m.cpu_us:.0f} µs/call"
                )
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    ours_per_s, ours_cpu = _median(ours)
    sdk_per_s, sdk_cpu = _median(sdk)
    print(
        f"sandbox: separate process on loopback; concurrency {args.concurrency}; "
        f"{args.rounds} rounds of {args.calls} calls after {args.warmup} warm-up; median shown"
    )
    print(f"ratio round trips/s ours/sdk = {ours_per_s / sdk_per_s:.2f} (higher is better)")
    print(f"ratio client CPU/call ours/sdk = {ours_cpu / sdk_cpu:.2f} (lower is better)")
    print(
        f"ours_per_s={ours_per_s:.0f} sdk_per_s={sdk_per_s:.0f} "
        f"ours_cpu_us={ours_cpu:.0f} sdk_cpu_us={sdk_cpu:.0f}"
    )


if __name__ == "__main__":
    main()
