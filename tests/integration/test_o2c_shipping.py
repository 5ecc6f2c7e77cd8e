"""Capture on shipment (auth-only merchants): SL confirms shippers → the hub captures in
Cybersource, partially per shipment → PPs in SL → invoice, release, apply → invoice paid.

Real HTTP to the Cybersource sandbox, real webhooks to the served hub, the SL sandbox company
(the ``env`` fixture of test_o2c_flow)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
import test_o2c_flow
from sqlalchemy import select
from test_o2c_flow import Env, ord_nbrs, settle_webhooks, sl_count

from slpay.connectors.dynamics_sl import schema as sl
from slpay.domain.money import Money
from slpay.sandbox.cybersource.testing import card_payment
from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    Invoiced,
    PrepaymentApplied,
    predict_trial_balance,
)
from slpay.sandbox.sl.release import release_all
from slpay.store.audit import timeline
from slpay.store.schema import inbox, inbox_duplicates
from slpay.workflows.shipping import plan_amount

env = test_o2c_flow.env  # the same fixture: sandboxes, served hub, SL company
PP = sl.ARDoc.c.DocType == "PP"


def authorize(env: Env, order: str, lines: list[tuple[str, int, str]]) -> str:
    """An auth-only payment for ``lines`` (sku, quantity, unit price); returns its id."""
    total = sum(Decimal(price) * qty for _, qty, price in lines)
    body: dict[str, Any] = card_payment(order, f"{total:.2f}", capture=False, address1="1 Main")
    body["orderInformation"]["billTo"]["email"] = f"{order.lower()}@example.com"
    body["orderInformation"]["lineItems"] = [
        {"productSku": sku, "productName": sku, "quantity": qty, "unitPrice": price}
        for sku, qty, price in lines
    ]
    response = env.cs.post("/pts/v2/payments", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def wait_for(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def prepayments(env: Env) -> dict[str, Decimal]:
    """SL PPs: Cybersource id (User2) → amount."""
    d = sl.ARDoc.c
    with env.sl.connect() as conn:
        rows = conn.execute(select(d.User2, d.CuryOrigDocAmt).where(PP)).all()
    return {r.User2.strip(): Decimal(str(r.CuryOrigDocAmt)).quantize(Decimal("0.01")) for r in rows}


def test_partial_shipments_are_captured_partially_and_the_invoice_ends_paid(env: Env) -> None:
    auth = authorize(env, "SHIP-1", [("SKU-A", 2, "30.00"), ("SKU-B", 1, "40.00")])
    settle_webhooks(env)
    number = ord_nbrs(env.sl)["SHIP-1"]
    assert sl_count(env.sl, sl.ARDoc, PP) == 0  # authorized only

    users.ship(env.sl, number, {"1": Decimal(1)})  # one SKU-A: 30.00
    assert env.hub.capture_shipments() == 1
    wait_for(lambda: len(prepayments(env)) == 1)
    users.ship(env.sl, number)  # the rest: one SKU-A and the SKU-B, 70.00
    assert env.hub.capture_shipments() == 1
    wait_for(lambda: len(prepayments(env)) == 2)
    settle_webhooks(env)  # the captures' own webhooks arrive as duplicates

    pps = prepayments(env)
    assert sorted(pps.values()) == [Decimal("30.00"), Decimal("70.00")]
    assert env.hub.capture_shipments() == 0  # nothing new shipped: nothing captured again
    assert env.hub.summary()["captured"] == 2
    assert env.hub.summary()["duplicates_skipped"] == 2
    assert sl_count(env.sl, sl.SOHeader) == 1

    assert release_all(env.sl).refused == []
    users.invoice(env.sl, number)
    assert release_all(env.sl).refused == []
    assert env.hub.apply_prepayments() == {"applied": 2}
    assert release_all(env.sl).refused == []
    d = sl.ARDoc.c
    assert sl_count(env.sl, sl.ARDoc, d.DocType == "IN", d.CuryDocBal == 0) == 1
    events = [
        CapturedBeforeInvoice(Decimal("30.00")),
        CapturedBeforeInvoice(Decimal("70.00")),
        Invoiced(Decimal("100.00")),
        PrepaymentApplied(Decimal("30.00")),
        PrepaymentApplied(Decimal("70.00")),
    ]
    assert trial_balance(env.sl) == predict_trial_balance(events)
    with env.hub.deps.hub.connect() as conn:
        actions = [e.action for e in timeline(conn, auth)]
    assert actions.count("capture.on_shipment") == 2
    # slpay's own captures are stored with source shipping (or, when the capture's webhook
    # got there first, recorded as its duplicate with that source).
    with env.hub.deps.hub.connect() as conn:
        keys = dict(
            conn.execute(
                select(inbox.c.dedupe_key, inbox.c.source).where(inbox.c.resource_id.in_(pps))
            ).all()
        )
        dups = conn.execute(
            select(inbox_duplicates.c.dedupe_key, inbox_duplicates.c.source).where(
                inbox_duplicates.c.dedupe_key.in_(keys)
            )
        ).all()
    by_key = {k: {s} for k, s in keys.items()}
    for k, s in dups:
        by_key[k].add(s)
    assert len(by_key) == 2
    assert all("shipping" in sources for sources in by_key.values())


def test_a_shipment_seen_again_never_captures_twice(env: Env) -> None:
    from slpay.workflows.shipping import Shipment, capture_shipment, transaction_id

    auth = authorize(env, "SHIP-2", [("SKU-A", 1, "25.00")])
    settle_webhooks(env)
    number = ord_nbrs(env.sl)["SHIP-2"]
    shipped = users.ship(env.sl, number)
    assert env.hub.capture_shipments() == 1
    wait_for(lambda: len(prepayments(env)) == 1)

    # A process that lost its polling state (a restart) reads the same shipper again: the
    # workflow id is the same, so nothing starts twice.
    env.hub.deps.extra.pop("shipping_mark")
    env.hub.capture_shipments()
    # The workflow body run again outside its checkpoints (a crash in the capture step)
    # finds the first capture by its transactionId instead of sending another.
    company = env.hub.deps.settings.sl.company
    shipment = Shipment(auth, company, shipped.shipper_id, number, "SHIP-2")
    env.hub.runtime.start_workflow(capture_shipment, shipment, workflow_id="ship-rerun")
    wait_for(lambda: _captured_entries(env, auth) == 2)
    query = f"clientReferenceInformation.transactionId:{transaction_id(shipment)}"
    found = env.cs.post("/tss/v2/searches", json={"query": query}).json()
    assert len(found["_embedded"]["transactionSummaries"]) == 1
    settle_webhooks(env)
    assert list(prepayments(env).values()) == [Decimal("25.00")]
    assert env.hub.summary()["parked"] == 0


def test_an_order_on_hold_or_a_sale_is_not_captured_on_shipment(env: Env) -> None:
    body = card_payment("SALE-1", "18.00", capture=True, address1="1 Main")
    body["orderInformation"]["billTo"]["email"] = "sale@example.com"
    assert env.cs.post("/pts/v2/payments", json=body).status_code == 201
    settle_webhooks(env)
    users.ship(env.sl, ord_nbrs(env.sl)["SALE-1"])
    assert env.hub.capture_shipments() == 1
    wait_for(lambda: _skipped(env, "SALE-1"))
    settle_webhooks(env)
    assert list(prepayments(env).values()) == [Decimal("18.00")]  # the sale's own capture


def test_a_review_accepted_with_its_capture_is_not_captured_again_on_shipment(env: Env) -> None:
    body = card_payment("SHIP-DM", "40.00", capture=False, address1="2 London Bridge")
    body["orderInformation"]["billTo"]["email"] = "ship-dm@example.com"
    response = env.cs.post("/pts/v2/payments", json=body)
    assert response.json()["status"] == "AUTHORIZED_PENDING_REVIEW", response.text
    auth = str(response.json()["id"])
    decision = {
        "decisionInformation": {"decision": "ACCEPT", "comments": "looks fine"},
        "processingInformation": {"actionList": ["CAPTURE"]},
    }
    assert env.cs.post(f"/risk/v1/decisions/{auth}/actions", json=decision).status_code == 201
    settle_webhooks(env)
    wait_for(lambda: len(prepayments(env)) == 1)  # the review's capture, via its webhook

    users.ship(env.sl, ord_nbrs(env.sl)["SHIP-DM"])
    assert env.hub.capture_shipments() == 1
    wait_for(lambda: _skipped(env, "SHIP-DM"))
    settle_webhooks(env)
    assert list(prepayments(env).values()) == [Decimal("40.00")]
    assert _captured_entries(env, auth) == 0
    assert env.hub.summary()["parked"] == 0
    found = env.cs.post("/tss/v2/searches", json={"query": f"rootId:{auth}"}).json()
    summaries = found["_embedded"]["transactionSummaries"]
    captures = [
        t for t in summaries
        if "ics_bill" in [a["name"] for a in t["applicationInformation"]["applications"]]
    ]  # fmt: skip
    assert len(captures) == 1


def _captured_entries(env: Env, auth: str) -> int:
    with env.hub.deps.hub.connect() as conn:
        return [e.action for e in timeline(conn, auth)].count("capture.on_shipment")


def _skipped(env: Env, order: str) -> bool:
    with env.hub.deps.hub.connect() as conn:
        return any(e.action == "capture.skipped" for e in timeline(conn, order))


@pytest.mark.parametrize(
    ("shipped", "shipper", "final", "expected"),
    [
        ([("S1", "30"), ("S2", "70")], "S1", False, "30.00"),
        ([("S1", "30"), ("S2", "70")], "S2", True, "70.00"),
        ([("S1", "80"), ("S2", "70")], "S2", False, "20.00"),  # never beyond the authorization
        ([("S1", "33.33"), ("S2", "33.33")], "S2", True, "66.67"),  # the rest on the last one
        ([("S1", "100"), ("S2", "5")], "S2", False, "0.00"),
        ([("S1", "30")], "S9", False, "0.00"),
    ],
)
def test_shipment_amounts_are_capped_by_what_was_authorized(
    shipped: list[tuple[str, str]], shipper: str, final: bool, expected: str
) -> None:
    rows = [(sid, Decimal(a)) for sid, a in shipped]
    amount = plan_amount(Money.of("100.00", "USD"), rows, shipper, final)
    assert amount == Money.of(expected, "USD")
