"""A partial refund before invoicing: the PP must pay the card-refund DM before the invoice,
whichever of the hub's loops (order-to-cash applications, money back) runs first."""

from __future__ import annotations

from decimal import Decimal

import test_o2c_flow
from sqlalchemy import select
from test_o2c_flow import Env, ord_nbrs, pay, settle_webhooks
from test_refunds_flow import docs, refund_in_cybersource, release

from slpay.connectors.dynamics_sl import schema as sl
from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    Event,
    Invoiced,
    PrepaymentApplied,
    RefundedBeforeInvoice,
    predict_trial_balance,
)
from slpay.sandbox.sl.release import release_batch
from slpay.workflows.applications import apply_one, pending_prepayments

env = test_o2c_flow.env  # both sandboxes, the served hub, the SL company
D = sl.ARDoc.c


def _balances(env: Env, doc_type: str) -> list[Decimal]:
    with env.sl.connect() as conn:
        rows = conn.execute(select(D.CuryDocBal).where(D.DocType == doc_type))
        return [Decimal(str(r.CuryDocBal)).quantize(Decimal("0.01")) for r in rows]


def _partly_refunded_and_invoiced(env: Env, order: str) -> None:
    """Sale 30.00, refund 10.00 before invoicing, then SL invoices 30.00; nothing applied."""
    sale = pay(env, order, "30.00", email=f"{order.lower()}@example.com")
    settle_webhooks(env)
    refund_in_cybersource(env, sale, "10.00", order)
    settle_webhooks(env)
    number = ord_nbrs(env.sl)[order]
    users.ship(env.sl, number)
    users.invoice(env.sl, number)


EXPECTED: list[Event] = [
    CapturedBeforeInvoice(Decimal(30)),
    RefundedBeforeInvoice(Decimal(10)),
    Invoiced(Decimal(30)),
    PrepaymentApplied(Decimal(20)),
]


def test_the_applications_pass_running_before_money_back_still_pays_the_refund_dm(
    env: Env,
) -> None:
    _partly_refunded_and_invoiced(env, "LO-1")
    release(env)
    # The bad order: the order-to-cash applications pass, money back never ran. It applies
    # the PP to the DM first; PP → IN waits for SL to release that application.
    assert env.hub.apply_prepayments() == {"waiting": 1}
    release(env)
    assert env.hub.apply_prepayments() == {"applied": 1}
    release(env)
    assert _balances(env, "DM") == [Decimal("0.00")]  # the card-refund DM is paid
    assert _balances(env, "PP") == [Decimal("0.00")]
    assert _balances(env, "IN") == [Decimal("10.00")]  # the order still needs adjusting
    assert trial_balance(env.sl) == predict_trial_balance(EXPECTED)


def test_a_prepayment_waits_for_its_unreleased_refund_dm_before_paying_the_invoice(
    env: Env,
) -> None:
    _partly_refunded_and_invoiced(env, "LO-2")
    (dm,) = docs(env.sl, "DM")
    with env.sl.connect() as conn:
        batches = conn.execute(
            select(sl.Batch.c.BatNbr).where(sl.Batch.c.Module == "AR", sl.Batch.c.Rlsed == 0)
        ).scalars()
        others = [b for b in batches if b != dm.BatNbr]
    for bat_nbr in others:  # SL users release the PP and the invoice, not yet the DM
        release_batch(env.sl, "AR", bat_nbr)
    (pp,) = pending_prepayments(env.hub.deps)
    # PP → IN alone, as if the money-back pass had not run: the PP is held for the DM.
    assert apply_one(env.hub.deps, pp) == "refund-first"
    assert _balances(env, "PP") == [Decimal("30.00")]

    release(env)  # now the DM too
    assert env.hub.apply_prepayments() == {"waiting": 1}  # PP → DM written first
    release(env)
    assert env.hub.apply_prepayments() == {"applied": 1}
    release(env)
    assert _balances(env, "DM") == [Decimal("0.00")]
    assert _balances(env, "IN") == [Decimal("10.00")]
    assert trial_balance(env.sl) == predict_trial_balance(EXPECTED)
