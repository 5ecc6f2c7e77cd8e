"""Signed Cybersource notifications for the webhook-ingest tests, and the hub settings."""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import SecretStr

from slpay.config import (
    SANDBOX_WEBHOOK_KEY,
    SANDBOX_WEBHOOK_KEY_ID,
    ApiSettings,
    CybersourceSettings,
    HubSettings,
    Settings,
)
from slpay.connectors.cybersource.webhook_signature import sign_webhook

ORG = "slpay_demo"
ADMIN_KEY = "admin-key-for-tests-0001"
PATH = "/webhooks/cybersource"


def hub_settings(db_url: str, **cybersource: Any) -> Settings:
    return Settings(
        hub=HubSettings(db_url=db_url),
        api=ApiSettings(
            api_keys={"ops": SecretStr(ADMIN_KEY)},
            max_webhook_body_bytes=4096,
            webhook_organization_ids=[ORG],
        ),
        cybersource=CybersourceSettings(**cybersource),
    )


def notification(
    resource_id: str = "7642912345678901234567",
    event_type: str = "payments.captures.accept",
    *,
    org: str = ORG,
    trace: str = "trace-0",
    data: dict[str, Any] | None = None,
    payload: Any = None,
) -> bytes:
    doc = {
        "eventType": event_type,
        "webhookId": "0f4a1c2e-1111-2222-3333-444455556666",
        "productId": "cardProcessing",
        "organizationId": org,
        "eventDate": "2026-11-25T12:00:00",
        "transactionTraceId": trace,
        "retryNumber": 0,
        "requestType": "NEW",
        "payload": payload
        if payload is not None
        else {"data": data or {"id": resource_id, "type": "captures"}, "organizationId": org},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def signed_headers(
    body: bytes,
    *,
    key: str = SANDBOX_WEBHOOK_KEY,
    key_id: str = SANDBOX_WEBHOOK_KEY_ID,
    t_ms: int | None = None,
) -> dict[str, str]:
    t = t_ms if t_ms is not None else int(time.time() * 1000)
    return {
        "content-type": "application/json",
        "v-c-signature": sign_webhook(body, key_b64=key, key_id=key_id, t_ms=t),
    }
