"""One scripted run of every money-back path (issue 5, must-show 4), several customers.

Refunds before and after invoicing made in Cybersource, SL credit memos flagged for a card
refund before and after invoicing, an SL cancellation before capture (reversal), a same-day
cancellation of a capture (void), chargebacks won and lost. With everything released:

- for every customer, SL's card-refund debit memos (ARDoc) equal Cybersource's refunds and
  voided captures (TSS search under the customer's authorization) to the cent;
- the released trial balance equals the money map's prediction from the events, in
  particular clearing = captures − refunds − chargebacks + chargebacks won (nothing settled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import test_o2c_flow
from sqlalchemy import select
from test_chargebacks_flow import dispute
from test_o2c_flow import Env, ord_nbrs, pay, settle_webhooks
from test_refunds_flow import (
    cs_transactions,
    cycle,
    of_kind,
    open_tasks,
    refund_in_cybersource,
    release,
    sl_credit_memo,
)

from slpay.config import SLAccounts
from slpay.connectors.dynamics_sl import schema as sl
from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import TBKey, trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    Chargeback,
    ChargebackLost,
    ChargebackWon,
    Event,
    Invoiced,
    PrepaymentApplied,
    RefundedAfterInvoice,
    RefundedBeforeInvoice,
    predict_trial_balance,
)
from slpay.store.schema import inbox
from slpay.workflows.chargebacks import decide
from slpay.workflows.refunds import money_back_summary

env = test_o2c_flow.env  # both sandboxes, the served hub, the SL company
D = sl.ARDoc.c
CENT = Decimal("0.01")


@dataclass
class Script:
    """What the run did, as the money map's events and each customer's authorization."""

    events: list[Event] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)  # order number → authorization id

    def sale(self, env: Env, order: str, amount: str) -> str:
        sale = pay(env, order, amount, email=f"{order.lower()}@example.com")
        self.roots[order] = sale
        self.events.append(CapturedBeforeInvoice(Decimal(amount)))
        return sale


def settle(env: Env) -> None:
    """SL users release everything; the hub's loops run until nothing changes any more."""
    for _ in range(4):
        release(env)
        cycle(env)
        env.hub.apply_prepayments()
    release(env)


def ship_and_invoice(env: Env, order: str) -> None:
    number = ord_nbrs(env.sl)[order]
    users.ship(env.sl, number)
    users.invoice(env.sl, number)


def invoiced_sale(env: Env, s: Script, order: str, amount: str) -> str:
    sale = s.sale(env, order, amount)
    settle_webhooks(env)
    ship_and_invoice(env, order)
    settle(env)
    s.events += [Invoiced(Decimal(amount)), PrepaymentApplied(Decimal(amount))]
    return sale


def run_every_path(env: Env) -> Script:
    s = Script()
    # Cybersource → SL, before invoicing: a full refund, and a partial one (then invoiced).
    full = s.sale(env, "AP-1", "30.00")
    part = s.sale(env, "AP-2", "30.00")
    settle_webhooks(env)
    refund_in_cybersource(env, full, "30.00", "AP-1")
    refund_in_cybersource(env, part, "10.00", "AP-2")
    s.events += [RefundedBeforeInvoice(Decimal(30)), RefundedBeforeInvoice(Decimal(10))]
    settle_webhooks(env)
    settle(env)
    ship_and_invoice(env, "AP-2")
    s.events += [Invoiced(Decimal(30)), PrepaymentApplied(Decimal(20))]
    # Cybersource → SL after invoicing, and SL → Cybersource after invoicing.
    after = invoiced_sale(env, s, "AP-3", "40.00")
    invoiced_sale(env, s, "AP-4", "50.00")
    refund_in_cybersource(env, after, "15.00", "AP-3")
    settle_webhooks(env)
    sl_credit_memo(env, "AP-4", "20.00")
    s.events += [RefundedAfterInvoice(Decimal(15)), RefundedAfterInvoice(Decimal(20))]
    # SL → Cybersource before invoicing: the CM is refunded; the PP later pays the invoice.
    s.sale(env, "AP-5", "60.00")
    settle_webhooks(env)
    sl_credit_memo(env, "AP-5", "25.00")
    settle(env)
    ship_and_invoice(env, "AP-5")
    s.events += [RefundedAfterInvoice(Decimal(25)), Invoiced(Decimal(60))]
    s.events += [PrepaymentApplied(Decimal(60))]
    # Cancellations: before capture (reversal) and a capture cancelled the same day (void).
    s.roots["AP-6"] = pay(env, "AP-6", "22.00", capture=False, email="ap-6@example.com")
    s.sale(env, "AP-7", "33.00")
    settle_webhooks(env)
    users.cancel(env.sl, ord_nbrs(env.sl)["AP-6"])
    users.cancel(env.sl, ord_nbrs(env.sl)["AP-7"])
    s.events.append(RefundedBeforeInvoice(Decimal(33)))
    settle(env)
    # Chargebacks (after the day closed), one won and one lost.
    won_sale, lost_sale = s.sale(env, "AP-8", "25.00"), s.sale(env, "AP-9", "45.00")
    settle_webhooks(env)
    won, lost = dispute(env, won_sale), dispute(env, lost_sale)
    settle(env)
    assert decide(env.hub.deps, won, won=True)
    assert decide(env.hub.deps, lost, won=False)
    s.events += [Chargeback(Decimal(25)), ChargebackWon(Decimal(25))]
    s.events += [Chargeback(Decimal(45)), ChargebackLost(Decimal(45))]
    settle(env)
    return s


