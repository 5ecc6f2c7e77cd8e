"""Real ``slpay serve`` processes for the crash and multi-process tests, and what they check.

A test starts the Cybersource sandbox in its own process's thread (its webhooks point at a
served hub), writes a YAML settings file, starts one or more ``slpay serve`` subprocesses,
creates sales on the sandbox and then kills servers with SIGKILL — no clean shutdown, no
chance to commit anything more. The checks read the hub store and the SL company directly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import Engine, func, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.sandbox.cybersource import SandboxConfig, run_in_thread
from slpay.sandbox.cybersource.server import SandboxHandle
from slpay.sandbox.cybersource.testing import card_payment, signed_client
from slpay.store.inbox import count_by_status
from slpay.store.schema import xref

ADMIN_KEY = "e2e-admin-key-000000001"

#: Fast loops so that a test takes seconds: short polls, quick retries, a peer silent for
#: two seconds is dead. Processing starts paused; the test resumes it once every webhook is in.
FAST_WORKFLOWS: dict[str, Any] = {
    "poll_interval_s": 0.05,
    "signals_interval_s": 3600,
    "sweep_interval_s": 0,
    "retry_base_delay_s": 0.05,
    "retry_max_delay_s": 0.5,
    "max_attempts": 1000,
    "batch_size": 20,
    "sl_concurrency": 2,
    "heartbeat_interval_s": 0.3,
    "heartbeat_stale_s": 2.0,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_settings(path: Path, *, cs_url: str, sl_url: str, hub_url: str, **workflows: Any) -> Path:
    """The YAML file every ``slpay serve`` of a test reads (``--config``)."""
    doc = {
        "cybersource": {"base_url": cs_url},
        "sl": {"db_url": sl_url},
        "hub": {"db_url": hub_url, "processing_paused": True},
        "api": {"api_keys": {"ops": ADMIN_KEY}},
        "workflows": FAST_WORKFLOWS | workflows,
        "log": {"level": "WARNING"},
    }
    path.write_text(yaml.safe_dump(doc))
    return path


class ServeProcess:
    """One ``slpay serve`` subprocess with a fixed executor id and port."""

    def __init__(self, config: Path, executor_id: str, port: int, log_dir: Path) -> None:
        self.config, self.executor_id, self.port = config, executor_id, port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"serve-{executor_id}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0, *, wait: bool = True) -> ServeProcess:
        """Start the process and (unless ``wait`` is False) wait until its HTTP API answers."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLPAY_")}
        cmd = [sys.executable, "-c", "from slpay.cli import main; main()", "serve"]
        cmd += ["--config", str(self.config), "--executor-id", self.executor_id]
        cmd += ["--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the HTTP API answers (fails if the process exits first)."""
        wait_for(self._ready, timeout, f"slpay serve {self.executor_id} did not start")

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"slpay serve exited: {self.log_tail()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill9(self) -> None:
        """SIGKILL: the process dies where it stands."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL if it hangs); a no-op when not running."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.kill9()

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def wait_for(check: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.02)


@contextmanager
def cybersource_sandbox(db_path: Path, webhook_url: str) -> Iterator[SandboxHandle]:
    """The sandbox in a thread; failed deliveries retried for a long while (hubs restart)."""
    config = SandboxConfig(
        db_url=f"sqlite:///{db_path}",
        webhook_url=webhook_url,
        webhook_retry_unit_s=0.2,
        default_webhook_retries=200,
    )
    with run_in_thread(config) as sandbox:
        yield sandbox


def create_sales(sandbox: SandboxHandle, orders: dict[str, str]) -> dict[str, str]:
    """A sale (authorize + capture) per order number → amount; order number → payment id."""
    ids: dict[str, str] = {}
    with signed_client(sandbox.base_url, sandbox.config) as cs:
        for order, amount in orders.items():
            body: dict[str, Any] = card_payment(order, amount, capture=True, address1="1 Main St")
            body["orderInformation"]["billTo"]["email"] = f"{order.lower()}@example.com"
            body["orderInformation"]["lineItems"] = [
                {"productSku": "SKU-1", "productName": "Widget", "quantity": 1, "unitPrice": amount}
            ]
            response = cs.post("/pts/v2/payments", json=body)
            assert response.status_code == 201, response.text
            ids[order] = str(response.json()["id"])
    return ids


def undelivered_webhooks(sandbox: SandboxHandle) -> int:
    """Deliveries the sandbox has not had acknowledged yet (pending or retrying)."""
    with httpx.Client(base_url=sandbox.base_url) as c:
        found = c.get("/sandbox/webhooks/deliveries").json()["deliveries"]
    failed = [d for d in found if d["status"] == "failed"]
    assert not failed, f"deliveries given up by the sandbox: {failed[:3]}"
    return sum(1 for d in found if d["status"] != "delivered")


def set_processing(url: str, *, paused: bool) -> None:
    """Pause or resume processing for every hub process (the flag is in the shared store)."""
    action = "pause" if paused else "resume"
    r = httpx.post(f"{url}/admin/processing/{action}", headers={"X-API-Key": ADMIN_KEY})
    assert r.status_code == 200, r.text


def inbox_counts(hub: Engine) -> dict[str, int]:
    with hub.connect() as conn:
        return count_by_status(conn)


def posted_payments(sl_engine: Engine) -> int:
    """PP documents in SL (one per captured sale)."""
    d = sl.ARDoc.c
    with sl_engine.connect() as conn:
        stmt = select(func.count()).select_from(sl.ARDoc).where(d.DocType == "PP")
        return int(conn.execute(stmt).scalar_one())


def assert_each_posted_once(hub: Engine, sl_engine: Engine, payments: dict[str, str]) -> None:
    """Every sale has exactly one SO and one PP in SL and one xref per SL document."""
    h, d = sl.SOHeader.c, sl.ARDoc.c
    with sl_engine.connect() as conn:
        orders = conn.execute(select(h.CustOrdNbr, func.count()).group_by(h.CustOrdNbr)).all()
        pps = conn.execute(
            select(d.User2, func.count()).where(d.DocType == "PP").group_by(d.User2)
        ).all()
    assert {str(o).strip(): n for o, n in orders} == dict.fromkeys(payments, 1)
    assert {str(u).strip(): n for u, n in pps} == dict.fromkeys(payments.values(), 1)
    with hub.connect() as conn:
        refs = conn.execute(
            select(xref.c.transaction_id, xref.c.operation, xref.c.sl_ref_nbr)
        ).all()
    captures = {t: r for t, op, r in refs if op == "capture"}
    assert set(captures) == set(payments.values())
    assert all(captures.values()), "a capture's xref lacks its SL reference"
