"""Order-to-cash end to end: Cybersource sandbox → real webhooks → hub → SL sandbox.

Payments are created on the Cybersource sandbox over real HTTP; its webhooks reach the hub's
HTTP app (uvicorn); the hub's micro-batch workflows (DBOS on the hub's database) write the
SL sandbox company; SL's users ship, invoice and release with the sandbox's own acts.

Every test using the ``env`` fixture runs twice: hub store, DBOS and SL company on SQLite
files, and on fresh PostgreSQL databases (``SLPAY_TEST_POSTGRES_URL``; skipped without it).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, func, select

from slpay.api.app import create_app
from slpay.api.server import uvicorn_config
from slpay.bootstrap import build_hub
from slpay.config import Settings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.sandbox.cybersource import SandboxConfig, run_in_thread
from slpay.sandbox.cybersource.testing import card_payment, signed_client
from slpay.sandbox.sl import users
from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.engine import open_engine
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedAfterInvoice,
    CapturedBeforeInvoice,
    Event,
    Invoiced,
    PrepaymentApplied,
    predict_trial_balance,
)
from slpay.sandbox.sl.release import release_all
from slpay.workflows.hub import Hub

pytestmark = pytest.mark.timeout(180)


@dataclass
class Env:
    hub: Hub
    sl: Engine
    cs: httpx.Client
    cs_url: str
    hub_url: str


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def env(tmp_path: Path, o2c_databases: tuple[str, str]) -> Iterator[Env]:
    hub_db_url, sl_url = o2c_databases
    sl_engine = open_engine(sl_url)
    init_company(sl_engine)
    sock = _free_socket()
    hub_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = SandboxConfig(
        db_url=f"sqlite:///{tmp_path / 'cybersource.db'}",
        webhook_url=f"{hub_url}/webhooks/cybersource",
        webhook_retry_unit_s=0.05,
    )
    with run_in_thread(config) as sandbox:
        settings = Settings(
            cybersource={"base_url": sandbox.base_url},
            sl={"db_url": sl_url},
            hub={"db_url": hub_db_url},
            workflows={
                "poll_interval_s": 0.05,
                "signals_interval_s": 3600,
                "sweep_interval_s": 0,
                "retry_base_delay_s": 0.05,
                "retry_max_delay_s": 0.2,
                "batch_size": 50,
                "max_attempts": 1000,
            },
        )
        app = create_app(settings)
        hub = build_hub(settings)
        server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", sock.getsockname()[1]))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        hub.start()
        try:
            with signed_client(sandbox.base_url, config) as cs:
                yield Env(hub, sl_engine, cs, sandbox.base_url, hub_url)
        finally:
            hub.stop()
            server.should_exit = True
            thread.join(10)
            app.close()
            sl_engine.dispose()


def pay(env: Env, order: str, amount: str, *, capture: bool = True, email: str = "") -> str:
    body: dict[str, Any] = card_payment(order, amount, capture=capture, address1="1 Main St")
    if email:
        body["orderInformation"]["billTo"]["email"] = email
    body["orderInformation"]["lineItems"] = [
        {"productSku": "SKU-1", "productName": "Widget", "quantity": 1, "unitPrice": amount}
    ]
    response = env.cs.post("/pts/v2/payments", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def capture(env: Env, auth_id: str, order: str, amount: str) -> str:
    body = {
        "clientReferenceInformation": {"code": order},
        "orderInformation": {"amountDetails": {"totalAmount": amount, "currency": "USD"}},
    }
    response = env.cs.post(f"/pts/v2/payments/{auth_id}/captures", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def settle_webhooks(env: Env, timeout: float = 60.0) -> None:
    """Wait until the sandbox delivered every webhook and the hub finished its inbox."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=env.cs_url) as controls:
        while time.monotonic() < deadline:
            found = controls.get("/sandbox/webhooks/deliveries").json()["deliveries"]
            if all(d["status"] not in ("pending", "retrying", "held") for d in found):
                break
            time.sleep(0.05)
    assert env.hub.wait_idle(timeout=timeout)


def sl_count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def ord_nbrs(engine: Engine) -> dict[str, str]:
    """eCommerce order number → SL OrdNbr."""
    h = sl.SOHeader.c
    with engine.connect() as conn:
        return {
            r.CustOrdNbr.strip(): r.OrdNbr.strip()
            for r in conn.execute(select(h.OrdNbr, h.CustOrdNbr))
        }


def test_sales_become_one_order_and_one_prepayment_each_and_invoices_end_paid(env: Env) -> None:
    amounts = {f"WEB-{i:03d}": f"{10 + i}.50" for i in range(8)}
    for order, amount in amounts.items():
        pay(env, order, amount, email=f"buyer{order[-1]}@example.com")
    settle_webhooks(env)

    assert env.hub.summary() | {"swept": 0} == {
        "orders": 8, "captured": 8, "posted": 8, "parked": 0, "duplicates_skipped": 0, "swept": 0,
    }  # fmt: skip
    assert sl_count(env.sl, sl.SOHeader) == 8
    assert sl_count(env.sl, sl.ARDoc, sl.ARDoc.c.DocType == "PP") == 8
    assert release_all(env.sl).refused == []

    numbers = ord_nbrs(env.sl)
    for order in amounts:
        users.ship(env.sl, numbers[order])
        users.invoice(env.sl, numbers[order])
    assert release_all(env.sl).refused == []
    assert env.hub.apply_prepayments() == {"applied": 8}
    assert release_all(env.sl).refused == []

    d = sl.ARDoc.c
    assert sl_count(env.sl, sl.ARDoc, d.DocType == "IN", d.Rlsed == 1) == 8
    assert sl_count(env.sl, sl.ARDoc, d.DocType == "IN", d.CuryDocBal != 0) == 0
    events: list[Event] = []
    for amount in amounts.values():
        value = Decimal(amount)
        events += [CapturedBeforeInvoice(value), Invoiced(value), PrepaymentApplied(value)]
    assert trial_balance(env.sl) == predict_trial_balance(events)


def test_a_capture_after_the_invoice_is_a_payment_applied_to_it(env: Env) -> None:
    auth = pay(env, "WEB-500", "40.00", capture=False, email="late@example.com")
    settle_webhooks(env)
    number = ord_nbrs(env.sl)["WEB-500"]
    users.ship(env.sl, number)
    users.invoice(env.sl, number)
    assert release_all(env.sl).refused == []

    capture(env, auth, "WEB-500", "40.00")
    settle_webhooks(env)
    d = sl.ARDoc.c
    assert sl_count(env.sl, sl.ARDoc, d.DocType == "PA") == 1
    assert sl_count(env.sl, sl.ARDoc, d.DocType == "PP") == 0
    assert release_all(env.sl).refused == []
    assert sl_count(env.sl, sl.ARDoc, d.DocType == "IN", d.CuryDocBal != 0) == 0
    value = Decimal("40.00")
    assert trial_balance(env.sl) == predict_trial_balance(
        [Invoiced(value), CapturedAfterInvoice(value)]
    )
