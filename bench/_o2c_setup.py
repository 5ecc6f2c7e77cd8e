"""What ``bench/order_to_cash.py`` sets up and counts: sales in a Cybersource sandbox, their
signed notifications, an SL sandbox company, ``slpay serve`` in its own process, and the
figures read back from the stores (SL documents, acknowledgement → SL latencies).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from slpay.config import SANDBOX_WEBHOOK_KEY, SANDBOX_WEBHOOK_KEY_ID
from slpay.connectors.cybersource.webhook_signature import sign_webhook

ROOT = Path(__file__).resolve().parent.parent
ORG = "slpay_demo"  # the sandbox's merchant id, which ``slpay serve`` accepts by default
ADMIN_KEY = "bench-admin-key-0001"


def create_sales(cs_db_url: str, count: int, *, prefix: str) -> list[tuple[str, str]]:
    """``count`` captured sales (several lines, a bill-to) in the sandbox; (id, order number)."""
    from slpay.sandbox.cybersource import SandboxConfig, create_app
    from slpay.sandbox.cybersource.testing import card_payment, signed_async_client

    config = SandboxConfig(db_url=cs_db_url)
    app = create_app(config)

    async def run() -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        async with signed_async_client(app, config) as client:
            for n in range(count):
                order = f"{prefix}{n:06d}"
                body = card_payment(order, "30.00", capture=True, address1=f"{n} Main St")
                body["orderInformation"]["billTo"]["email"] = f"buyer{n % 500}@example.com"
                body["orderInformation"]["lineItems"] = [
                    {"productSku": "SKU-1", "productName": "Widget", "quantity": 2,
                     "unitPrice": "10.00"},
                    {"productSku": "SKU-2", "productName": "Gadget", "quantity": 1,
                     "unitPrice": "10.00"},
                ]  # fmt: skip
                response = await client.post("/pts/v2/payments", json=body)
                if response.status_code != 201:
                    raise RuntimeError(f"sandbox refused a sale: {response.text}")
                out.append((str(response.json()["id"]), order))
        return out

    try:
        return asyncio.run(run())
    finally:
        app.close()


def write_notifications(path: Path, sales: Sequence[tuple[str, str]]) -> Path:
    """One signed ``payments.captures.accept`` per sale, as the sandbox would send it."""
    t_ms = int(time.time() * 1000)
    webhook_id = str(uuid.uuid4())
    with path.open("w", encoding="ascii") as out:
        for txn, order in sales:
            doc = {
                "eventType": "payments.captures.accept",
                "webhookId": webhook_id,
                "productId": "cardProcessing",
                "organizationId": ORG,
                "eventDate": "2026-11-25T12:00:00",
                "transactionTraceId": f"{uuid.uuid4().hex}-0",
                "retryNumber": 0,
                "requestType": "NEW",
                "payload": {
                    "data": {
                        "_links": {"self": {"href": f"/pts/v2/payments/{txn}", "method": "GET"}},
                        "id": txn,
                        "type": "payments",
                        "status": "PENDING",
                        "clientReferenceInformation": {"code": order},
                    },
                    "organizationId": ORG,
                },
            }
            body = json.dumps(doc, separators=(",", ":"))
            sig = sign_webhook(
                body.encode(), key_b64=SANDBOX_WEBHOOK_KEY, key_id=SANDBOX_WEBHOOK_KEY_ID, t_ms=t_ms
            )
            out.write(f"{sig}\t{body}\n")
    return path


def init_sl(sl_url: str) -> None:
    """A fresh SL sandbox company."""
    from slpay.sandbox.sl.company import init_company
    from slpay.sandbox.sl.engine import open_engine

    engine = open_engine(sl_url)
    try:
        init_company(engine)
    finally:
        engine.dispose()


def hub_env(
    *, hub_url: str, sl_url: str, cs_base: str, port: int, batch_size: int, concurrency: int
) -> dict[str, str]:
    """``slpay serve``'s settings, as environment variables (processing paused at start)."""
    env = dict(os.environ)
    env.update(
        {
            "SLPAY_HUB__DB_URL": hub_url,
            "SLPAY_HUB__PROCESSING_PAUSED": "true",
            "SLPAY_SL__DB_URL": sl_url,
            "SLPAY_CYBERSOURCE__BASE_URL": cs_base,
            "SLPAY_API__PORT": str(port),
            "SLPAY_API__API_KEYS": json.dumps({"bench": ADMIN_KEY}),
            "SLPAY_LOG__LEVEL": "WARNING",
            "SLPAY_WORKFLOWS__BATCH_SIZE": str(batch_size),
            "SLPAY_WORKFLOWS__SL_CONCURRENCY": str(concurrency),
            # The sandbox answers TSS reads in about a millisecond on this machine: two
            # readers keep up, and every extra thread only adds GIL hand-offs.
            "SLPAY_WORKFLOWS__TSS_WORKERS": os.environ.get("SLPAY_WORKFLOWS__TSS_WORKERS", "2"),
            "SLPAY_WORKFLOWS__POLL_INTERVAL_S": "0.05",
            "SLPAY_WORKFLOWS__SWEEP_INTERVAL_S": "0",
            "SLPAY_WORKFLOWS__SIGNALS_INTERVAL_S": "3600",
            "SLPAY_WORKFLOWS__EXECUTOR_ID": f"bench-{os.getpid()}",
        }
    )
    return env


