"""The webhook over real HTTP: uvicorn (uvloop + httptools) on a loopback port, as served.

Runs on a SQLite file and on PostgreSQL (``SLPAY_TEST_POSTGRES_URL``, own schema).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from _hub_db import clear, pg_store_fixture  # noqa: F401 - fixture
from _hub_webhooks import ORG, PATH, hub_settings, notification, signed_headers
from sqlalchemy import Engine, func, select

from slpay.api import HubApp, create_app
from slpay.api.server import uvicorn_config
from slpay.store import make_engine
from slpay.store.inbox import duplicates_count, find_by_key
from slpay.store.schema import inbox

CAPTURE = "payments.captures.accept"


@contextmanager
def served(hub: HubApp) -> Iterator[str]:
    """Serve ``hub`` with uvicorn in a thread; yield its base URL; stop it afterwards."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(hub, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(params=["sqlite", "postgres"])
def store_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A separate engine on the database the served app writes to."""
    if request.param == "sqlite":
        engine = make_engine(tmp_path / "hub.db")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_store")
        clear(engine)
        yield engine


@pytest.fixture
def base_url(store_engine: Engine) -> Iterator[str]:
    """The hub served over HTTP; on PostgreSQL it shares the test schema's engine."""
    url = store_engine.url.render_as_string(hide_password=False)
    shared = store_engine if store_engine.dialect.name == "postgresql" else None
    hub = create_app(hub_settings(url), engine=shared)
    try:
        with served(hub) as base:
            yield base
    finally:
        hub.close()


def test_acknowledgement_comes_after_the_commit(base_url: str, store_engine: Engine) -> None:
    body = notification("2000000000000000000001")
    resp = httpx.post(base_url + PATH, content=body, headers=signed_headers(body))
    assert resp.status_code == 200
    with store_engine.connect() as conn:
        row = find_by_key(conn, f"{ORG}|{CAPTURE}|2000000000000000000001")
    assert row is not None
    assert row.payload["payload"]["data"]["id"] == "2000000000000000000001"


def test_five_concurrent_deliveries_store_one_event(base_url: str, store_engine: Engine) -> None:
    async def five() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base_url) as client:
            bodies = [notification("2000000000000000000002", trace=f"t-{i}") for i in range(5)]
            return await asyncio.gather(
                *(client.post(PATH, content=b, headers=signed_headers(b)) for b in bodies)
            )

    answers = asyncio.run(five())
    assert [r.status_code for r in answers] == [200] * 5
    assert sorted(r.json()["status"] for r in answers) == ["accepted"] + ["duplicate"] * 4
    key = f"{ORG}|{CAPTURE}|2000000000000000000002"
    with store_engine.connect() as conn:
        rows = conn.execute(select(func.count()).where(inbox.c.dedupe_key == key)).scalar_one()
        assert rows == 1
        assert duplicates_count(conn, key) == 4


def test_oversized_body_is_refused_413_over_http(base_url: str) -> None:
    body = notification(data={"id": "2000000000000000000003", "pad": "x" * 10_000})
    resp = httpx.post(base_url + PATH, content=body, headers=signed_headers(body))
    assert resp.status_code == 413
