"""The demo's story, as a list of steps (:data:`STEPS`); each one drives the real paths.

To add a scene (refunds, chargebacks, ...), write ``def my_scene(ctx: Context) -> None`` and
put ``Step("title", my_scene)`` in :data:`STEPS` where it belongs in the story. The order
matters: the sweep runs before any review is decided, because a decided review no longer looks
like the notification Cybersource sent for it and would be counted as found by the sweep.
"""

from __future__ import annotations

import time

from slpay.demo import money_back
from slpay.demo.context import Context, Step
from slpay.demo.shop import DM_REVIEW, DemoOrder, Line
from slpay.demo.sl_acts import (
    capture_on_ship_available,
    deferred_events,
    invoice_and_release,
    sl_order,
)

# The eCommerce site's catalogue (SKU, name, unit price).
MUG = ("MUG-01", "Espresso cup", "7.50")
BEANS = ("BEAN-1K", "Coffee beans 1 kg", "24.00")
GRINDER = ("GRD-200", "Burr grinder", "119.00")
FILTER = ("FLT-100", "Paper filters x100", "4.25")
#: 3001.00 is the sandbox's "insufficient funds" trigger.
ROASTER = ("RST-9", "Shop coffee roaster", "3001.00")


def _lines(*items: tuple[tuple[str, str, str], int]) -> list[Line]:
    return [Line(sku, name, qty, price) for (sku, name, price), qty in items]


def _expect_created(ctx: Context, order: DemoOrder, status: int, body: str) -> None:
    if status not in (200, 201):
        ctx.note(f"{order.number}: /api/orders answered {status}: {body[:200]}")


def customers_and_lines(ctx: Context) -> None:
    """An existing customer by SL id, a new one built from Cybersource, one matched by e-mail."""
    shop = ctx.shop
    o1 = DemoOrder("WEB-1001", "Nancy", "Davolio", "orders@northwind.example",
                   _lines((GRINDER, 1), (BEANS, 2), (MUG, 4)), customer_id="C00001")  # fmt: skip
    r = shop.post_order(o1)
    _expect_created(ctx, o1, r.status_code, r.text)
    ctx.place(o1, "POST /api/orders with a Microform token: slpay sold it")

    o2 = DemoOrder("WEB-1002", "Ada", "Lovelace", "ada@example.com",
                   _lines((BEANS, 1), (FILTER, 3)), brand="mastercard")  # fmt: skip
    sale = shop.pay(o2, capture=True)
    ctx.place(o2, "site sale on Cybersource, no order posted: SO from transaction details",
              sale.id or "")  # fmt: skip

    o3 = DemoOrder("WEB-1003", "Jane", "Doe", "jane.doe@example.com",
                   _lines((MUG, 2), (FILTER, 1)), brand="amex")  # fmt: skip
    sale = shop.pay(o3, capture=True)
    r = shop.post_order(o3, payment_id=sale.id or "")
    _expect_created(ctx, o3, r.status_code, r.text)
    ctx.place(o3, "site sale, then POST /api/orders with the payment id", sale.id or "")
    ctx.settle()


def decline(ctx: Context) -> None:
    """A card declined at the site's checkout; the reject webhook writes a cancelled SO."""
    o = DemoOrder("WEB-1004", "Mallory", "Smith", "mallory@example.com",
                  _lines((ROASTER, 1)))  # fmt: skip
    auth = ctx.shop.pay(o, capture=False)
    if (auth.status or "") != "DECLINED":
        ctx.note(f"{o.number}: expected DECLINED, Cybersource answered {auth.status}")
    ctx.place(o, "site authorization declined (insufficient funds)", auth.id or "")
    ctx.settle()


def reviews_placed(ctx: Context) -> None:
    """Two authorizations held by Decision Manager for review (SO on AdminHold)."""
    for number, who in (("WEB-1005", ("Grace", "Hopper")), ("WEB-1006", ("Eve", "Moneypenny"))):
        o = DemoOrder(number, *who, f"{who[0].lower()}@example.com",
                      _lines((GRINDER, 1), (BEANS, 1)), street=DM_REVIEW)  # fmt: skip
        auth = ctx.shop.pay(o, capture=False)
        ctx.place(o, "site authorization held for review by Decision Manager", auth.id or "")
    ctx.settle()


def dropped_webhooks(ctx: Context) -> None:
    """Cybersource drops 4 notifications (2 sales); the hub's sweep finds and posts them."""
    ctx.shop.webhook_faults(drop=4)
    ctx.inject("dropped_webhooks", 4)
    for number, who in (("WEB-1007", ("Alan", "Turing")), ("WEB-1008", ("Joan", "Clarke"))):
        o = DemoOrder(number, *who, f"{who[0].lower()}@example.com",
                      _lines((BEANS, 3), (MUG, 1)))  # fmt: skip
        sale = ctx.shop.pay(o, capture=True)
        ctx.place(o, "site sale; both webhooks dropped, found by the sweep", sale.id or "")
    ctx.settle()
    found = ctx.env.hub.sweep()
    ctx.note(f"the sweep searched Cybersource and found {found} events no webhook announced")
    ctx.settle()


def reviews_decided(ctx: Context) -> None:
    """The analyst accepts one review (the hold is lifted; it is captured when SL ships it)
    and rejects the other (reversed, the SO cancelled)."""
    for number, accept in (("WEB-1005", True), ("WEB-1006", False)):
        placed = ctx.placed[number]
        ctx.shop.decide(placed.payment_id, accept=accept)
        placed.how += ": accepted" if accept else ": rejected and reversed"
    ctx.settle()


