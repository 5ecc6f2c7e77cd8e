"""Webhook management (FACTS §8.1–8.2) and the event outbox that feeds the delivery worker.

Subscriptions are ACTIVE as soon as they are created (no health-check ping). Events go to
every active subscription whose products include the event type, and to the ``--webhook-url``
given at start (a pseudo-subscription to everything, not listed by the API). Controls can
drop, duplicate or reorder the next deliveries (``WebhookFaults``).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy import update as sa_update

from . import fields
from .asgi import Request, Response, Router
from .core import PendingEvent, Sandbox
from .delivery import DEFAULT_POLICY
from .store import (
    deliveries,
    events,
    from_json,
    inserted_id,
    stamp,
    subscriptions,
    to_json,
)
from .wire import bad_field, dumps, not_found, utc_z

PRODUCTS: dict[str, tuple[str, list[str]]] = {
    "cardProcessing": (
        "Card Processing",
        [
            "payments.payments.accept",
            "payments.payments.review",
            "payments.payments.reject",
            "payments.captures.accept",
            "payments.refunds.accept",
            "payments.reversals.accept",
            "payments.voids.accept",
            "payments.credits.accept",
        ],
    ),
    "decisionManager": (
        "Decision Manager",
        ["risk.casemanagement.decision.accept", "risk.casemanagement.decision.reject"],
    ),
}
DEFAULT_WEBHOOK_ID = "00000000-0000-4000-8000-00000000d00d"


@dataclass
class WebhookFaults:
    """How many of the next deliveries to drop, duplicate or hold back and send reversed."""

    drop: int = 0
    duplicate: int = 0
    reorder: int = 0


class Webhooks:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.faults = WebhookFaults()
        self._subs: list[dict[str, Any]] | None = None
        sb.event_sink = self.store_events

    def register(self, r: Router) -> None:
        r.add("GET", "/notification-subscriptions/v2/products/{org}", self.products)
        r.add("POST", "/notification-subscriptions/v2/webhooks", self.create)
        r.add("GET", "/notification-subscriptions/v2/webhooks", self.list_subscriptions)
        r.add("GET", "/notification-subscriptions/v2/webhooks/{wid}", self.get)
        r.add("DELETE", "/notification-subscriptions/v2/webhooks/{wid}", self.delete)

    # -- subscriptions -----------------------------------------------------------------------

    def products(self, req: Request) -> Response:
        out = [
            {
                "productId": pid,
                "productName": name,
                "eventTypes": [
                    {
                        "eventName": e,
                        "displayName": e,
                        "frequency": 1,
                        "timeSensitivity": True,
                        "payloadEncryption": pid == "cardProcessing",
                    }
                    for e in evs
                ],
            }
            for pid, (name, evs) in PRODUCTS.items()
        ]
        return Response(200, json.dumps(out).encode(), "application/json;charset=utf-8")

    def create(self, req: Request) -> Response:
        body = req.json()
        now = self.sb.now()
        url = fields.text(body, "webhookUrl", now, required=True, max_len=2000) or ""
        if not url.startswith(("http://", "https://")):
            raise bad_field(now, "webhookUrl")
        products = body.get("products")
        if not isinstance(products, list) or not products:
            raise bad_field(now, "products")
        for i, p in enumerate(products):
            known = PRODUCTS.get(p.get("productId", "") if isinstance(p, dict) else "")
            types = p.get("eventTypes") if isinstance(p, dict) else None
            if known is None or not isinstance(types, list) or not set(types) <= set(known[1]):
                raise bad_field(now, f"products[{i}]")
        sub: dict[str, Any] = {
            "webhookId": str(uuid.uuid4()),
            "organizationId": str(body.get("organizationId") or self.sb.config.merchant_id),
            "products": [
                {"productId": p["productId"], "eventTypes": p["eventTypes"]} for p in products
            ],
            "webhookUrl": url,
            "status": "ACTIVE",
            "name": str(body.get("name", "")),
            "description": str(body.get("description", "")),
            "retryPolicy": {**DEFAULT_POLICY, **(body.get("retryPolicy") or {})},
            "createdOn": utc_z(now),
            "notificationScope": str(body.get("notificationScope", "SELF")),
        }
        for opt in ("healthCheckUrl", "securityPolicy"):
            if body.get(opt):
                sub[opt] = body[opt]
        with self.sb.work() as conn:
            conn.execute(
                subscriptions.insert().values(
                    webhook_id=sub["webhookId"],
                    status="ACTIVE",
                    created=stamp(now),
                    data=to_json(sub),
                )
            )
            self.forget_subscriptions()
        return Response(201, dumps(sub))

    def _all(self, conn: Connection) -> list[dict[str, Any]]:
        """All subscriptions; cached, because every payment looks for its event's targets."""
        if self._subs is None:
            rows = conn.execute(select(subscriptions).order_by(subscriptions.c.created)).all()
            self._subs = [from_json(r.data) for r in rows]
        return self._subs

    def forget_subscriptions(self) -> None:
        """Drop the cache (after a change, or a reset)."""
        self._subs = None

    def list_subscriptions(self, req: Request) -> Response:
        with self.sb.work() as conn:
            subs = self._all(conn)
        pid, etype = req.query.get("productId"), req.query.get("eventType")
        if pid:
            subs = [s for s in subs if any(p["productId"] == pid for p in s["products"])]
        if etype:
            subs = [s for s in subs if any(etype in p["eventTypes"] for p in s["products"])]
        return Response(200, json.dumps(subs).encode(), "application/json;charset=utf-8")

    def get(self, req: Request) -> Response:
        with self.sb.work() as conn:
            row = conn.execute(
                select(subscriptions).where(subscriptions.c.webhook_id == req.params["wid"])
            ).first()
        if row is None:
            raise not_found(self.sb.now(), "Webhook not found")
        return Response(200, row.data.encode())

    def delete(self, req: Request) -> Response:
        with self.sb.work() as conn:
            gone = conn.execute(
                delete(subscriptions).where(subscriptions.c.webhook_id == req.params["wid"])
            )
            self.forget_subscriptions()
        if not gone.rowcount:
            raise not_found(self.sb.now(), "Webhook not found")
        return Response(200, b"{}")

    # -- outbox ------------------------------------------------------------------------------

    def _targets(self, conn: Connection, ev: PendingEvent) -> list[tuple[str, str, dict[str, Any]]]:
        out = []
        if self.sb.config.webhook_url:
            policy = {**DEFAULT_POLICY, "numberOfRetries": self.sb.config.default_webhook_retries}
            out.append((DEFAULT_WEBHOOK_ID, self.sb.config.webhook_url, policy))
        for sub in self._all(conn):
            if sub.get("status") != "ACTIVE":
                continue
            if any(
                p["productId"] == ev.product_id and ev.event_type in p["eventTypes"]
                for p in sub["products"]
            ):
                out.append(
                    (sub["webhookId"], sub["webhookUrl"], sub.get("retryPolicy") or DEFAULT_POLICY)
                )
        return out

    def store_events(self, conn: Connection, pending: list[PendingEvent]) -> int:
        """Write events and one delivery per target (the outbox), applying delivery faults;
        returns how many deliveries were queued."""
        now = self.sb.now()
        queued = 0
        for ev in pending:
            targets = self._targets(conn, ev)
            if not targets:
                continue  # nobody listens: nothing to deliver, nothing to keep
            event_id = inserted_id(
                conn,
                events.insert().values(
                    event_type=ev.event_type,
                    product_id=ev.product_id,
                    resource_id=ev.resource_id,
                    created=stamp(now),
                    data=to_json(ev.data),
                ),
            )
            for webhook_id, url, policy in targets:
                self.add_delivery(conn, event_id, webhook_id, url, policy, "NEW")
                queued += 1
        return queued

    def add_delivery(
        self,
        conn: Connection,
        event_id: int,
        webhook_id: str,
        url: str,
        policy: dict[str, Any],
        request_type: str,
        *,
        apply_faults: bool = True,
    ) -> None:
        """Queue one delivery. Runs inside a store transaction (whose lock guards the faults)."""
        copies, status = 1, "pending"
        if apply_faults:
            copies, status = self._fault_for_next()
        for _ in range(copies):
            conn.execute(
                deliveries.insert().values(
                    event_id=event_id,
                    webhook_id=webhook_id,
                    url=url,
                    status=status,
                    request_type=request_type,
                    attempts=0,
                    max_retries=int(policy.get("numberOfRetries", 3)),
                    retry_policy=json.dumps(policy),
                    next_at=time.time(),
                    trace_base=secrets.token_hex(8),
                    created=stamp(self.sb.now()),
                ),
            )
        if status == "held" and self.faults.reorder == 0:
            self.release_held(conn)

    def _fault_for_next(self) -> tuple[int, str]:
        """(copies, status) of the next delivery: drop, duplicate and reorder use up counts."""
        f = self.faults
        if f.drop > 0:
            f.drop -= 1
            return 1, "dropped"
        if f.duplicate > 0:
            f.duplicate -= 1
            return 2, "pending"
        if f.reorder > 0:
            f.reorder -= 1
            return 1, "held"
        return 1, "pending"

    def release_held(self, conn: Connection) -> int:
        """Send every held delivery, newest first (the reorder fault)."""
        held = (
            conn.execute(
                select(deliveries.c.id)
                .where(deliveries.c.status == "held")
                .order_by(deliveries.c.id.desc())
            )
            .scalars()
            .all()
        )
        base = time.time()
        for i, delivery_id in enumerate(held):
            conn.execute(
                sa_update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(status="pending", next_at=base + i * 1e-3)
            )
        return len(held)
