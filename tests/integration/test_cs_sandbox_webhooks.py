"""Webhook subscriptions and delivery to a real local receiver: signatures, retries, and the
drop / duplicate / reorder / redeliver controls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
from joserfc import jwe
from joserfc.jwk import RSAKey

from slpay.connectors.cybersource.webhook_signature import verify_webhook
from slpay.sandbox.cybersource import SandboxApp, SandboxConfig, create_app
from slpay.sandbox.cybersource.testing import (
    Received,
    WebhookReceiver,
    card_payment,
    signed_async_client,
)

pytestmark = pytest.mark.anyio

#: One retry-policy "minute" lasts 5 ms here, so retries happen at once.
FAST = 0.005


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
async def app() -> AsyncIterator[SandboxApp]:
    sandbox = create_app(SandboxConfig(webhook_retry_unit_s=FAST))
    yield sandbox
    sandbox.close()


@pytest.fixture
async def cs(app: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_async_client(app, app.config) as client:
        yield client


async def subscribe(
    cs: httpx.AsyncClient,
    url: str,
    events: list[str],
    product: str = "cardProcessing",
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "name": "slpay",
        "webhookUrl": url,
        "products": [{"productId": product, "eventTypes": events}],
        "retryPolicy": {
            "algorithm": "ARITHMETIC",
            "firstRetry": 1,
            "interval": 1,
            "numberOfRetries": 3,
        },
        **extra,
    }
    resp = await cs.post("/notification-subscriptions/v2/webhooks", json=body)
    assert resp.status_code == 201, resp.text
    sub: dict[str, Any] = resp.json()
    return sub


async def new_key(cs: httpx.AsyncClient, org: str) -> dict[str, str]:
    body = {
        "clientRequestAction": "CREATE",
        "keyInformation": {
            "provider": "nrtd",
            "tenant": org,
            "keyType": "sharedSecret",
            "organizationId": org,
        },
    }
    resp = await cs.post("/kms/egress/v2/keys-sym", json=body)
    assert resp.status_code == 201
    info: dict[str, str] = resp.json()["keyInformation"]
    return info


async def authorize(
    cs: httpx.AsyncClient, code: str, value: str = "10.00", **kw: Any
) -> dict[str, Any]:
    resp = await cs.post("/pts/v2/payments", json=card_payment(code, value, **kw))
    assert resp.status_code == 201
    body: dict[str, Any] = resp.json()
    return body


def doc(n: Received) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(n.body)
    return parsed


async def test_notification_is_signed_with_the_key_from_keys_sym(
    app: SandboxApp, cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    org = app.config.merchant_id
    key = await new_key(cs, org)
    sub = await subscribe(cs, receiver.url, ["payments.payments.accept"])
    auth = await authorize(cs, "WH-1")
    [note] = receiver.wait_for(1)
    assert (
        verify_webhook(note.body, note.headers["v-c-signature"], {key["keyId"]: key["key"]})
        == "raw"
    )
    body = doc(note)
    assert list(body) == [
        "eventType", "webhookId", "productId", "organizationId", "eventDate",
        "transactionTraceId", "retryNumber", "requestType", "payload",
    ]  # fmt: skip
    assert body["eventType"] == note.headers["v-c-event-type"] == "payments.payments.accept"
    assert body["webhookId"] == note.headers["v-c-webhook-id"] == sub["webhookId"]
    assert (body["retryNumber"], body["requestType"]) == (0, "NEW")
    assert body["payload"]["data"]["id"] == auth["id"]
    assert body["payload"]["data"]["clientReferenceInformation"] == {"code": "WH-1"}
    assert body["payload"]["organizationId"] == org == note.headers["v-c-organization-id"]
    assert note.headers["v-c-product-name"] == "cardProcessing"


async def test_only_subscribed_event_types_are_delivered(
    cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    await subscribe(cs, receiver.url, ["payments.captures.accept"])
    auth = await authorize(cs, "WH-2")
    amount = {"orderInformation": {"amountDetails": {"totalAmount": "10.00", "currency": "USD"}}}
    capture = (await cs.post(f"/pts/v2/payments/{auth['id']}/captures", json=amount)).json()
    [note] = receiver.wait_for(1)
    assert doc(note)["eventType"] == "payments.captures.accept"
    assert doc(note)["payload"]["data"]["id"] == capture["id"]


async def test_failed_deliveries_are_retried_until_the_receiver_accepts(
    cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.statuses.extend([500, 503])
    await subscribe(cs, receiver.url, ["payments.payments.accept"])
    auth = await authorize(cs, "WH-3")
    notes = receiver.wait_for(3)
    assert [n.status for n in notes] == [500, 503, 200]
    assert [doc(n)["retryNumber"] for n in notes] == [0, 1, 2]
    assert [doc(n)["requestType"] for n in notes] == ["NEW", "RETRY", "RETRY"]
    assert len({doc(n)["transactionTraceId"] for n in notes}) == 3
    assert {doc(n)["payload"]["data"]["id"] for n in notes} == {auth["id"]}
    await _until_status(cs, "delivered")  # the worker records the outcome after the POST
    listed = (await cs.get("/sandbox/webhooks/deliveries")).json()["deliveries"]
    assert [(d["status"], d["attempts"]) for d in listed] == [("delivered", 3)]


async def test_exhausted_retries_fail_and_can_be_redelivered(
    cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.statuses.extend([500] * 4)
    await subscribe(cs, receiver.url, ["payments.payments.accept"])
    await authorize(cs, "WH-4")
    receiver.wait_for(4)
    await _until_status(cs, "failed")
    resp = await cs.post("/sandbox/webhooks/redeliver", json={"status": "failed"})
    assert resp.json() == {"redelivered": 1}
    replay = receiver.wait_for(5)[-1]
    assert (replay.status, doc(replay)["requestType"]) == (200, "REPLAY")


async def _until_status(cs: httpx.AsyncClient, status: str) -> None:
    """Poll the deliveries list (the worker updates it in its own thread)."""
    for _ in range(1000):
        listed = (await cs.get("/sandbox/webhooks/deliveries", params={"status": status})).json()
        if listed["deliveries"]:
            return
        await anyio.sleep(0.01)
    raise AssertionError(f"no delivery reached {status}")


async def test_drop_control_loses_the_next_delivery(
    cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    await subscribe(cs, receiver.url, ["payments.payments.accept"])
    await cs.post("/sandbox/webhooks/faults", json={"drop": 1})
    lost = await authorize(cs, "WH-5")
    kept = await authorize(cs, "WH-6")
    [note] = receiver.wait_for(1)
    assert doc(note)["payload"]["data"]["id"] == kept["id"]
    dropped = (await cs.get("/sandbox/webhooks/deliveries", params={"status": "dropped"})).json()
    assert [d["resourceId"] for d in dropped["deliveries"]] == [lost["id"]]


async def test_duplicate_control_delivers_the_same_event_twice(
    cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    await subscribe(cs, receiver.url, ["payments.payments.accept"])
    await cs.post("/sandbox/webhooks/faults", json={"duplicate": 1})
    auth = await authorize(cs, "WH-7")
    notes = receiver.wait_for(2)
    assert [doc(n)["payload"]["data"]["id"] for n in notes] == [auth["id"], auth["id"]]
    assert doc(notes[0])["transactionTraceId"] != doc(notes[1])["transactionTraceId"]


async def test_reorder_control_delivers_events_newest_first(
    cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    await subscribe(cs, receiver.url, ["payments.payments.accept"])
    await cs.post("/sandbox/webhooks/faults", json={"reorder": 3})
    made = [(await authorize(cs, f"WH-R{i}"))["id"] for i in range(3)]
    notes = receiver.wait_for(3)
    assert [doc(n)["payload"]["data"]["id"] for n in notes] == list(reversed(made))


async def test_start_time_webhook_url_receives_every_event(receiver: WebhookReceiver) -> None:
    app = create_app(SandboxConfig(webhook_url=receiver.url, webhook_retry_unit_s=FAST))
    try:
        async with signed_async_client(app, app.config) as cs:
            sale = await authorize(cs, "WH-8", capture=True)
        notes = receiver.wait_for(2)
        keys = {app.config.webhook_key_id: app.config.webhook_key}
        assert all(verify_webhook(n.body, n.headers["v-c-signature"], keys) for n in notes)
        assert sorted(doc(n)["eventType"] for n in notes) == [
            "payments.captures.accept",
            "payments.payments.accept",
        ]
        assert {doc(n)["payload"]["data"]["id"] for n in notes} == {sale["id"]}
    finally:
        app.close()


async def test_decision_manager_decision_is_notified(
    cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    await subscribe(
        cs, receiver.url, ["risk.casemanagement.decision.reject"], product="decisionManager"
    )
    review = await authorize(cs, "WH-9", address1="2 London Bridge")
    action = {
        "decisionInformation": {"decision": "REJECT"},
        "processingInformation": {"actionList": ["REVERSE"]},
    }
    await cs.post(f"/risk/v1/decisions/{review['id']}/actions", json=action)
    [note] = receiver.wait_for(1)
    body = doc(note)
    assert (body["eventType"], body["productId"]) == (
        "risk.casemanagement.decision.reject",
        "decisionManager",
    )
    assert body["payload"]["data"]["id"] == review["id"]
    assert body["payload"]["data"]["clientReferenceInformation"]["code"] == "WH-9"


async def test_registered_encryption_key_seals_notifications(
    app: SandboxApp, cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    private = RSAKey.generate_key(2048)
    public_pem = private.as_pem(private=False).decode()
    resp = await cs.post("/kms/egress/v2/keys-asym", json={"keyInformation": {"pub": public_pem}})
    assert resp.status_code == 201
    await subscribe(cs, receiver.url, ["payments.payments.accept"])
    auth = await authorize(cs, "WH-10")
    [note] = receiver.wait_for(1)
    keys = {app.config.webhook_key_id: app.config.webhook_key}
    assert verify_webhook(note.body, note.headers["v-c-signature"], keys) == "raw"
    sealed = doc(note)["encData"]
    assert str(auth["id"]) not in note.body.decode()
    algorithms = ["RSA-OAEP-256", "A256GCM"]
    opened = json.loads(
        jwe.decrypt_compact(sealed, private, algorithms=algorithms).plaintext or b""
    )
    assert opened["payload"]["data"]["id"] == auth["id"]


async def test_subscriptions_are_listed_and_deleted(cs: httpx.AsyncClient) -> None:
    sub = await subscribe(cs, "http://127.0.0.1:9/none", ["payments.refunds.accept"])
    listed = (await cs.get("/notification-subscriptions/v2/webhooks")).json()
    assert [s["webhookId"] for s in listed] == [sub["webhookId"]]
    assert (
        await cs.delete(f"/notification-subscriptions/v2/webhooks/{sub['webhookId']}")
    ).status_code == 200
    assert (await cs.get("/notification-subscriptions/v2/webhooks")).json() == []
    products = (await cs.get("/notification-subscriptions/v2/products/any")).json()
    assert {p["productId"] for p in products} == {"cardProcessing", "decisionManager"}


async def test_subscription_to_an_unknown_event_type_is_refused(cs: httpx.AsyncClient) -> None:
    body = {
        "webhookUrl": "https://example.com/h",
        "products": [{"productId": "cardProcessing", "eventTypes": ["payments.unknown"]}],
    }
    resp = await cs.post("/notification-subscriptions/v2/webhooks", json=body)
    assert resp.status_code == 400


async def test_reset_forgets_everything_but_the_keys(
    app: SandboxApp, cs: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    key = await new_key(cs, app.config.merchant_id)
    await subscribe(cs, receiver.url, ["payments.payments.accept"])
    before = await authorize(cs, "WH-11")
    receiver.wait_for(1)
    assert (await cs.post("/sandbox/reset")).json() == {"reset": True}
    assert (await cs.get(f"/tss/v2/transactions/{before['id']}")).status_code == 404
    assert (await cs.get("/notification-subscriptions/v2/webhooks")).json() == []
    await subscribe(cs, receiver.url, ["payments.payments.accept"])
    await authorize(cs, "WH-12")
    note = receiver.wait_for(2)[-1]
    assert verify_webhook(note.body, note.headers["v-c-signature"], {key["keyId"]: key["key"]})
