"""An SL credit memo refunded to the card after partial shipments (issue 5).

An order shipped in two parts was captured twice. A credit memo for more than the last capture
holds is spread over both captures, newest first, never beyond a capture's ``refundBalance``:
one Cybersource refund per capture, one card-refund DM per refund, the CM applied to each, and
a re-run (replay, or a crash between the parts) sends only what is still missing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import test_o2c_flow
from sqlalchemy import select
from test_o2c_flow import Env, capture, ord_nbrs, pay, settle_webhooks
from test_refunds_flow import (
    card_refund_dms_match_cybersource,
    cs_transactions,
    cycle,
    docs,
    of_kind,
    open_tasks,
    release,
    sl_credit_memo,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    Invoiced,
    PrepaymentApplied,
    RefundedAfterInvoice,
    predict_trial_balance,
)
from slpay.store import inbox
from slpay.workflows.sl_refunds import transaction_id_for

env = test_o2c_flow.env  # both sandboxes, the served hub, the SL company
D = sl.ARDoc.c


def shipped_in_two_parts(env: Env, order: str) -> tuple[str, str, str]:
    """Authorized 100.00, captured 60.00 then 40.00, invoiced, both PPs applied, released."""
    auth = pay(env, order, "100.00", capture=False, email=f"{order.lower()}@example.com")
    first = capture(env, auth, order, "60.00")
    second = capture(env, auth, order, "40.00")
    settle_webhooks(env)
    number = ord_nbrs(env.sl)[order]
    users.ship(env.sl, number)
    users.invoice(env.sl, number)
    release(env)
    assert env.hub.apply_prepayments() == {"applied": 2}
    release(env)
    return auth, first, second


def refund_balance(env: Env, capture_id: str) -> str:
    details = env.cs.get(f"/tss/v2/transactions/{capture_id}").json()
    return str(details["orderInformation"]["amountDetails"]["refundBalance"])


def refunds(env: Env, auth: str) -> list[dict[str, Any]]:
    return of_kind(cs_transactions(env, auth), "ics_credit")


def amounts(txns: list[dict[str, Any]]) -> list[str]:
    return sorted(t["orderInformation"]["amountDetails"]["totalAmount"] for t in txns)


def release_until_applied(env: Env) -> None:
    """SL applies a CM in one unreleased batch at a time: release, apply the next, repeat."""
    for _ in range(4):
        release(env)
        cycle(env)
    release(env)


def test_a_credit_memo_beyond_the_last_capture_is_refunded_across_both_captures(
    env: Env,
) -> None:
    auth, first, second = shipped_in_two_parts(env, "SPLIT-1")
    memo = sl_credit_memo(env, "SPLIT-1", "80.00")
    cycle(env)

    sent = refunds(env, auth)
    assert amounts(sent) == ["40.00", "40.00"]
    assert (refund_balance(env, second), refund_balance(env, first)) == ("0.00", "20.00")
    dms = [r for r in docs(env.sl, "DM") if r.DocDesc.strip().startswith("Card")]
    assert sorted((str(r.CuryOrigDocAmt), r.User2.strip()) for r in dms) == sorted(
        ("40.0", t["id"]) for t in sent
    )
    (cm,) = docs(env.sl, "CM")
    assert cm.RefNbr.strip() == memo.ref_nbr
    assert cm.User2.strip() in {t["id"] for t in sent}

    # The same CM replayed by an operator: nothing more is refunded or written.
    with env.hub.deps.hub.begin() as conn:
        (event,) = [
            e
            for e in (inbox.get_event(conn, i) for i in range(1, 300))
            if e and e.event_type == "sl.card_refund"
        ]
        inbox.requeue(conn, event.id)
    cycle(env)
    assert len(refunds(env, auth)) == 2
    assert len([r for r in docs(env.sl, "DM") if r.DocDesc.strip().startswith("Card")]) == 2

    release_until_applied(env)
    with env.sl.connect() as conn:
        balances = conn.execute(
            select(D.DocType, D.CuryDocBal).where(D.DocType.in_(["CM", "DM"]), D.Rlsed == 1)
        ).all()
    assert {(t, Decimal(str(b))) for t, b in balances} == {("CM", 0), ("DM", 0)}
    assert trial_balance(env.sl) == predict_trial_balance(
        [
            CapturedBeforeInvoice(Decimal(100)),
            Invoiced(Decimal(100)),
            PrepaymentApplied(Decimal(100)),
            RefundedAfterInvoice(Decimal(80)),
        ]
    )
    card_refund_dms_match_cybersource(env, [auth])
    assert open_tasks(env, "parked") == []


def test_a_split_refund_cut_short_by_a_crash_sends_only_what_is_missing(env: Env) -> None:
    auth, _, second = shipped_in_two_parts(env, "SPLIT-2")
    memo = sl_credit_memo(env, "SPLIT-2", "80.00")
    # What a crash after the first part leaves: 30.00 refunded with the CM's transactionId.
    with env.sl.connect() as conn:
        cust = conn.execute(select(D.CustId).where(D.RefNbr == memo.ref_nbr)).scalar_one()
    body = {
        "clientReferenceInformation": {
            "code": "SPLIT-2",
            "transactionId": transaction_id_for(cust.strip(), memo.ref_nbr),
        },
        "orderInformation": {"amountDetails": {"totalAmount": "30.00", "currency": "USD"}},
    }
    assert env.cs.post(f"/pts/v2/captures/{second}/refunds", json=body).status_code == 201
    cycle(env)

    assert amounts(refunds(env, auth)) == ["10.00", "30.00", "40.00"]
    dms = [r for r in docs(env.sl, "DM") if r.DocDesc.strip().startswith("Card")]
    assert sum((Decimal(str(r.CuryOrigDocAmt)) for r in dms), Decimal(0)) == Decimal(80)
    card_refund_dms_match_cybersource(env, [auth])
    assert open_tasks(env, "refund-refused") == []


def test_a_credit_memo_beyond_both_captures_is_refused_and_nothing_is_sent(env: Env) -> None:
    auth, _, _ = shipped_in_two_parts(env, "SPLIT-3")
    sl_credit_memo(env, "SPLIT-3", "100.01")
    cycle(env)

    assert refunds(env, auth) == []
    (task,) = open_tasks(env, "refund-refused")
    assert "100.00 USD captured and not yet refunded" in task.reason