def duplicates_and_reordering(ctx: Context) -> None:
    """Every notification of one sale sent twice; two sales' notifications newest first."""
    ctx.shop.webhook_faults(duplicate=2)
    ctx.inject("duplicated_webhooks", 2)
    o = DemoOrder("WEB-1009", "Linus", "Pauling", "linus@example.com", _lines((FILTER, 5)))
    sale = ctx.shop.pay(o, capture=True)
    ctx.place(o, "site sale; each webhook delivered twice", sale.id or "")
    ctx.settle()
    ctx.shop.webhook_faults(reorder=4)
    ctx.inject("reordered_webhooks", 4)
    for number, who in (("WEB-1010", ("Rosalind", "Franklin")), ("WEB-1011", ("Marie", "Curie"))):
        o = DemoOrder(number, *who, f"{who[0].lower()}@example.com",
                      _lines((MUG, 6), (BEANS, 1)), brand="discover")  # fmt: skip
        sale = ctx.shop.pay(o, capture=True)
        ctx.place(o, "site sale; webhooks arrived newest first (capture before order)",
                  sale.id or "")  # fmt: skip
    ctx.settle()


def auth_only_shipped_later(ctx: Context) -> None:
    """An authorization only; SL ships it and the accepted review; the hub captures both."""
    o = DemoOrder("WEB-1012", "Katherine", "Johnson", "katherine@example.com",
                  _lines((GRINDER, 2), (FILTER, 2)))  # fmt: skip
    auth = ctx.shop.pay(o, capture=False)
    r = ctx.shop.post_order(o, payment_id=auth.id or "")
    _expect_created(ctx, o, r.status_code, r.text)
    ctx.place(o, "site authorization only, then POST /api/orders; captured on shipment",
              auth.id or "")  # fmt: skip
    ctx.settle()
    shipped = ("WEB-1005", "WEB-1012")
    if not capture_on_ship_available(ctx):
        ctx.skipped.append(
            "capture on shipment: this hub has no shipping loop, so WEB-1005 and WEB-1012 "
            "were not shipped and stay authorized (not captured)"
        )
        return
    from slpay.sandbox.sl import users

    for number in shipped:
        ord_nbr = sl_order(ctx, number)
        users.ship(ctx.env.sl, ord_nbr)
        ctx.note(f"SL user confirmed a shipper for {ord_nbr} ({number})")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(_captured(ctx, n) for n in shipped):
        time.sleep(0.1)
    ctx.settle()
    for number in shipped:
        if not _captured(ctx, number):
            ctx.note(f"{number} was shipped but the hub had not captured it after 20 s")


def _captured(ctx: Context, number: str) -> bool:
    from slpay.demo.sl_acts import captures_of

    return bool(captures_of(ctx, number))


def sl_invoices_and_releases(ctx: Context) -> None:
    """SL users ship and invoice the paid orders and release; slpay applies PP → IN."""
    invoice_and_release(ctx)


def sl_outage(ctx: Context) -> None:
    """SL is down while two orders come in; they wait, retry, and post once SL is back."""
    writer = ctx.env.hub.deps.writer
    writer.faults.set("unavailable")
    ctx.inject("sl_outage", 1)
    for number, who, cust in (
        ("WEB-1013", ("Nancy", "Davolio"), "C00001"),
        ("WEB-1014", ("Ida", "Rhodes"), ""),
    ):
        o = DemoOrder(number, *who, f"{who[0].lower()}@outage.example",
                      _lines((BEANS, 2)), customer_id=cust)  # fmt: skip
        r = ctx.shop.post_order(o)
        _expect_created(ctx, o, r.status_code, r.text)
        ctx.place(o, "POST /api/orders with a token during the SL outage")
    ctx.settle()  # stored in the inbox; the SL writes are deferred with backoff
    time.sleep(1.5)  # the outage lasts a moment; the hub keeps retrying with backoff
    waiting = ctx.observed["deferred_during_sl_outage"] = deferred_events(ctx)
    writer.faults.clear()
    ctx.note(
        f"SL was unavailable for about 2 s: {waiting} events waited in the inbox after failed "
        "attempts, then posted once SL was back"
    )
    ctx.settle(include_deferred=True)


STEPS: list[Step] = [
    Step("New and existing customers, orders with several lines", customers_and_lines),
    Step("A declined card", decline),
    Step("Two orders held for Decision Manager review", reviews_placed),
    Step("Dropped webhooks, caught by the sweep", dropped_webhooks),
    Step("Reviews decided: one accepted, one rejected", reviews_decided),
    Step("Duplicate and out-of-order webhooks", duplicates_and_reordering),
    Step("An auth-only order, captured when SL ships it", auth_only_shipped_later),
    Step("SL users ship, invoice and release; prepayments applied", sl_invoices_and_releases),
    Step("Refunds in Cybersource, before and after invoicing", money_back.refunds_in_cybersource),
    Step("An SL credit memo refunded to the card", money_back.sl_credit_memo_refund),
    Step("SL cancellations: a reversal and a same-day void", money_back.cancellations),
    Step("Chargebacks, one won and one lost", money_back.chargebacks),
    Step("A short SL outage (its batches are left unreleased)", sl_outage),
]
