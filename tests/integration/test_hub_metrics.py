"""``GET /metrics`` after a small run: micro-batch latency, events processed by status, and
SL / Cybersource call outcomes (success, transient, declined) — scraped as Prometheus text."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import test_o2c_flow
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from test_o2c_flow import Env, pay, settle_webhooks

from slpay.api.app import HubApp
from slpay.api.server import uvicorn_config
from slpay.bootstrap import build_app

env = test_o2c_flow.env  # the same fixture: sandboxes, served hub, SL company
KEY = "metrics-test-key-0001"


@contextmanager
def served(app: HubApp) -> Iterator[httpx.Client]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", sock.getsockname()[1]))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(10)


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    out = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def calls(m: dict[tuple[str, tuple[tuple[str, str], ...]], float], **labels: str) -> float:
    key = ("slpay_calls_total", tuple(sorted(labels.items())))
    return m.get(key, 0.0)


def test_metrics_show_batch_latency_events_and_call_outcomes(env: Env) -> None:
    settings = env.hub.deps.settings
    api = settings.api.model_copy(update={"api_keys": {"shop": SecretStr(KEY)}})
    app = build_app(settings.model_copy(update={"api": api}), env.hub)
    with served(app) as client:
        run_and_check(env, client)


def run_and_check(env: Env, client: httpx.Client) -> None:

    pay(env, "MET-1", "11.00", email="m1@example.com")
    settle_webhooks(env)
    env.hub.deps.writer.faults.set("unavailable")
    pay(env, "MET-2", "12.00", email="m2@example.com")
    settle_webhooks(env)
    env.hub.deps.writer.faults.clear()
    assert env.hub.wait_idle(timeout=60, include_deferred=True)
    with httpx.Client(base_url=env.cs_url) as cs:
        token = cs.post(
            "/sandbox/transient-tokens",
            json={"number": "4111111111111111", "expirationMonth": "12", "expirationYear": "2031"},
        ).json()["transientTokenJwt"]
    declined = client.post(
        "/api/orders",
        headers={"X-API-Key": KEY},
        json={"order_number": "MET-3", "currency": "USD", "total": "3001.00",
              "transient_token": token},
    )  # fmt: skip
    assert declined.status_code == 402

    m = scrape(client)
    assert m[("slpay_workflow_batch_seconds_count", ())] >= 2
    assert m[("slpay_events_processed_total", (("status", "done"),))] == 4
    assert m[("slpay_events_processed_total", (("status", "retry"),))] >= 1
    # each sale writes its order from the authorization event and again (found) from the capture
    assert calls(m, system="sl", operation="write_orders", outcome="success") == 4
    sl_transient = sum(
        v
        for (name, labels), v in m.items()
        if name == "slpay_calls_total"
        and ("system", "sl") in labels
        and ("outcome", "transient") in labels
    )
    assert sl_transient >= 1  # the SL outage
    assert calls(m, system="sl", operation="write_payments", outcome="success") == 2
    # at least one TSS read per sale; a sale's authorization and capture events read it once
    # when they land in the same micro-batch, twice otherwise
    assert calls(m, system="cybersource", operation="get_transaction", outcome="success") >= 2
    assert calls(m, system="cybersource", operation="authorize", outcome="declined") == 1
    assert ("slpay_webhook_events_received_total", ()) in m  # the ingest's own metrics too
