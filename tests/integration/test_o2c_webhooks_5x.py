"""Every webhook delivered 5 times, concurrently and out of order, posts once (issue 4).

The sandbox records each event it would notify; its own deliveries are dropped here, and the
test delivers every event itself five times — each with its own ``transactionTraceId`` and
retry number, as Cybersource's retries carry — shuffled and sent from 16 threads at once.
"""

from __future__ import annotations

import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import test_o2c_flow
from sqlalchemy import create_engine, func, select
from test_o2c_flow import Env, pay, settle_webhooks, sl_count

from slpay.config import SANDBOX_MERCHANT_ID, SANDBOX_WEBHOOK_KEY, SANDBOX_WEBHOOK_KEY_ID
from slpay.connectors.cybersource.webhook_signature import sign_webhook
from slpay.connectors.dynamics_sl import schema as sl
from slpay.sandbox.cybersource.store import events

env = test_o2c_flow.env  # the same fixture: sandboxes, served hub, SL company
SALES = 12


def _deliveries(cs_db: Path) -> list[tuple[bytes, dict[str, str]]]:
    engine = create_engine(f"sqlite:///{cs_db}")
    with engine.connect() as conn:
        rows = conn.execute(select(events)).all()
    engine.dispose()
    out: list[tuple[bytes, dict[str, str]]] = []
    for row in rows:
        for attempt in range(5):
            doc = {
                "eventType": row.event_type,
                "webhookId": "5b0c3f1e-0000-4000-8000-000000000005",
                "productId": row.product_id,
                "organizationId": SANDBOX_MERCHANT_ID,
                "eventDate": row.created[:19],
                "transactionTraceId": f"{uuid.uuid4().hex}-{attempt}",
                "retryNumber": attempt,
                "requestType": "NEW" if attempt == 0 else "RETRY",
                "payload": {"data": json.loads(row.data), "organizationId": SANDBOX_MERCHANT_ID},
            }
            body = json.dumps(doc, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "v-c-signature": sign_webhook(
                    body, key_b64=SANDBOX_WEBHOOK_KEY, key_id=SANDBOX_WEBHOOK_KEY_ID
                ),
                "v-c-event-type": row.event_type,
            }
            out.append((body, headers))
    return out


def test_every_webhook_delivered_5_times_concurrently_out_of_order_posts_once(
    env: Env, tmp_path: Path
) -> None:
    with httpx.Client(base_url=env.cs_url) as controls:
        assert controls.post("/sandbox/webhooks/faults", json={"drop": 1000}).status_code == 200
    for i in range(SALES):
        pay(env, f"FIVE-{i}", f"{10 + i}.00", email=f"five{i}@example.com")
    settle_webhooks(env)
    assert sl_count(env.sl, sl.SOHeader) == 0  # the sandbox's own deliveries were dropped

    deliveries = _deliveries(tmp_path / "cybersource.db")
    assert len(deliveries) == 5 * 2 * SALES  # an authorization and a capture per sale
    random.Random(7).shuffle(deliveries)
    with httpx.Client(base_url=env.hub_url, timeout=30) as hub, ThreadPoolExecutor(16) as pool:
        statuses = list(
            pool.map(
                lambda d: hub.post("/webhooks/cybersource", content=d[0], headers=d[1]).status_code,
                deliveries,
            )
        )
    assert all(200 <= s < 300 for s in statuses), sorted(set(statuses))
    assert env.hub.wait_idle(timeout=60)

    assert sl_count(env.sl, sl.SOHeader) == SALES
    assert sl_count(env.sl, sl.ARDoc, sl.ARDoc.c.DocType == "PP") == SALES
    with env.sl.connect() as conn:
        per_order = conn.execute(
            select(sl.SOHeader.c.CustOrdNbr, func.count()).group_by(sl.SOHeader.c.CustOrdNbr)
        ).all()
    assert all(n == 1 for _, n in per_order)
    summary = env.hub.summary()
    assert summary["posted"] == SALES
    assert summary["duplicates_skipped"] == 4 * 2 * SALES
