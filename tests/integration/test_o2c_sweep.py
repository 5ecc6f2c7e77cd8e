"""The sweep adds only what no webhook announced: a decided review is not "missed"."""

from __future__ import annotations

import test_o2c_flow
from test_o2c_flow import Env, settle_webhooks

from slpay.sandbox.cybersource.testing import card_payment

env = test_o2c_flow.env  # the same fixture: sandboxes, served hub, SL company


def _review(env: Env, order: str) -> str:
    body = card_payment(order, "40.00", address1="2 London Bridge")
    response = env.cs.post("/pts/v2/payments", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "AUTHORIZED_PENDING_REVIEW"
    return str(response.json()["id"])


def _decide(env: Env, payment_id: str, *, accept: bool) -> None:
    body = {
        "decisionInformation": {"decision": "ACCEPT" if accept else "REJECT", "comments": "t"},
        "processingInformation": {"actionList": ["CAPTURE" if accept else "REVERSE"]},
    }
    response = env.cs.post(f"/risk/v1/decisions/{payment_id}/actions", json=body)
    assert response.status_code == 201, response.text


def test_sweep_after_reviews_were_decided_adds_nothing_already_announced(env: Env) -> None:
    accepted = _review(env, "REV-1")
    rejected = _review(env, "REV-2")
    settle_webhooks(env)
    _decide(env, accepted, accept=True)
    _decide(env, rejected, accept=False)
    settle_webhooks(env)

    assert env.hub.sweep() == 0
    assert env.hub.summary()["swept"] == 0
