"""Refunds end to end, both ways, over real HTTP to both sandboxes (issue 5).

Cybersource → SL: a refund made in Cybersource becomes a card-refund DM (+ the PP applied to
it) before invoicing, or a CM on Refunds + the DM (+ CM → DM) after. SL → Cybersource: a
released CM flagged CARDREFUND is refunded against the capture, never beyond what is left.
Each test ends with the released trial balance equal to the money map's prediction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import test_o2c_flow
from sqlalchemy import Engine, select
from test_o2c_flow import Env, ord_nbrs, pay, settle_webhooks

from slpay.connectors.dynamics_sl import schema as sl
from slpay.domain.money import Money
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
from slpay.sandbox.sl.release import release_all
from slpay.store import inbox, tasks
from slpay.workflows.refunds import money_back_summary

env = test_o2c_flow.env  # both sandboxes, the served hub, the SL company
D = sl.ARDoc.c


# --- helpers shared by the issue-5 test modules ------------------------------------------------


def refund_in_cybersource(env: Env, sale_id: str, amount: str, code: str) -> str:
    body = {
        "clientReferenceInformation": {"code": code},
        "orderInformation": {"amountDetails": {"totalAmount": amount, "currency": "USD"}},
    }
    response = env.cs.post(f"/pts/v2/payments/{sale_id}/refunds", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def cs_transactions(env: Env, root: str) -> list[dict[str, Any]]:
    """Every transaction the Cybersource sandbox holds under an authorization."""
    body = {"query": f"rootId:{root}", "limit": 100}
    found = env.cs.post("/tss/v2/searches", json=body).json()
    return list(found.get("_embedded", {}).get("transactionSummaries", []))


def of_kind(txns: list[dict[str, Any]], app: str) -> list[dict[str, Any]]:
    return [
        t
        for t in txns
        if app in [a["name"] for a in t["applicationInformation"]["applications"]]
        and t["status"] != "VOIDED"
    ]


def docs(engine: Engine, doc_type: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(sl.ARDoc).where(D.DocType == doc_type)))


def cycle(env: Env) -> None:
    """What the hub's loops do between SL releases: signals, applications, the inbox."""
    env.hub.money_back()
    settle_webhooks(env)
    env.hub.money_back()


def release(env: Env) -> None:
    assert release_all(env.sl).refused == []


def open_tasks(env: Env, kind: str) -> list[tasks.Task]:
    with env.hub.deps.hub.connect() as conn:
        return [t for t in tasks.list_tasks(conn) if t.kind == kind]


def sale_invoiced(env: Env, order: str, amount: str) -> str:
    """A sale whose order SL shipped and invoiced, the PP applied, everything released."""
    sale = pay(env, order, amount, email=f"{order.lower()}@example.com")
    settle_webhooks(env)
    number = ord_nbrs(env.sl)[order]
    users.ship(env.sl, number)
    users.invoice(env.sl, number)
    release(env)
    assert env.hub.apply_prepayments() == {"applied": 1}
    release(env)
    return sale


def card_refund_dms_match_cybersource(env: Env, roots: list[str]) -> None:
    """Per customer: SL card-refund DMs = Cybersource refunds + voids of captures, to the cent."""
    cs_total = Decimal(0)
    for root in roots:
        txns = cs_transactions(env, root)
        cs_total += sum(
            (
                Decimal(t["orderInformation"]["amountDetails"]["totalAmount"])
                for t in of_kind(txns, "ics_credit")
            ),
            Decimal(0),
        )
        cs_total += sum(
            (
                Decimal(t["orderInformation"]["amountDetails"]["totalAmount"])
                for t in txns
                if t["status"] == "VOIDED" and "ics_bill" in str(t["applicationInformation"])
            ),
            Decimal(0),
        )
    dms = [r for r in docs(env.sl, "DM") if r.DocDesc.strip().startswith("Card")]
    assert sum((Decimal(str(r.CuryOrigDocAmt)) for r in dms), Decimal(0)) == cs_total


