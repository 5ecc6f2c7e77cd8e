"""A refund voided in Cybersource after SL recorded it (same day, before the batch closed).

The card was never refunded: SL gets a CM "Card refund voided" on the clearing account (Dr
clearing, Cr AR), the customer keeps the credit and an operator is asked what to do with it; a
refund voided before slpay recorded it writes nothing at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import test_o2c_flow
from test_o2c_flow import Env, settle_webhooks
from test_refunds_flow import (
    cs_transactions,
    cycle,
    docs,
    of_kind,
    open_tasks,
    refund_in_cybersource,
    release,
    sale_invoiced,
)

from slpay.reconcile.sl_side import load_sl_side
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    Invoiced,
    PrepaymentApplied,
    RefundedAfterInvoice,
    RefundVoided,
    predict_trial_balance,
)
from slpay.store import control, inbox
from slpay.workflows.refunds import money_back_summary

env = test_o2c_flow.env  # both sandboxes, the served hub, the SL company


def void_refund(env: Env, refund_id: str, code: str) -> str:
    body = {"clientReferenceInformation": {"code": code}}
    response = env.cs.post(f"/pts/v2/refunds/{refund_id}/voids", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def card_memos(env: Env, doc_type: str, prefix: str) -> list[tuple[str, Decimal]]:
    return sorted(
        (r.User2.strip(), Decimal(str(r.CuryOrigDocAmt)))
        for r in docs(env.sl, doc_type)
        if r.DocDesc.strip().startswith(prefix)
    )


def test_a_refund_voided_after_sl_recorded_it_is_reversed_on_clearing_with_a_task(
    env: Env,
) -> None:
    sale = sale_invoiced(env, "RV-1", "50.00")
    refund = refund_in_cybersource(env, sale, "20.00", "RV-1")
    settle_webhooks(env)
    assert card_memos(env, "DM", "Card refund") == [(refund, Decimal(20))]

    void_refund(env, refund, "RV-1")
    settle_webhooks(env)

    assert of_kind(cs_transactions(env, sale), "ics_credit") == []  # nothing went back
    assert card_memos(env, "CM", "Card refund voided") == [(refund, Decimal(20))]
    (task,) = [t for t in open_tasks(env, "review") if t.key == f"refund-void:{refund}"]
    assert "the card was not refunded" in task.reason
    assert money_back_summary(env.hub.deps)["voids"] == 1

    # Delivered again and replayed by an operator: still one reversal.
    with env.hub.deps.hub.begin() as conn:
        voids = [
            e
            for e in (inbox.get_event(conn, i) for i in range(1, 200))
            if e and e.event_type == "payments.voids.accept"
        ]
        for e in voids:
            inbox.requeue(conn, e.id)
    settle_webhooks(env)
    assert len(card_memos(env, "CM", "Card refund voided")) == 1

    # Reconciliation never expects the voided refund to settle (the pair nets to zero).
    side = load_sl_side(env.sl, datetime.now(UTC).date(), lookback_days=3, ahead_days=1)
    assert refund not in side.txn
    assert sale in side.txn

    release(env)
    cycle(env)
    release(env)
    assert trial_balance(env.sl) == predict_trial_balance(
        [
            CapturedBeforeInvoice(Decimal(50)),
            Invoiced(Decimal(50)),
            PrepaymentApplied(Decimal(50)),
            RefundedAfterInvoice(Decimal(20)),
            RefundVoided(Decimal(20)),
        ]
    )


def test_a_refund_voided_before_slpay_recorded_it_writes_nothing(env: Env) -> None:
    sale = sale_invoiced(env, "RV-2", "30.00")
    with env.hub.deps.hub.begin() as conn:
        control.set_paused(conn, True)
    refund = refund_in_cybersource(env, sale, "10.00", "RV-2")
    void_refund(env, refund, "RV-2")
    with env.hub.deps.hub.begin() as conn:
        control.set_paused(conn, False)
    settle_webhooks(env)

    assert card_memos(env, "DM", "Card refund") == []
    assert card_memos(env, "CM", "Card refund voided") == []
    assert docs(env.sl, "CM") == []
    assert open_tasks(env, "parked") == []
