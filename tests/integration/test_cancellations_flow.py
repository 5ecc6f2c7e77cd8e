"""SL order cancellations end to end: before capture the authorization is reversed; a capture
cancelled the same day is voided and SL gets the documents of a refund before invoicing."""

from __future__ import annotations

from decimal import Decimal

import test_o2c_flow
from test_o2c_flow import Env, ord_nbrs, pay, settle_webhooks
from test_refunds_flow import (
    card_refund_dms_match_cybersource,
    cs_transactions,
    cycle,
    docs,
    release,
)

from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    RefundedBeforeInvoice,
    predict_trial_balance,
)
from slpay.workflows.refunds import money_back_summary

env = test_o2c_flow.env


def test_an_order_cancelled_before_capture_reverses_the_authorization(env: Env) -> None:
    auth = pay(env, "CX-1", "22.00", capture=False, email="cx1@example.com")
    settle_webhooks(env)
    users.cancel(env.sl, ord_nbrs(env.sl)["CX-1"])
    cycle(env)
    cycle(env)  # seen again: nothing more

    txns = cs_transactions(env, auth)
    assert [t["status"] for t in txns if t["id"] == auth] == ["REVERSED"]
    reversals = [t for t in txns if "ics_auth_reversal" in str(t["applicationInformation"])]
    assert len(reversals) == 1
    assert docs(env.sl, "DM") == []
    assert docs(env.sl, "PP") == []
    assert money_back_summary(env.hub.deps)["reversals"] == 1


def test_a_capture_cancelled_the_same_day_is_voided_and_refunded_in_sl(env: Env) -> None:
    sale = pay(env, "CX-2", "33.00", email="cx2@example.com")
    settle_webhooks(env)
    users.cancel(env.sl, ord_nbrs(env.sl)["CX-2"])
    cycle(env)

    assert [t["status"] for t in cs_transactions(env, sale) if t["id"] == sale] == ["VOIDED"]
    (dm,) = docs(env.sl, "DM")
    assert Decimal(str(dm.CuryOrigDocAmt)) == Decimal("33.00")
    release(env)
    cycle(env)
    release(env)
    value = Decimal("33.00")
    assert trial_balance(env.sl) == predict_trial_balance(
        [CapturedBeforeInvoice(value), RefundedBeforeInvoice(value)]
    )
    assert money_back_summary(env.hub.deps)["voids"] == 1
    card_refund_dms_match_cybersource(env, [sale])