# --- Cybersource → SL ----------------------------------------------------------------------------


def test_a_full_refund_before_invoicing_is_a_card_refund_dm_paid_by_the_prepayment(
    env: Env,
) -> None:
    sale = pay(env, "RB-1", "30.00", email="rb1@example.com")
    settle_webhooks(env)
    refund = refund_in_cybersource(env, sale, "30.00", "RB-1")
    settle_webhooks(env)

    (dm,) = docs(env.sl, "DM")
    assert (dm.User2.strip(), Decimal(str(dm.CuryOrigDocAmt))) == (refund, Decimal("30.00"))
    assert docs(env.sl, "CM") == []
    with env.sl.connect() as conn:
        cancelled = conn.execute(select(sl.SOHeader.c.Cancelled)).scalar_one()
    assert cancelled == 1  # a full refund cancels the order
    release(env)
    assert env.hub.money_back().get("applications.applied") == 1
    release(env)
    (pp,) = docs(env.sl, "PP")
    assert Decimal(str(pp.CuryDocBal)) == 0
    value = Decimal("30.00")
    assert trial_balance(env.sl) == predict_trial_balance(
        [CapturedBeforeInvoice(value), RefundedBeforeInvoice(value)]
    )
    card_refund_dms_match_cybersource(env, [sale])


def test_a_partial_refund_before_invoicing_leaves_a_task_and_the_rest_pays_the_invoice(
    env: Env,
) -> None:
    sale = pay(env, "RB-2", "30.00", email="rb2@example.com")
    settle_webhooks(env)
    refund_in_cybersource(env, sale, "10.00", "RB-2")
    settle_webhooks(env)
    assert [t.key.split(":")[0] for t in open_tasks(env, "review")] == ["adjust"]
    release(env)
    cycle(env)  # the PP pays the card-refund DM first
    number = ord_nbrs(env.sl)["RB-2"]
    users.ship(env.sl, number)
    users.invoice(env.sl, number)
    release(env)
    assert env.hub.apply_prepayments() == {"applied": 1}
    release(env)
    events: list[Event] = [
        CapturedBeforeInvoice(Decimal(30)),
        RefundedBeforeInvoice(Decimal(10)),
        Invoiced(Decimal(30)),
        PrepaymentApplied(Decimal(20)),
    ]
    assert trial_balance(env.sl) == predict_trial_balance(events)


def test_a_refund_after_invoicing_is_a_credit_memo_applied_to_a_card_refund_dm(env: Env) -> None:
    sale = sale_invoiced(env, "RA-1", "40.00")
    refund = refund_in_cybersource(env, sale, "15.00", "RA-1")
    settle_webhooks(env)

    (cm,), (dm,) = docs(env.sl, "CM"), docs(env.sl, "DM")
    assert cm.User2.strip() == dm.User2.strip() == refund
    release(env)
    cycle(env)
    release(env)
    assert Decimal(str(docs(env.sl, "CM")[0].CuryDocBal)) == 0
    events: list[Event] = [
        CapturedBeforeInvoice(Decimal(40)),
        Invoiced(Decimal(40)),
        PrepaymentApplied(Decimal(40)),
        RefundedAfterInvoice(Decimal(15)),
    ]
    assert trial_balance(env.sl) == predict_trial_balance(events)
    assert money_back_summary(env.hub.deps) == {
        "refunds": 1,
        "credit_memos": 1,
        "card_refund_debit_memos": 1,
        "reversals": 0,
        "voids": 0,
        "chargebacks": 0,
        "chargebacks_won": 0,
    }


# --- SL → Cybersource ----------------------------------------------------------------------------


