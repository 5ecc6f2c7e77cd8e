"""The actors around the hub: the eCommerce site, the shoppers' browsers, Cybersource's
controls, and a wait for the webhooks to land.

The site talks to Cybersource with slpay's own connector (as a merchant's site would with its
SDK) and to the hub's ``POST /api/orders`` with an API key. Shoppers' cards become Microform
transient tokens in the sandbox (:func:`slpay.sandbox.cybersource.shopper.transient_token`),
so no card number ever passes through this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from slpay.api.security import API_KEY_HEADER
from slpay.connectors.cybersource import CybersourceClient, build_authorize_request
from slpay.connectors.cybersource import operations as ops
from slpay.connectors.cybersource.models.common import Address, LineItem
from slpay.connectors.cybersource.models.payments import PaymentResponse
from slpay.connectors.cybersource.requests import build_decision_action_request
from slpay.demo.env import DemoEnv
from slpay.domain.money import Money
from slpay.sandbox.cybersource.shopper import transient_token

#: Decision Manager's profile in the sandbox is chosen by the billing street.
DM_ACCEPT, DM_REVIEW, DM_REJECT = "1 London Bridge", "2 London Bridge", "3 London Bridge"


@dataclass(frozen=True)
class Line:
    sku: str
    name: str
    quantity: int
    unit_price: str


@dataclass
class DemoOrder:
    """One shopper's order, as the site knows it."""

    number: str
    first_name: str
    last_name: str
    email: str
    lines: list[Line]
    street: str = DM_ACCEPT
    customer_id: str = ""
    brand: str = "visa"
    currency: str = "USD"

    @property
    def total(self) -> Money:
        amount = sum((Decimal(x.unit_price) * x.quantity for x in self.lines), Decimal(0))
        return Money.of(str(amount), self.currency)

    def bill_to(self) -> Address:
        return Address(
            first_name=self.first_name,
            last_name=self.last_name,
            address1=self.street,
            locality="London",
            postal_code="SE1 9RA",
            country="GB",
            email=self.email,
        )

    def intake(self) -> dict[str, Any]:
        """The order as ``POST /api/orders`` takes it (without the payment)."""
        b = self.bill_to()
        return {
            "order_number": self.number,
            "currency": self.currency,
            "total": str(self.total.amount),
            "customer": {"id": self.customer_id, "email": self.email},
            "bill_to": {
                "first_name": b.first_name,
                "last_name": b.last_name,
                "address1": b.address1,
                "city": b.locality,
                "postal_code": b.postal_code,
                "country": b.country,
                "email": b.email,
            },
            "lines": [
                {
                    "sku": x.sku,
                    "name": x.name,
                    "quantity": str(x.quantity),
                    "unit_price": x.unit_price,
                }
                for x in self.lines
            ],
        }


@dataclass
class Shop:
    """The eCommerce site, the shoppers and the sandbox's controls."""

    env: DemoEnv
    cs: CybersourceClient = field(init=False)
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.cs = CybersourceClient(self.env.settings.cybersource)
        self.http = httpx.Client(timeout=30.0)

    def close(self) -> None:
        self.cs.close()
        self.http.close()

    def token(self, brand: str) -> str:
        """The shopper types a test card into the Microform stand-in; the site gets a token."""
        return transient_token(self.env.cs_url, brand, client=self.http)

    def pay(self, order: DemoOrder, *, capture: bool) -> PaymentResponse:
        """The site authorizes (or sells) on Cybersource itself, with billing and lines."""
        items = [
            LineItem(product_code="default", product_name=x.name, product_sku=x.sku,
                     quantity=x.quantity, unit_price=Decimal(x.unit_price))
            for x in order.lines
        ]  # fmt: skip
        request = build_authorize_request(
            order.total,
            code=order.number,
            capture=capture,
            transient_token=self.token(order.brand),
            bill_to=order.bill_to(),
            line_items=items,
        )
        return self.cs.authorize(request)

    def decide(self, payment_id: str, *, accept: bool) -> None:
        """The fraud analyst's decision in the Decision Manager case (no follow-on: the
        accepted authorization is captured when SL ships the order; a rejected one is
        reversed)."""
        request = build_decision_action_request(
            accept=accept, comments="demo analyst", follow_on=not accept
        )
        self.cs.call(ops.decision_action(payment_id, request))

    def post_order(self, order: DemoOrder, *, payment_id: str = "") -> httpx.Response:
        """``POST /api/orders``: with the site's payment id, or a token slpay charges itself."""
        body = order.intake()
        if payment_id:
            body["payment_id"] = payment_id
        else:
            body["transient_token"] = self.token(order.brand)
        return self.http.post(
            f"{self.env.hub_url}/api/orders", json=body, headers={API_KEY_HEADER: self.env.api_key}
        )

    # --- the Cybersource sandbox's own controls ------------------------------------------

    def webhook_faults(self, **counts: int) -> None:
        """The next deliveries are dropped / sent twice / held and sent newest first."""
        r = self.http.post(f"{self.env.cs_url}/sandbox/webhooks/faults", json=counts)
        r.raise_for_status()

    def deliveries(self) -> list[dict[str, Any]]:
        r = self.http.get(f"{self.env.cs_url}/sandbox/webhooks/deliveries")
        r.raise_for_status()
        found: list[dict[str, Any]] = r.json()["deliveries"]
        return found

    def settle(self, timeout: float = 30.0, *, include_deferred: bool = False) -> bool:
        """Wait until every webhook is delivered (or dropped) and the hub's inbox is idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = [d for d in self.deliveries() if d["status"] in ("pending", "retrying")]
            if not busy:
                break
            time.sleep(0.05)
        left = max(deadline - time.monotonic(), 1.0)
        return self.env.hub.wait_idle(timeout=left, include_deferred=include_deferred)
