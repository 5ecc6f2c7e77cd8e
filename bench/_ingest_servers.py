"""The two servers ``bench/ingest.py`` measures, each run in its own process.

- ``hub``: ``slpay.api.create_app`` served by ``slpay.api.serve`` — the raw ASGI webhook route
  and its group-commit writer, exactly as ``slpay serve`` runs it, processing paused.
- ``baseline``: the same verification, parsing, redaction and inbox insert behind a plain
  FastAPI route, with one commit per request (in the thread pool, as a sync database call
  would run in FastAPI).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from slpay.api import create_app, serve
from slpay.api.server import uvicorn_config
from slpay.api.webhook import inbox_event
from slpay.config import ApiSettings, HubSettings, LogSettings, Settings
from slpay.connectors.cybersource.webhook_signature import WebhookSignatureError
from slpay.connectors.cybersource.webhooks import WebhookOpener
from slpay.errors import ValidationError
from slpay.logs import configure_logging
from slpay.store import make_engine, migrate
from slpay.store.inbox import NewEvent, insert_events


def bench_settings(db_url: str, port: int) -> Settings:
    return Settings(
        hub=HubSettings(db_url=db_url, processing_paused=True),
        api=ApiSettings(port=port),
        log=LogSettings(level="WARNING"),
    )


def baseline_app(settings: Settings, engine: Engine) -> FastAPI:
    """A plain FastAPI route doing the hub's work with one commit per request."""
    opener = WebhookOpener.from_settings(settings.cybersource)
    orgs = {settings.cybersource.merchant_id}
    app = FastAPI()

    def commit_one(event: NewEvent) -> bool:
        with engine.begin() as conn:
            return insert_events(conn, [event])[0]

    @app.post("/webhooks/cybersource")
    async def webhook(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            note = opener.open(raw, dict(request.headers))
        except WebhookSignatureError as exc:
            return JSONResponse({"error": exc.reason}, status_code=401)
        except ValidationError as exc:
            return JSONResponse({"error": exc.reason}, status_code=400)
        if note.organization_id not in orgs:
            return JSONResponse({"error": "organization id not configured"}, status_code=403)
        is_new = await run_in_threadpool(commit_one, inbox_event(note, datetime.now(UTC)))
        return JSONResponse({"status": "accepted" if is_new else "duplicate"})

    return app


def serve_for_bench(kind: str, db_url: str, port: int) -> None:
    settings = bench_settings(db_url, port)
    configure_logging("WARNING")
    if kind == "hub":
        serve(settings, app=create_app(settings))
        return
    import uvicorn

    engine = make_engine(db_url)
    migrate(engine)
    config = uvicorn_config(baseline_app(settings, engine), "127.0.0.1", port)
    uvicorn.Server(config).run()
