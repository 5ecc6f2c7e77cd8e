"""The demo's money-going-back scenes (issue 5): refunds both ways, a cancellation before
capture, a same-day void, chargebacks won and lost.

They run after SL invoiced and released the paid orders, and each ends with everything it
wrote released and applied, so the SL outage that closes the story still leaves only its own
batches unreleased. The hub's loops poll SL and the chargeback report by themselves; the
scenes also run one pass (``hub.money_back()``) so the story does not wait for the loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.demo.context import Context
from slpay.demo.shop import DemoOrder, Line
from slpay.demo.sl_acts import sl_order
from slpay.domain.money import Money
from slpay.sandbox.sl import users
from slpay.sandbox.sl.release import release_all
from slpay.store.schema import xref
from slpay.workflows.chargebacks import decide

BEANS = Line("BEAN-1K", "Coffee beans 1 kg", 2, "24.00")
GRINDER = Line("GRD-200", "Burr grinder", 1, "119.00")
MUG = Line("MUG-01", "Espresso cup", 2, "7.50")


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _recorded(ctx: Context, number: str, operation: str, count: int = 1) -> Callable[[], bool]:
    """The hub recorded ``count`` cross-references of ``operation`` for the order."""

    def check() -> bool:
        x = xref.c
        stmt = select(x.id).where(x.order_number == number, x.operation == operation)
        with ctx.env.hub.deps.hub.connect() as conn:
            return len(conn.execute(stmt).all()) >= count

    return check


def _expect(ctx: Context, number: str, operation: str, count: int = 1) -> None:
    if not _wait(_recorded(ctx, number, operation, count)):
        ctx.note(f"{number}: the hub had not recorded the {operation} after 20 s")


def _release_and_apply(ctx: Context) -> None:
    """SL users release; slpay applies what waited for the release; SL releases that too."""
    hub = ctx.env.hub
    for _ in range(2):
        release_all(ctx.env.sl)
        hub.money_back()
        ctx.settle()
        hub.money_back()  # applications of the documents just released
        hub.apply_prepayments()
    refused = release_all(ctx.env.sl).refused
    for reason in refused:
        ctx.note(f"SL refused a batch: {reason}")


def _sale(ctx: Context, order: DemoOrder, how: str) -> str:
    sale = ctx.shop.pay(order, capture=True)
    ctx.place(order, how, sale.id or "")
    return sale.id or ""


def refunds_in_cybersource(ctx: Context) -> None:
    """A full refund before SL invoiced the order (card-refund DM paid by the PP; the SO
    cancelled) and a partial one of an invoiced order (CM on Refunds + card-refund DM)."""
    o = DemoOrder("WEB-1015", "Hedy", "Lamarr", "hedy@example.com", [BEANS])
    sale = _sale(ctx, o, "site sale, refunded in full before invoicing")
    ctx.settle()
    ctx.shop.cs.refund_payment(sale, o.total, code=o.number)
    invoiced = ctx.placed["WEB-1002"]
    ctx.shop.cs.refund_payment(invoiced.payment_id, Money.of("4.25", "USD"), code="WEB-1002")
    invoiced.how += "; partly refunded in Cybersource after invoicing"
    ctx.settle()
    _expect(ctx, "WEB-1015", "refund")
    _expect(ctx, "WEB-1002", "refund")
    _release_and_apply(ctx)


def sl_credit_memo_refund(ctx: Context) -> None:
    """An SL user enters a credit memo flagged CARDREFUND for an invoiced order and releases
    it; slpay refunds the card in Cybersource and writes the card-refund DM."""
    number = "WEB-1003"
    ord_nbr = sl_order(ctx, number)
    with ctx.env.sl.connect() as conn:
        cust = conn.execute(
            select(sl.SOHeader.c.CustID).where(sl.SOHeader.c.OrdNbr == ord_nbr)
        ).scalar_one()
    memo = users.credit_memo(
        ctx.env.sl, read_char(cust), Money.of("7.50", "USD"), ord_nbr=ord_nbr, card_refund=True
    )
    release_all(ctx.env.sl)
    ctx.note(f"SL user entered credit memo {memo.ref_nbr} for {ord_nbr} flagged CARDREFUND")
    ctx.env.hub.money_back()
    ctx.settle()
    _expect(ctx, number, "refund")
    ctx.placed[number].how += "; SL credit memo refunded to the card"
    _release_and_apply(ctx)


def cancellations(ctx: Context) -> None:
    """SL cancels an order before capture (the authorization is reversed) and one whose
    capture is from today (the capture is voided; SL gets a card-refund DM paid by the PP)."""
    auth_only = DemoOrder("WEB-1016", "Barbara", "Liskov", "barbara@example.com", [MUG])
    auth = ctx.shop.pay(auth_only, capture=False)
    ctx.place(auth_only, "site authorization; SL cancelled the order: reversed", auth.id or "")
    sold = DemoOrder("WEB-1017", "Frances", "Allen", "frances@example.com", [GRINDER])
    _sale(ctx, sold, "site sale; SL cancelled the order the same day: voided")
    ctx.settle()
    for number in ("WEB-1016", "WEB-1017"):
        users.cancel(ctx.env.sl, sl_order(ctx, number))
    ctx.env.hub.money_back()
    ctx.settle()
    _expect(ctx, "WEB-1016", "reversal")
    _expect(ctx, "WEB-1017", "void")
    _release_and_apply(ctx)


def chargebacks(ctx: Context) -> None:
    """Cybersource settles the day, then two paid orders are disputed (chargeback report →
    DM + task); the operator decides one won (PA applied to the DM) and one lost (CM)."""
    http, cs_url = ctx.shop.http, ctx.env.cs_url
    http.post(f"{cs_url}/sandbox/close-day", json={}).raise_for_status()
    disputed = {}
    for number in ("WEB-1009", "WEB-1010"):
        r = http.post(
            f"{cs_url}/sandbox/chargebacks",
            json={"transactionId": ctx.placed[number].payment_id},
        )
        r.raise_for_status()
        disputed[number] = str(r.json()["chargebackId"])
    ctx.inject("chargebacks", len(disputed))
    ctx.env.hub.money_back()  # reads the chargeback report
    ctx.settle()
    for number in disputed:
        _expect(ctx, number, "chargeback")
    release_all(ctx.env.sl)
    deps = ctx.env.hub.deps
    decide(deps, disputed["WEB-1009"], won=True, note="demo: evidence accepted")
    decide(deps, disputed["WEB-1010"], won=False, note="demo: the shopper's bank upheld it")
    ctx.placed["WEB-1009"].how += "; chargeback won"
    ctx.placed["WEB-1010"].how += "; chargeback lost"
    ctx.settle()
    _expect(ctx, "WEB-1009", "chargeback-won")
    _expect(ctx, "WEB-1010", "chargeback-lost")
    _release_and_apply(ctx)
