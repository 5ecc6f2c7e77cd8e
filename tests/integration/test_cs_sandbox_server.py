"""The sandbox over a real loopback socket: round trips, restart persistence, transport faults
(slow, 429, 5xx, timeout, execute-then-hang) and the ``slpay sandbox cybersource`` command."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from slpay.config import SANDBOX_KEY_ID, SANDBOX_MERCHANT_ID, SANDBOX_SHARED_SECRET
from slpay.sandbox.cybersource import SandboxConfig, SandboxHandle, run_in_thread
from slpay.sandbox.cybersource.testing import WebhookReceiver, card_payment, signed_client


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = run_in_thread(SandboxConfig())
    yield handle
    handle.stop()


@pytest.fixture
def cs(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with signed_client(sandbox.base_url, sandbox.config, timeout=2.0) as client:
        yield client


def control(sandbox: SandboxHandle, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{sandbox.base_url}{path}", json=body)


def found(cs: httpx.Client, code: str) -> list[dict[str, Any]]:
    resp = cs.post("/tss/v2/searches", json={"query": f"clientReferenceInformation.code:{code}"})
    summaries: list[dict[str, Any]] = resp.json()["_embedded"]["transactionSummaries"]
    return summaries


def test_authorize_and_capture_over_loopback(cs: httpx.Client) -> None:
    auth = cs.post("/pts/v2/payments", json=card_payment("NET-1", "10.00"))
    assert auth.status_code == 201
    amount = {"orderInformation": {"amountDetails": {"totalAmount": "10.00", "currency": "USD"}}}
    capture = cs.post(f"/pts/v2/payments/{auth.json()['id']}/captures", json=amount)
    assert (capture.status_code, capture.json()["status"]) == (201, "PENDING")


def test_state_survives_a_restart(tmp_path: Path) -> None:
    config = SandboxConfig(db_url=f"sqlite:///{tmp_path / 'cs.db'}")
    with run_in_thread(config) as first, signed_client(first.base_url, config) as cs:
        auth = cs.post("/pts/v2/payments", json=card_payment("KEEP-1", "20.00")).json()
        sub = {
            "webhookUrl": "http://127.0.0.1:9/never",
            "products": [
                {"productId": "cardProcessing", "eventTypes": ["payments.refunds.accept"]}
            ],
        }
        assert cs.post("/notification-subscriptions/v2/webhooks", json=sub).status_code == 201
    with run_in_thread(config) as second, signed_client(second.base_url, config) as cs:
        assert cs.get(f"/tss/v2/transactions/{auth['id']}").json()["status"] == "AUTHORIZED"
        amount = {
            "orderInformation": {"amountDetails": {"totalAmount": "20.00", "currency": "USD"}}
        }
        capture = cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount)
        assert capture.status_code == 201
        assert len(cs.get("/notification-subscriptions/v2/webhooks").json()) == 1


def test_rate_limit_answers_429_with_retry_after(sandbox: SandboxHandle, cs: httpx.Client) -> None:
    control(sandbox, "/sandbox/force", {"outcome": "rate_limit", "retryAfter": 3})
    limited = cs.post("/pts/v2/payments", json=card_payment("RL-1", "1.00"))
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    assert found(cs, "RL-1") == []
    assert cs.post("/pts/v2/payments", json=card_payment("RL-1", "1.00")).status_code == 201


def test_forced_server_error_has_cybersource_shape(
    sandbox: SandboxHandle, cs: httpx.Client
) -> None:
    control(
        sandbox,
        "/sandbox/force",
        {"outcome": "server_error", "status": 502, "reason": "SERVER_TIMEOUT"},
    )
    resp = cs.post("/pts/v2/payments", json=card_payment("SE-1", "1.00"))
    assert resp.status_code == 502
    assert (resp.json()["status"], resp.json()["reason"]) == ("SERVER_ERROR", "SERVER_TIMEOUT")
    assert found(cs, "SE-1") == []


def test_slow_response_still_takes_effect(sandbox: SandboxHandle, cs: httpx.Client) -> None:
    control(sandbox, "/sandbox/force", {"outcome": "slow", "delayMs": 50})
    assert cs.post("/pts/v2/payments", json=card_payment("SLOW-1", "1.00")).status_code == 201


def test_timeout_never_answers_and_does_nothing(sandbox: SandboxHandle) -> None:
    control(sandbox, "/sandbox/force", {"outcome": "timeout", "path": "/pts/v2/payments"})
    with (
        signed_client(sandbox.base_url, sandbox.config, timeout=0.3) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.post("/pts/v2/payments", json=card_payment("TO-1", "1.00"))
    with signed_client(sandbox.base_url, sandbox.config) as cs:
        assert found(cs, "TO-1") == []


def test_execute_then_hang_takes_effect_without_an_answer(sandbox: SandboxHandle) -> None:
    resp = control(sandbox, "/sandbox/execute-then-hang", {"path": "/pts/v2/payments"})
    assert resp.status_code == 201
    with (
        signed_client(sandbox.base_url, sandbox.config, timeout=0.3) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.post("/pts/v2/payments", json=card_payment("HANG-1", "5.00"))
    with signed_client(sandbox.base_url, sandbox.config) as cs:
        [summary] = found(cs, "HANG-1")
        assert summary["status"] == "AUTHORIZED"


def test_execute_then_close_drops_the_connection(sandbox: SandboxHandle) -> None:
    control(sandbox, "/sandbox/execute-then-hang", {"path": "/pts/v2/payments*", "mode": "close"})
    with signed_client(sandbox.base_url, sandbox.config) as cs:
        with pytest.raises(httpx.RemoteProtocolError):
            cs.post("/pts/v2/payments", json=card_payment("CLOSE-1", "5.00"))
        assert len(found(cs, "CLOSE-1")) == 1


def test_unknown_forced_outcome_is_refused(sandbox: SandboxHandle) -> None:
    resp = control(sandbox, "/sandbox/force", {"outcome": "explode"})
    assert resp.status_code == 400
    assert "outcome" in resp.json()["error"]


def test_command_serves_with_documented_defaults_and_prints_credentials(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from slpay.cli import main; main()",
            "sandbox",
            "cybersource",
            "--port",
            str(port),
            "--db",
            str(tmp_path / "cs.db"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/sandbox/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "sandbox did not start"
            time.sleep(0.05)
        config = SandboxConfig()  # the defaults slpay's own settings use
        with signed_client(f"http://127.0.0.1:{port}", config) as cs:
            assert (
                cs.post("/pts/v2/payments", json=card_payment("CLI-1", "1.00")).status_code == 201
            )
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    for value in (SANDBOX_MERCHANT_ID, SANDBOX_KEY_ID, SANDBOX_SHARED_SECRET):
        assert value in out
    assert (tmp_path / "cs.db").exists()


def test_undelivered_webhooks_survive_a_restart(tmp_path: Path) -> None:
    receiver = WebhookReceiver(statuses=deque([500])).start()
    # Retries an hour apart: the retry is still pending when the sandbox stops.
    config = SandboxConfig(
        db_url=f"sqlite:///{tmp_path / 'cs.db'}", webhook_url=receiver.url, webhook_retry_unit_s=60
    )
    try:
        with run_in_thread(config) as first, signed_client(first.base_url, config) as cs:
            auth = cs.post("/pts/v2/payments", json=card_payment("WH-KEEP", "3.00")).json()
            receiver.wait_for(1)
        with run_in_thread(config) as second:
            listed = httpx.get(f"{second.base_url}/sandbox/webhooks/deliveries").json()
            [pending] = listed["deliveries"]
            assert (pending["status"], pending["attempts"], pending["lastStatus"]) == (
                "pending",
                1,
                500,
            )
            assert pending["resourceId"] == auth["id"]
            control(second, "/sandbox/webhooks/redeliver", {"status": "pending"})
            replay = receiver.wait_for(2)[-1]
            assert replay.status == 200
            assert json.loads(replay.body)["payload"]["data"]["id"] == auth["id"]
    finally:
        receiver.stop()