def sl_credit_memo(env: Env, order: str, amount: str) -> users.CreditMemo:
    number = ord_nbrs(env.sl)[order]
    with env.sl.connect() as conn:
        cust = conn.execute(
            select(sl.SOHeader.c.CustID).where(sl.SOHeader.c.OrdNbr == number)
        ).scalar_one()
    memo = users.credit_memo(
        env.sl, cust.strip(), Money.of(amount, "USD"), ord_nbr=number, card_refund=True
    )
    release(env)
    return memo


def test_a_flagged_sl_credit_memo_is_refunded_to_the_card_once(env: Env) -> None:
    sale = sale_invoiced(env, "SL-1", "50.00")
    memo = sl_credit_memo(env, "SL-1", "20.00")
    cycle(env)

    (refund,) = of_kind(cs_transactions(env, sale), "ics_credit")
    assert refund["orderInformation"]["amountDetails"]["totalAmount"] == "20.00"
    (cm,), (dm,) = docs(env.sl, "CM"), docs(env.sl, "DM")
    assert (cm.RefNbr.strip(), cm.User2.strip(), dm.User2.strip()) == (
        memo.ref_nbr,
        refund["id"],
        refund["id"],
    )
    # Seen again by the next poll, and replayed by an operator: still one refund.
    env.hub.money_back()
    with env.hub.deps.hub.begin() as conn:
        (event,) = [
            e
            for e in (inbox.get_event(conn, i) for i in range(1, 200))
            if e and e.event_type == "sl.card_refund"
        ]
        inbox.requeue(conn, event.id)
    cycle(env)
    assert len(of_kind(cs_transactions(env, sale), "ics_credit")) == 1
    assert (len(docs(env.sl, "CM")), len(docs(env.sl, "DM"))) == (1, 1)
    release(env)
    cycle(env)
    release(env)
    events: list[Event] = [
        CapturedBeforeInvoice(Decimal(50)),
        Invoiced(Decimal(50)),
        PrepaymentApplied(Decimal(50)),
        RefundedAfterInvoice(Decimal(20)),
    ]
    assert trial_balance(env.sl) == predict_trial_balance(events)
    card_refund_dms_match_cybersource(env, [sale])


def test_an_over_refund_is_refused_before_any_request_reaches_cybersource(env: Env) -> None:
    sale = sale_invoiced(env, "SL-2", "20.00")
    sl_credit_memo(env, "SL-2", "15.00")
    cycle(env)
    refused = sl_credit_memo(env, "SL-2", "10.00")  # 5.00 left on the card
    cycle(env)

    refunds = of_kind(cs_transactions(env, sale), "ics_credit")
    assert [r["orderInformation"]["amountDetails"]["totalAmount"] for r in refunds] == ["15.00"]
    (task,) = open_tasks(env, "refund-refused")
    assert "exceeds what is left to refund" in task.reason
    assert "5.00 USD captured and not yet refunded" in task.reason
    with env.sl.connect() as conn:
        note_id = conn.execute(
            select(D.NoteId).where(D.DocType == "CM", D.RefNbr == refused.ref_nbr)
        ).scalar_one()
        text = conn.execute(
            select(sl.Snote.c.sNoteText).where(sl.Snote.c.nID == note_id)
        ).scalar_one()
    assert "did not refund this credit memo" in text


def test_a_refund_that_hangs_after_cybersource_executed_it_is_not_sent_twice(env: Env) -> None:
    sale = sale_invoiced(env, "SL-3", "35.00")
    with httpx.Client(base_url=env.cs_url) as controls:
        hang = {"path": "/pts/v2/captures/*/refunds", "mode": "close"}
        assert controls.post("/sandbox/execute-then-hang", json=hang).status_code == 201
    sl_credit_memo(env, "SL-3", "35.00")
    cycle(env)

    (refund,) = of_kind(cs_transactions(env, sale), "ics_credit")
    (dm,) = docs(env.sl, "DM")
    assert dm.User2.strip() == refund["id"]
    assert open_tasks(env, "parked") == []
