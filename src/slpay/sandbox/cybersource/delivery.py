"""Webhook delivery: a background thread that POSTs due deliveries and retries failures.

Each attempt is a fresh notification (FACTS §8.3): ``retryNumber``/``v-c-retry-count`` count
the attempts, ``transactionTraceId`` changes every time, ``requestType`` is NEW on the first
attempt and RETRY afterwards (REPLAY for ``/sandbox/webhooks/redeliver``). The body is signed
with the current /kms/egress/v2/keys-sym key (``v-c-signature``, §8.4); when a message-level
encryption key is registered the body is ``{"encData": "<compact JWE>"}`` and the signature
covers those bytes. Retries follow the subscription's retry policy (§8.5); one policy
"minute" lasts ``webhook_retry_unit_s`` seconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy import update as sa_update

from slpay.connectors.cybersource.webhook_signature import sign_webhook

from .store import Store, deliveries, events, from_json, stamp, unstamp

log = logging.getLogger(__name__)

DEFAULT_POLICY: dict[str, Any] = {
    "algorithm": "ARITHMETIC",
    "firstRetry": 1,
    "interval": 1,
    "numberOfRetries": 3,
}


def retry_delay_minutes(policy: dict[str, Any], retry_number: int) -> float:
    """Minutes before retry ``retry_number`` (1-based), FACTS §8.5."""
    first = float(policy.get("firstRetry", 1))
    interval = float(policy.get("interval", 1))
    if str(policy.get("algorithm", "ARITHMETIC")).upper() == "GEOMETRIC":
        return first * interval ** (retry_number - 1)
    return first + interval * (retry_number - 1)


def notification_body(row: Any, org_id: str) -> dict[str, Any]:
    """The notification for one attempt of a delivery joined with its event."""
    attempt = int(row.attempts)
    return {
        "eventType": row.event_type,
        "webhookId": row.webhook_id,
        "productId": row.product_id,
        "organizationId": org_id,
        "eventDate": unstamp(row.event_created).strftime("%Y-%m-%dT%H:%M:%S"),
        "transactionTraceId": f"{row.trace_base}-{attempt}",
        "retryNumber": attempt,
        "requestType": row.request_type if attempt == 0 else "RETRY",
        "payload": {"data": from_json(row.event_data), "organizationId": org_id},
    }


def due_query(now_epoch: float, limit: int = 20) -> Any:
    return (
        select(
            deliveries,
            events.c.event_type,
            events.c.product_id,
            events.c.created.label("event_created"),
            events.c.data.label("event_data"),
        )
        .join(events, events.c.id == deliveries.c.event_id)
        .where(deliveries.c.status == "pending", deliveries.c.next_at <= now_epoch)
        .order_by(deliveries.c.next_at, deliveries.c.id)
        .limit(limit)
    )


class DeliveryWorker:
    """Sends deliveries in (due time, id) order, one at a time."""

    def __init__(
        self,
        store: Store,
        *,
        org_id: str,
        signing_key: Callable[[], tuple[str, str]],
        encrypt: Callable[[bytes], bytes | None],
        timeout_s: float,
        retry_unit_s: float,
    ) -> None:
        self.store = store
        self.org_id = org_id
        self.signing_key = signing_key
        self.encrypt = encrypt
        self.retry_unit_s = retry_unit_s
        self._client = httpx.Client(timeout=timeout_s)
        self._wake = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="cs-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._client.close()

    def _run(self) -> None:
        while not self._stop:
            try:
                sent = self.run_due()
            except Exception:  # the worker must survive a bad delivery or a locked database
                log.exception("webhook delivery loop failed")
                sent = 0
            if sent:
                continue
            with self._wake:
                if not self._stop:
                    self._wake.wait(timeout=self._idle_timeout())

    def _idle_timeout(self) -> float:
        with self.store.begin() as conn:
            nxt = conn.execute(
                select(deliveries.c.next_at)
                .where(deliveries.c.status == "pending")
                .order_by(deliveries.c.next_at)
                .limit(1)
            ).scalar()
        if nxt is None:
            return 1.0
        return max(0.0, min(1.0, float(nxt) - time.time()))

    def run_due(self) -> int:
        """Attempt every delivery that is due now; returns how many were attempted."""
        with self.store.begin() as conn:
            due = conn.execute(due_query(time.time())).all()
        for row in due:
            if self._stop:
                break
            self._attempt(row)
        return len(due)

    def _attempt(self, row: Any) -> None:
        doc = notification_body(row, self.org_id)
        body = json.dumps(doc, separators=(",", ":")).encode()
        sealed = self.encrypt(body)
        if sealed is not None:
            body = json.dumps({"encData": sealed.decode("ascii")}, separators=(",", ":")).encode()
        key_id, key = self.signing_key()
        headers = {
            "Content-Type": "application/json",
            "v-c-signature": sign_webhook(body, key_b64=key, key_id=key_id),
            "v-c-event-type": row.event_type,
            "v-c-organization-id": self.org_id,
            "v-c-product-name": row.product_id,
            "v-c-request-type": doc["requestType"],
            "v-c-retry-count": str(doc["retryNumber"]),
            "v-c-transaction-trace-id": doc["transactionTraceId"],
            "v-c-webhook-id": row.webhook_id,
        }
        status: int | None = None
        error: str | None = None
        try:
            resp = self._client.post(row.url, content=body, headers=headers)
            status = resp.status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        self._record(row, status, error)

    def _record(self, row: Any, status: int | None, error: str | None) -> None:
        attempts = int(row.attempts) + 1
        values: dict[str, Any] = {"attempts": attempts, "last_status": status, "last_error": error}
        if status is not None and 200 <= status < 300:
            values |= {"status": "delivered", "delivered": stamp(datetime.now(UTC))}
        elif attempts > int(row.max_retries):
            values["status"] = "failed"
        else:
            policy = from_json(row.retry_policy) or DEFAULT_POLICY
            delay = retry_delay_minutes(policy, attempts) * self.retry_unit_s
            values["next_at"] = time.time() + delay
        with self.store.begin() as conn:
            conn.execute(sa_update(deliveries).where(deliveries.c.id == row.id).values(**values))
