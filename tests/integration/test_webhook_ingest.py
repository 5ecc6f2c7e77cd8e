"""POST /webhooks/cybersource through the ASGI app (httpx ASGITransport), on a SQLite file.

Every accepted delivery is read back through a separate engine, so "2xx" is checked against
what is committed, not against what the app believes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _hub_webhooks import ADMIN_KEY, ORG, PATH, hub_settings, notification, signed_headers
from sqlalchemy import text

from slpay.api import HubApp, create_app
from slpay.connectors.cybersource import jwe
from slpay.store import make_engine
from slpay.store.inbox import InboxEvent, duplicates_count, find_by_key

PAN = "4111111111111111"
CAPTURE = "payments.captures.accept"


def call(hub: HubApp, method: str, path: str, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=hub)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            return await client.request(method, path, **kw)

    return asyncio.run(go())


def deliver(hub: HubApp, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return call(hub, "POST", PATH, content=body, headers=headers or signed_headers(body))


def stored(db: Path, resource: str, event_type: str = CAPTURE) -> InboxEvent | None:
    engine = make_engine(db)  # a separate engine: only committed rows are visible
    try:
        with engine.connect() as conn:
            return find_by_key(conn, f"{ORG}|{event_type}|{resource}")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ingest") / "hub.db"


@pytest.fixture(scope="module")
def hub(db: Path) -> Iterator[HubApp]:
    app = create_app(hub_settings(f"sqlite:///{db}"))
    yield app
    app.close()


def test_signed_webhook_is_acknowledged_after_its_row_is_committed(hub: HubApp, db: Path) -> None:
    resp = deliver(hub, notification("1000000000000000000001"))
    assert resp.status_code == 200
    assert resp.json() == {"status": "accepted"}
    row = stored(db, "1000000000000000000001")
    assert row is not None
    assert row.status == "new"
    assert row.source == "webhook"
    assert row.payload["payload"]["data"]["id"] == "1000000000000000000001"


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"key": "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk="}, "signature mismatch"),
        ({"key_id": "not-a-configured-key"}, "unknown keyId"),
        ({"t_ms": int(time.time() * 1000) - 3_600_000}, "replay window"),
    ],
    ids=["bad-signature", "unknown-key", "stale-timestamp"],
)
def test_unauthentic_webhook_is_refused_401_and_not_stored(
    hub: HubApp, db: Path, tamper: dict[str, Any], reason: str
) -> None:
    body = notification("1000000000000000000002")
    resp = deliver(hub, body, signed_headers(body, **tamper))
    assert resp.status_code == 401
    assert reason in resp.json()["error"]
    assert stored(db, "1000000000000000000002") is None


def test_missing_signature_header_is_refused_401(hub: HubApp) -> None:
    resp = deliver(hub, notification("1000000000000000000003"), {"content-type": "x"})
    assert resp.status_code == 401


def test_malformed_json_is_refused_400_with_a_reason(hub: HubApp) -> None:
    body = b'{"eventType": "payments.captures.accept", '
    resp = deliver(hub, body)
    assert resp.status_code == 400
    assert "JSON" in resp.json()["error"]


def test_body_over_the_limit_is_refused_413(hub: HubApp) -> None:
    body = notification("1000000000000000000004", data={"id": "1", "pad": "x" * 5000})
    resp = deliver(hub, body)
    assert resp.status_code == 413


def test_organization_not_configured_is_refused_403(hub: HubApp, db: Path) -> None:
    resp = deliver(hub, notification("1000000000000000000005", org="someone_else"))
    assert resp.status_code == 403
    assert stored(db, "1000000000000000000005") is None


def test_unknown_event_type_is_acknowledged_and_stored_as_ignored(hub: HubApp, db: Path) -> None:
    resp = deliver(hub, notification("tok-1", event_type="tms.token.created"))
    assert resp.status_code == 200
    assert resp.json() == {"status": "ignored"}
    row = stored(db, "tok-1", "tms.token.created")
    assert row is not None
    assert row.status == "ignored"


def test_redelivery_is_acknowledged_as_duplicate_and_stored_once(hub: HubApp, db: Path) -> None:
    first = deliver(hub, notification("1000000000000000000006", trace="t-0"))
    again = deliver(hub, notification("1000000000000000000006", trace="t-1"))
    assert first.json() == {"status": "accepted"}
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    engine = make_engine(db)
    with engine.connect() as conn:
        key = f"{ORG}|{CAPTURE}|1000000000000000000006"
        assert duplicates_count(conn, key) == 1
        n = conn.execute(text("SELECT count(*) FROM inbox WHERE dedupe_key = :k"), {"k": key})
        assert n.scalar_one() == 1
    engine.dispose()


def test_card_number_in_a_payload_never_reaches_the_database_file(hub: HubApp, db: Path) -> None:
    data = {"id": "1000000000000000000007", "note": f"card {PAN}", "cvv": "123"}
    assert deliver(hub, notification(data=data)).status_code == 200
    row = stored(db, "1000000000000000000007")
    assert row is not None
    assert "411111******1111" in json.dumps(row.payload)
    for name in ("hub.db", "hub.db-wal"):
        raw = (db.parent / name).read_bytes() if (db.parent / name).exists() else b""
        assert PAN.encode() not in raw
    assert b"411111******1111" in db.read_bytes() + (db.parent / "hub.db-wal").read_bytes()


def test_metrics_count_received_duplicates_ignored_and_refusals(hub: HubApp) -> None:
    deliver(hub, notification("1000000000000000000008"))
    deliver(hub, notification("1000000000000000000008"))
    deliver(hub, notification("1000000000000000000009", org="nobody"))
    metrics = call(hub, "GET", "/metrics").text
    assert "slpay_webhook_events_received_total" in metrics
    assert _value(metrics, "slpay_webhook_events_deduplicated_total") >= 1
    assert _value(metrics, 'slpay_webhook_events_refused_total{reason="organization"}') >= 1
    assert _value(metrics, "slpay_ingest_group_size_count") >= 1


def test_health_readiness_and_webhook_ping(hub: HubApp) -> None:
    assert call(hub, "GET", "/healthz").json() == {"status": "ok"}
    ready = call(hub, "GET", "/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert call(hub, "GET", PATH).status_code == 200  # Cybersource's activation ping
    assert call(hub, "PUT", PATH).status_code == 405


def test_admin_api_requires_a_key_and_pauses_processing(hub: HubApp, db: Path) -> None:
    assert call(hub, "POST", "/admin/processing/pause").status_code == 401
    bad = {"X-API-Key": "wrong"}
    assert call(hub, "POST", "/admin/processing/pause", headers=bad).status_code == 401
    key = {"X-API-Key": ADMIN_KEY}
    assert call(hub, "POST", "/admin/processing/pause", headers=key).json()["paused"] is True
    # Paused: webhooks are still stored.
    assert deliver(hub, notification("1000000000000000000010")).status_code == 200
    state = call(hub, "GET", "/admin/processing", headers=key).json()
    assert state["paused"] is True
    assert state["inbox"]["new"] >= 1
    assert call(hub, "POST", "/admin/processing/resume", headers=key).json()["paused"] is False


def test_failed_commit_answers_503_so_cybersource_retries(tmp_path: Path) -> None:
    hub = create_app(hub_settings(f"sqlite:///{tmp_path / 'hub.db'}"))
    try:
        with hub.engine.begin() as conn:
            conn.execute(text("DROP TABLE inbox"))
        resp = deliver(hub, notification("1000000000000000000011"))
        assert resp.status_code == 503
        assert resp.headers["retry-after"] == "1"
        metrics = call(hub, "GET", "/metrics").text
        assert _value(metrics, 'slpay_webhook_events_refused_total{reason="store_failed"}') == 1
    finally:
        hub.close()


def test_readiness_fails_when_a_plugged_in_check_fails(tmp_path: Path) -> None:
    async def sl_down() -> bool:
        return False

    settings = hub_settings(f"sqlite:///{tmp_path / 'hub.db'}")
    hub = create_app(settings, readiness_checks={"sl": sl_down})
    try:
        ready = call(hub, "GET", "/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": "ok", "inbox_writer": "ok", "sl": "not ready"}
    finally:
        hub.close()


def test_encrypted_payload_is_stored_decrypted_and_redacted(tmp_path: Path) -> None:
    key = jwe.generate_key()
    settings = hub_settings(
        f"sqlite:///{tmp_path / 'hub.db'}", webhook_decryption_key=jwe.private_pem(key)
    )
    hub = create_app(settings)
    try:
        secret = {"id": "1000000000000000000012", "card": PAN, "status": "PENDING"}
        token = jwe.encrypt_payload({"data": secret, "organizationId": ORG}, key)
        resp = deliver(hub, notification(payload={"encData": token}))
        assert resp.status_code == 200
        row = stored(tmp_path / "hub.db", "1000000000000000000012")
        assert row is not None
        data = row.payload["payload"]["data"]
        assert data["status"] == "PENDING"
        assert data["card"] == "411111******1111"
        garbled = deliver(hub, notification(payload={"encData": token[:-8] + "AAAAAAAA"}))
        assert garbled.status_code == 400
    finally:
        hub.close()


def _value(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")
