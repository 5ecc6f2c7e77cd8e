"""The hub's HTTP application: the raw webhook route in front of a FastAPI app.

:func:`create_app` returns a :class:`HubApp`, an ASGI callable that serves
``POST /webhooks/cybersource`` itself (:mod:`slpay.api.webhook`) and hands every other request
— and the lifespan — to FastAPI, which serves ``/healthz``, ``/readyz``, ``/metrics`` and the
authenticated admin API (``/admin/...``, ``X-API-Key``). Later routers are added with
``hub.api.include_router(router, dependencies=[Depends(require_api_key)])``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from slpay.api import admin, health
from slpay.api.metrics import HubMetrics
from slpay.api.security import ApiKeys
from slpay.api.webhook import WEBHOOK_PATH, Receive, Scope, Send, WebhookIngest
from slpay.config import Settings
from slpay.connectors.cybersource.webhooks import WebhookOpener
from slpay.store import control, inbox_writer, make_engine, migrate

#: A readiness check: returns True when its dependency is reachable (may raise).
ReadinessCheck = Callable[[], Awaitable[bool]]


class HubApp:
    """ASGI entry point: the webhook fast path, then FastAPI for everything else."""

    def __init__(
        self,
        api: FastAPI,
        ingest: WebhookIngest,
        engine: Engine,
        metrics: HubMetrics,
        *,
        owns_engine: bool,
    ) -> None:
        self.api = api
        self.ingest = ingest
        self.engine = engine
        self.metrics = metrics
        self.writer = ingest.writer
        self._owns_engine = owns_engine
        self._closed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == WEBHOOK_PATH:
            await self.ingest(scope, receive, send)
        else:
            await self.api(scope, receive, send)

    def close(self) -> None:
        """Commit what is queued, stop the writer, release the engine (if created here)."""
        if self._closed:
            return
        self._closed = True
        self.writer.close()
        if self._owns_engine:
            self.engine.dispose()


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    registry: CollectorRegistry | None = None,
) -> HubApp:
    """Build the hub's app: migrate the store, prepare the webhook path, mount the routes.

    ``engine`` defaults to ``settings.hub.db_url``; ``readiness_checks`` (name → async check)
    are what ``/readyz`` asks besides the database — the connectors plug theirs in here.
    """
    owns_engine = engine is None
    engine = engine or make_engine(settings.hub.db_url)
    migrate(engine)
    if settings.hub.processing_paused:
        with engine.begin() as conn:
            control.set_paused(conn, True)
    metrics = HubMetrics(registry)
    hub_cfg = settings.hub
    writer = inbox_writer(
        engine,
        max_batch=hub_cfg.ingest_max_batch,
        max_wait_s=hub_cfg.ingest_max_wait_ms / 1000,
        queue_limit=hub_cfg.ingest_queue_limit,
        on_batch=metrics.observe_group,
    )
    ingest = WebhookIngest(
        WebhookOpener.from_settings(settings.cybersource),
        writer,
        metrics,
        organization_ids=settings.api.webhook_organization_ids
        or [settings.cybersource.merchant_id],
        max_body_bytes=settings.api.max_webhook_body_bytes,
    )
    holder: dict[str, HubApp] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        writer.start()
        yield
        holder["hub"].close()

    api = FastAPI(title="slpay", lifespan=lifespan, docs_url=None, redoc_url=None)
    state: Any = api.state
    state.engine = engine
    state.metrics = metrics
    state.writer = writer
    state.api_keys = ApiKeys(settings.api.api_keys)
    state.readiness_checks = dict(readiness_checks or {})
    api.include_router(health.router)
    api.include_router(admin.router)
    hub = HubApp(api, ingest, engine, metrics, owns_engine=owns_engine)
    holder["hub"] = hub
    return hub