def cybersource_money_back(env: Env, root: str) -> Decimal:
    """Refunds and voided captures under one authorization, read from the sandbox's TSS."""
    txns = cs_transactions(env, root)
    refunds = of_kind(txns, "ics_credit")
    voided = [t for t in txns if t["status"] == "VOIDED" and "ics_bill" in str(t)]
    return sum(
        (Decimal(t["orderInformation"]["amountDetails"]["totalAmount"]) for t in refunds + voided),
        Decimal(0),
    )


def sl_card_refund_dms(env: Env, order: str) -> tuple[Decimal, bool]:
    """Σ released card-refund DMs of the order's SL customer, and whether all are released."""
    with env.sl.connect() as conn:
        cust = conn.execute(
            select(sl.SOHeader.c.CustID).where(sl.SOHeader.c.OrdNbr == ord_nbrs(env.sl)[order])
        ).scalar_one()
        rows = conn.execute(
            select(D.CuryOrigDocAmt, D.Rlsed, D.DocDesc).where(D.CustId == cust, D.DocType == "DM")
        ).all()
    cards = [r for r in rows if r.DocDesc.strip().startswith("Card")]
    total = sum((Decimal(str(r.CuryOrigDocAmt)).quantize(CENT) for r in cards), Decimal(0))
    return total, all(r.Rlsed == 1 for r in cards)


def test_every_money_back_path_balances_per_customer_and_in_the_trial_balance(env: Env) -> None:
    script = run_every_path(env)

    with env.sl.connect() as conn:
        unreleased = conn.execute(
            select(sl.Batch.c.BatNbr).where(sl.Batch.c.Module == "AR", sl.Batch.c.Rlsed == 0)
        ).all()
    assert unreleased == []
    assert open_tasks(env, "parked") == []
    assert open_tasks(env, "waiting-release") == []
    expected = {
        "AP-1": "30.00", "AP-2": "10.00", "AP-3": "15.00", "AP-4": "20.00", "AP-5": "25.00",
        "AP-6": "0", "AP-7": "33.00", "AP-8": "0", "AP-9": "0",
    }  # fmt: skip
    for order, root in script.roots.items():
        cs_side = cybersource_money_back(env, root)
        sl_side, released = sl_card_refund_dms(env, order)
        assert (order, sl_side) == (order, cs_side), f"{order}: SL {sl_side} vs CS {cs_side}"
        assert cs_side == Decimal(expected[order])
        assert released

    predicted = predict_trial_balance(script.events)
    assert trial_balance(env.sl) == predicted
    a = SLAccounts()
    clearing = predicted[TBKey(a.clearing_acct, a.clearing_sub, "USD")]
    # captures 313 − refunds and voids 133 − chargebacks 70 + chargebacks won 25
    assert clearing == Decimal("135.00")
    with env.hub.deps.hub.connect() as conn:
        origins = {(t, s) for t, s in conn.execute(select(inbox.c.event_type, inbox.c.source))}
    assert {o for o in origins if not o[0].startswith("payments.")} == {
        ("sl.card_refund", "sl"), ("sl.order_cancelled", "sl"),
        ("chargeback.received", "report"), ("chargeback.won", "operator"),
        ("chargeback.lost", "operator"),
    }  # fmt: skip
    assert money_back_summary(env.hub.deps) == {
        "refunds": 5, "credit_memos": 4, "card_refund_debit_memos": 6, "reversals": 1,
        "voids": 1, "chargebacks": 2, "chargebacks_won": 1,
    }  # fmt: skip