def start_slpay_serve(env: dict[str, str], port: int, cwd: Path) -> subprocess.Popen[bytes]:
    """``slpay serve`` in its own process; returns once it answers on ``port``."""
    import socket

    cmd = [str(Path(sys.executable).parent / "slpay"), "serve"]
    proc = subprocess.Popen(cmd, cwd=cwd, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"slpay serve exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("slpay serve did not start")


def set_paused(hub_url: str, paused: bool) -> None:
    """The store's shared pause flag (what ``POST /admin/processing/resume`` sets)."""
    from slpay.store import control, make_engine

    engine = make_engine(hub_url)
    try:
        with engine.begin() as conn:
            control.set_paused(conn, paused)
    finally:
        engine.dispose()


def sl_documents(sl_url: str) -> tuple[int, int]:
    """(sales orders, PP documents) in the SL company."""
    from slpay.connectors.dynamics_sl import schema as sl
    from slpay.sandbox.sl.engine import open_engine

    engine = open_engine(sl_url)
    try:
        with engine.connect() as conn:
            orders = conn.execute(select(func.count()).select_from(sl.SOHeader)).scalar_one()
            pp = select(func.count()).select_from(sl.ARDoc).where(sl.ARDoc.c.DocType == "PP")
            return int(orders), int(conn.execute(pp).scalar_one())
    finally:
        engine.dispose()


def inbox_counts(hub_url: str, resource_ids: set[str] | None = None) -> dict[str, int]:
    """Inbox events by status (only ``resource_ids`` when given)."""
    from slpay.store import make_engine

    engine = make_engine(hub_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT resource_id, status FROM inbox")).all()
    finally:
        engine.dispose()
    counts: dict[str, int] = {}
    for rid, status in rows:
        if resource_ids is None or rid in resource_ids:
            counts[status] = counts.get(status, 0) + 1
    return counts


class StatusPoll:
    """Cheap, repeated counts of inbox events by status while the hub works: one engine and
    one COUNT query per poll (reading every row each time would steal CPU from the sandbox
    serving the hub's look-ups in this same process)."""

    def __init__(self, hub_url: str) -> None:
        from slpay.store import make_engine

        self.engine = make_engine(hub_url)

    def count(self, *statuses: str) -> int:
        from slpay.store.schema import inbox

        stmt = select(func.count()).select_from(inbox).where(inbox.c.status.in_(statuses))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def close(self) -> None:
        self.engine.dispose()


def ack_to_sl_ms(hub_url: str, resource_ids: set[str]) -> list[float]:
    """Per event: webhook stored (acknowledged right after) → its PP recorded after the SL
    commit (the xref row the finish step writes), in milliseconds."""
    from slpay.store import make_engine
    from slpay.store.schema import inbox, xref

    engine = make_engine(hub_url)
    stmt = (
        select(inbox.c.resource_id, inbox.c.received_at, xref.c.created_at)
        .join(xref, xref.c.transaction_id == inbox.c.resource_id)
        .where(xref.c.operation == "capture")
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
    finally:
        engine.dispose()
    return sorted(
        (r.created_at - r.received_at).total_seconds() * 1000
        for r in rows
        if r.resource_id in resource_ids
    )


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
