"""Refunds created through the official Cybersource SDK (issue 5, must-show 1).

The merchant's own SDK code (``RefundApi.refund_payment`` and ``refund_capture``, 0.0.80, run
as a subprocess by ``tests/contract/_sdk_runner.py``) refunds on the Cybersource sandbox the
served hub listens to; the refunds' webhooks (each delivered twice) and a sweep reach the hub,
which writes each refund's SL documents once, as the money map says.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_o2c_flow
from test_o2c_flow import Env, capture, ord_nbrs, pay, settle_webhooks
from test_refunds_flow import card_refund_dms_match_cybersource, cycle, docs, release

from slpay.sandbox.cybersource.config import SandboxConfig
from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    Event,
    Invoiced,
    PrepaymentApplied,
    RefundedAfterInvoice,
    RefundedBeforeInvoice,
    predict_trial_balance,
)
from slpay.workflows.refunds import money_back_summary

# The runner lives with the contract tests; it only starts the SDK's own python.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from _sdk_runner import run_sdk_steps, sdk_config, sdk_missing_reason

pytestmark = [
    pytest.mark.sdk,
    pytest.mark.skipif(sdk_missing_reason() is not None, reason=sdk_missing_reason() or ""),
]
env = test_o2c_flow.env  # both sandboxes, the served hub, the SL company


def _refund(name: str, call: str, model: str, target: str, order: str, amount: str) -> Any:
    body = {
        "clientReferenceInformation": {"code": order, "transactionId": f"sdk-{name}"},
        "orderInformation": {"amountDetails": {"totalAmount": amount, "currency": "USD"}},
    }
    return {"name": name, "api": "RefundApi", "call": call, "args": ["$body", target],
            "model": model, "body": body}  # fmt: skip


def test_refunds_made_with_the_official_sdk_are_written_to_sl_once(
    env: Env, tmp_path: Path
) -> None:
    before = pay(env, "SDK-R1", "30.00", email="sdk-r1@example.com")  # a sale, not invoiced
    auth = pay(env, "SDK-R2", "40.00", capture=False, email="sdk-r2@example.com")
    settle_webhooks(env)
    captured = capture(env, auth, "SDK-R2", "40.00")
    settle_webhooks(env)
    number = ord_nbrs(env.sl)["SDK-R2"]
    users.ship(env.sl, number)
    users.invoice(env.sl, number)
    release(env)
    assert env.hub.apply_prepayments()["applied"] == 1  # SDK-R1 is not invoiced
    release(env)

    with httpx.Client(base_url=env.cs_url) as controls:  # every refund webhook sent twice
        assert controls.post("/sandbox/webhooks/faults", json={"duplicate": 2}).is_success
    steps = [
        _refund("full", "refund_payment", "RefundPaymentRequest", before, "SDK-R1", "30.00"),
        _refund("part", "refund_capture", "RefundCaptureRequest", captured, "SDK-R2", "15.00"),
    ]
    results = run_sdk_steps(sdk_config(env.cs_url, SandboxConfig()), steps, tmp_path)
    for name in ("full", "part"):
        assert "error" not in results[name], results[name].get("error")
        assert results[name]["model"] == "PtsV2PaymentsRefundPost201Response"
    settle_webhooks(env)
    env.hub.sweep()  # finds the same refunds: duplicates, nothing written
    settle_webhooks(env)

    dms = {r.User2.strip(): Decimal(str(r.CuryOrigDocAmt)) for r in docs(env.sl, "DM")}
    assert dms == {results["full"]["id"]: Decimal("30.00"), results["part"]["id"]: Decimal(15)}
    (cm,) = docs(env.sl, "CM")  # after invoicing: the CM on Refunds, once
    assert cm.User2.strip() == results["part"]["id"]
    assert len(docs(env.sl, "PP")) == 2

    release(env)
    cycle(env)
    release(env)
    events: list[Event] = [
        CapturedBeforeInvoice(Decimal(30)),
        RefundedBeforeInvoice(Decimal(30)),
        CapturedBeforeInvoice(Decimal(40)),
        Invoiced(Decimal(40)),
        PrepaymentApplied(Decimal(40)),
        RefundedAfterInvoice(Decimal(15)),
    ]
    assert trial_balance(env.sl) == predict_trial_balance(events)
    card_refund_dms_match_cybersource(env, [before, auth])
    summary = money_back_summary(env.hub.deps)
    assert (summary["refunds"], summary["card_refund_debit_memos"]) == (2, 2)
    hub_counts = env.hub.summary()
    assert hub_counts["parked"] == 0
    assert hub_counts["duplicates_skipped"] >= 2  # the refunds' second deliveries
