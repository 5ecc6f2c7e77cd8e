"""Chargebacks end to end: injected in the Cybersource sandbox, read from its chargeback
report, an SL DM and a task; won and lost by an operator's decision (issue 5)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import test_o2c_flow
from test_o2c_flow import Env, pay, settle_webhooks
from test_refunds_flow import cycle, docs, open_tasks, release
from typer.testing import CliRunner

from slpay.cli import app
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    Chargeback,
    ChargebackLost,
    ChargebackWon,
    predict_trial_balance,
)
from slpay.workflows.chargebacks import decide
from slpay.workflows.refunds import money_back_summary

env = test_o2c_flow.env


def dispute(env: Env, sale: str) -> str:
    with httpx.Client(base_url=env.cs_url) as controls:
        assert controls.post("/sandbox/close-day", json={}).status_code == 200
        response = controls.post("/sandbox/chargebacks", json={"transactionId": sale})
    assert response.status_code == 201, response.text
    return str(response.json()["chargebackId"])


def test_chargebacks_become_dms_with_tasks_and_operators_decide_won_and_lost(env: Env) -> None:
    won_sale = pay(env, "CB-1", "25.00", email="cb1@example.com")
    lost_sale = pay(env, "CB-2", "45.00", email="cb2@example.com")
    settle_webhooks(env)
    won, lost = dispute(env, won_sale), dispute(env, lost_sale)
    cycle(env)

    dms = docs(env.sl, "DM")
    assert sorted(Decimal(str(d.CuryOrigDocAmt)) for d in dms) == [Decimal(25), Decimal(45)]
    assert sorted(t.key for t in open_tasks(env, "chargeback")) == sorted(
        [f"chargeback:{won}", f"chargeback:{lost}"]
    )
    cycle(env)  # the report read again adds nothing
    assert len(docs(env.sl, "DM")) == 2
    release(env)

    assert decide(env.hub.deps, won, won=True)
    db = env.hub.deps.settings.hub.db_url
    result = CliRunner().invoke(app, ["chargebacks", "resolve", lost, "--lost", "--db", db])
    assert result.exit_code == 0, result.output
    assert not decide(env.hub.deps, won, won=True)  # the same decision twice is one event
    cycle(env)
    release(env)
    cycle(env)  # the lost chargeback's CM is applied to its DM once released
    release(env)

    assert open_tasks(env, "chargeback") == []
    assert open_tasks(env, "parked") == []
    assert all(Decimal(str(d.CuryDocBal)) == 0 for d in docs(env.sl, "DM"))
    assert len(docs(env.sl, "PA")) == 1
    assert len(docs(env.sl, "CM")) == 1
    a, b = Decimal(25), Decimal(45)
    assert trial_balance(env.sl) == predict_trial_balance(
        [CapturedBeforeInvoice(a), Chargeback(a), ChargebackWon(a),
         CapturedBeforeInvoice(b), Chargeback(b), ChargebackLost(b)]
    )  # fmt: skip
    summary = money_back_summary(env.hub.deps)
    assert (summary["chargebacks"], summary["chargebacks_won"]) == (2, 1)


def test_a_contrary_decision_is_parked_with_the_reason(env: Env) -> None:
    sale = pay(env, "CB-3", "10.00", email="cb3@example.com")
    settle_webhooks(env)
    cb = dispute(env, sale)
    cycle(env)
    release(env)
    decide(env.hub.deps, cb, won=True)
    cycle(env)
    decide(env.hub.deps, cb, won=False)
    cycle(env)
    (parked,) = open_tasks(env, "parked")
    assert "already decided won" in parked.reason
    assert docs(env.sl, "CM") == []
