"""Notification subscriptions: signing keys and webhooks (FACTS §8.1)."""

from __future__ import annotations

from pydantic import TypeAdapter

from slpay.connectors.cybersource.models.notifications import (
    CreateKeyRequest,
    CreateWebhookRequest,
    Webhook,
    WebhookKey,
)
from slpay.connectors.cybersource.operations.calls import (
    Call,
    parse_model,
    parse_none,
    post,
    seg,
    with_query,
)

_WEBHOOKS = TypeAdapter(list[Webhook])


def create_webhook_key(request: CreateKeyRequest) -> Call[WebhookKey]:
    return post("create_webhook_key", "/kms/egress/v2/keys-sym", request, WebhookKey)


def create_webhook(request: CreateWebhookRequest) -> Call[Webhook]:
    return post("create_webhook", "/notification-subscriptions/v2/webhooks", request, Webhook)


def list_webhooks(
    organization_id: str | None = None,
    *,
    product_id: str | None = None,
    event_type: str | None = None,
) -> Call[list[Webhook]]:
    path = with_query(
        "/notification-subscriptions/v2/webhooks",
        {"organizationId": organization_id, "productId": product_id, "eventType": event_type},
    )
    return Call("list_webhooks", "GET", path, _WEBHOOKS.validate_json)


def get_webhook(webhook_id: str) -> Call[Webhook]:
    path = f"/notification-subscriptions/v2/webhooks/{seg(webhook_id)}"
    return Call("get_webhook", "GET", path, parse_model(Webhook))


def delete_webhook(webhook_id: str) -> Call[None]:
    path = f"/notification-subscriptions/v2/webhooks/{seg(webhook_id)}"
    return Call("delete_webhook", "DELETE", path, parse_none)
