"""The sandbox's own control endpoints under ``/sandbox/…`` (no HTTP Signature; the server
binds to loopback by default). Documented in docs/cybersource-sandbox.md."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, select

from . import ledger, settlement
from .asgi import Request, Response, Router
from .core import Sandbox
from .faults import Faults
from .store import chargebacks, deliveries, events, inserted_id, stamp, tampers
from .webhooks import WebhookFaults, Webhooks
from .wire import CsError, dumps, new_numeric


def ok(body: Any, status: int = 200) -> Response:
    return Response(status, dumps(body), "application/json")


def refuse(message: str, status: int = 400) -> CsError:
    return CsError(status, {"error": message})


def _day(value: Any, default: date) -> date:
    if value in (None, ""):
        return default
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise refuse(f"not a date (YYYY-MM-DD): {value!r}") from None


def _money(value: Any, name: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise refuse(f"{name} must be a decimal string") from None
    if not d.is_finite():
        raise refuse(f"{name} must be a decimal string")
    return d


class Controls:
    def __init__(self, sb: Sandbox, faults: Faults, webhooks: Webhooks) -> None:
        self.sb = sb
        self.faults = faults
        self.webhooks = webhooks

    def register(self, r: Router) -> None:
        add = r.add
        add("GET", "/sandbox/health", lambda req: ok({"status": "ok"}), signed=False)
        add("POST", "/sandbox/reset", self.reset, signed=False)
        add("POST", "/sandbox/force", self.force, signed=False)
        add("GET", "/sandbox/force", lambda req: ok(self.faults.pending()), signed=False)
        add("DELETE", "/sandbox/force", self.clear_force, signed=False)
        add("POST", "/sandbox/execute-then-hang", self.execute_then_hang, signed=False)
        add("POST", "/sandbox/close-day", self.close_day, signed=False)
        add("POST", "/sandbox/chargebacks", self.chargeback, signed=False)
        add("GET", "/sandbox/chargebacks", self.list_chargebacks, signed=False)
        add("POST", "/sandbox/chargebacks/{cb}/outcome", self.chargeback_outcome, signed=False)
        add("POST", "/sandbox/reports/tamper", self.tamper, signed=False)
        add("GET", "/sandbox/reports/tamper", self.list_tampers, signed=False)
        add("DELETE", "/sandbox/reports/tamper", self.clear_tampers, signed=False)
        add("POST", "/sandbox/webhooks/faults", self.webhook_faults, signed=False)
        add("POST", "/sandbox/webhooks/release", self.release, signed=False)
        add("POST", "/sandbox/webhooks/redeliver", self.redeliver, signed=False)
        add("GET", "/sandbox/webhooks/deliveries", self.list_deliveries, signed=False)

    def reset(self, req: Request) -> Response:
        self.faults.clear()
        with self.sb.store.lock:
            self.webhooks.faults = WebhookFaults()
            self.sb.store.reset()
            self.webhooks.forget_subscriptions()
        return ok({"reset": True})

    def force(self, req: Request) -> Response:
        try:
            fault = self.faults.add(req.json())
        except (ValueError, TypeError) as exc:
            raise refuse(str(exc)) from None
        return ok({"outcome": fault.outcome, "remaining": fault.remaining, "path": fault.path}, 201)

    def clear_force(self, req: Request) -> Response:
        self.faults.clear()
        return ok({"cleared": True})

    def execute_then_hang(self, req: Request) -> Response:
        spec = {**req.json(), "outcome": "execute_then_hang"}
        try:
            fault = self.faults.add(spec)
        except (ValueError, TypeError) as exc:
            raise refuse(str(exc)) from None
        return ok({"outcome": fault.outcome, "remaining": fault.remaining, "path": fault.path}, 201)

    def close_day(self, req: Request) -> Response:
        body = req.json()
        now = self.sb.now()
        day = _day(body.get("date"), now.date())
        with self.sb.work() as conn:
            result = settlement.close_day(conn, day, now)
        return ok(result)

    # -- chargebacks -------------------------------------------------------------------------

    def chargeback(self, req: Request) -> Response:
        body = req.json()
        now = self.sb.now()
        with self.sb.work() as conn:
            txn = ledger.get(conn, str(body.get("transactionId", "")))
            if txn is None or txn.kind not in ledger.PURCHASES or txn.status != "TRANSMITTED":
                raise refuse("transactionId must name a settled capture or sale")
            taken = sum(
                (
                    Decimal(r.amount)
                    for r in conn.execute(
                        select(chargebacks.c.amount).where(chargebacks.c.transaction_id == txn.id)
                    )
                ),
                Decimal(0),
            )
            amount = _money(body.get("amount", txn.amount - taken), "amount")
            if amount <= 0 or amount + taken > txn.amount:
                raise refuse(
                    "amount must be positive and at most the settled amount not yet disputed"
                )
            cb_id = new_numeric(12)
            conn.execute(
                chargebacks.insert().values(
                    id=cb_id,
                    transaction_id=txn.id,
                    amount=str(amount),
                    currency=txn.currency,
                    reason_code=str(body.get("reasonCode", "10.4")),
                    day=_day(body.get("date"), now.date()).isoformat(),
                    created=stamp(now),
                )
            )
        return ok({"chargebackId": cb_id, "transactionId": txn.id, "amount": str(amount)}, 201)

    def chargeback_outcome(self, req: Request) -> Response:
        body = req.json()
        outcome = str(body.get("outcome", "")).lower()
        if outcome not in ("won", "lost"):
            raise refuse("outcome must be won or lost")
        day = _day(body.get("date"), self.sb.now().date())
        with self.sb.work() as conn:
            result = conn.execute(
                chargebacks.update()
                .where(chargebacks.c.id == req.params["cb"], chargebacks.c.outcome.is_(None))
                .values(outcome=outcome, outcome_day=day.isoformat())
            )
        if not result.rowcount:
            raise refuse("no open chargeback with this id", 404)
        return ok({"chargebackId": req.params["cb"], "outcome": outcome, "date": day.isoformat()})

    def list_chargebacks(self, req: Request) -> Response:
        with self.sb.work() as conn:
            rows = conn.execute(select(chargebacks).order_by(chargebacks.c.created)).all()
        return ok([dict(r._mapping) for r in rows])

    # -- report tampering --------------------------------------------------------------------

    def tamper(self, req: Request) -> Response:
        body = req.json()
        action = str(body.get("action", ""))
        if action not in settlement.ROW_ACTIONS | settlement.FUNDING_ACTIONS:
            allowed = sorted(settlement.ROW_ACTIONS | settlement.FUNDING_ACTIONS)
            raise refuse(f"action must be one of {allowed}")
        if body.get("reportDate"):
            day = _day(body["reportDate"], self.sb.now().date()) - timedelta(days=1)
        else:
            day = _day(body.get("date"), self.sb.now().date())
        params = {k: body[k] for k in ("amount", "days", "currency", "value", "delta") if k in body}
        for name in ("amount", "value", "delta"):
            if name in params:
                params[name] = str(_money(params[name], name))
        with self.sb.work() as conn:
            tid = inserted_id(
                conn,
                tampers.insert().values(
                    day=day.isoformat(),
                    action=action,
                    request_id=body.get("requestId"),
                    params=json.dumps(params),
                ),
            )
        return ok({"id": tid, "date": day.isoformat(), "action": action}, 201)

    def list_tampers(self, req: Request) -> Response:
        with self.sb.work() as conn:
            rows = conn.execute(select(tampers).order_by(tampers.c.id)).all()
        return ok([{**r._mapping, "params": json.loads(r.params)} for r in rows])

    def clear_tampers(self, req: Request) -> Response:
        stmt = delete(tampers)
        if req.query.get("date"):
            stmt = stmt.where(tampers.c.day == req.query["date"])
        with self.sb.work() as conn:
            n = conn.execute(stmt).rowcount
        return ok({"cleared": n})

    # -- webhook deliveries ------------------------------------------------------------------

    def webhook_faults(self, req: Request) -> Response:
        body = req.json()
        f = self.webhooks.faults
        try:
            with self.sb.store.lock:
                f.drop = int(body.get("drop", f.drop))
                f.duplicate = int(body.get("duplicate", f.duplicate))
                f.reorder = int(body.get("reorder", f.reorder))
        except (TypeError, ValueError):
            raise refuse("drop, duplicate and reorder are counts") from None
        return ok({"drop": f.drop, "duplicate": f.duplicate, "reorder": f.reorder})

    def release(self, req: Request) -> Response:
        with self.sb.store.begin() as conn:
            n = self.webhooks.release_held(conn)
        self._wake()
        return ok({"released": n})

    def redeliver(self, req: Request) -> Response:
        """Send again: ``deliveryIds``, ``eventIds``, or every delivery with ``status``."""
        body = req.json()
        stmt = select(deliveries)
        if body.get("deliveryIds"):
            stmt = stmt.where(deliveries.c.id.in_([int(i) for i in body["deliveryIds"]]))
        elif body.get("eventIds"):
            stmt = stmt.where(deliveries.c.event_id.in_([int(i) for i in body["eventIds"]]))
        elif body.get("status"):
            stmt = stmt.where(deliveries.c.status == str(body["status"]))
        else:
            raise refuse("give deliveryIds, eventIds or status")
        with self.sb.store.begin() as conn:
            rows = conn.execute(stmt).all()
            seen: set[tuple[int, str]] = set()
            for r in rows:
                if (r.event_id, r.webhook_id) in seen:
                    continue
                seen.add((r.event_id, r.webhook_id))
                policy = json.loads(r.retry_policy)
                self.webhooks.add_delivery(
                    conn, r.event_id, r.webhook_id, r.url, policy, "REPLAY", apply_faults=False
                )
        self._wake()
        return ok({"redelivered": len(seen)}, 201)

    def list_deliveries(self, req: Request) -> Response:
        stmt = (
            select(deliveries, events.c.event_type, events.c.resource_id, events.c.product_id)
            .join(events, events.c.id == deliveries.c.event_id)
            .order_by(deliveries.c.id)
        )
        if req.query.get("status"):
            stmt = stmt.where(deliveries.c.status == req.query["status"])
        if req.query.get("eventType"):
            stmt = stmt.where(events.c.event_type == req.query["eventType"])
        if req.query.get("resourceId"):
            stmt = stmt.where(events.c.resource_id == req.query["resourceId"])
        with self.sb.store.begin() as conn:
            rows = conn.execute(stmt).all()
            total = conn.execute(select(func.count()).select_from(deliveries)).scalar_one()
        items = [
            {
                "id": r.id,
                "eventId": r.event_id,
                "eventType": r.event_type,
                "productId": r.product_id,
                "resourceId": r.resource_id,
                "webhookId": r.webhook_id,
                "url": r.url,
                "status": r.status,
                "requestType": r.request_type,
                "attempts": r.attempts,
                "lastStatus": r.last_status,
                "lastError": r.last_error,
                "created": r.created,
                "delivered": r.delivered,
            }
            for r in rows
        ]
        return ok({"total": total, "deliveries": items})

    def _wake(self) -> None:
        for hook in self.sb.on_commit:
            hook()
