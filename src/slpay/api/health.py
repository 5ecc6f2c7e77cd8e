"""``/healthz`` (the process answers), ``/readyz`` (it can do its work), ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from slpay.api.metrics import CONTENT_TYPE_LATEST, HubMetrics
from slpay.logs import get_logger

router = APIRouter()
_log = get_logger(__name__)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process serves requests."""
    return {"status": "ok"}


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the store answers, the inbox writer runs, every plugged-in check passes."""
    state: Any = request.app.state
    checks: dict[str, str] = {}
    try:
        await run_in_threadpool(_ping, state.engine)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    checks["inbox_writer"] = "closed" if state.writer.closed else "ok"
    for name, check in state.readiness_checks.items():
        try:
            checks[name] = "ok" if await check() else "not ready"
        except Exception as exc:
            checks[name] = f"failed: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    if not ready:
        _log.warning("not_ready", checks=checks)
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus exposition of the hub's metrics."""
    hub_metrics: HubMetrics = request.app.state.metrics
    return Response(hub_metrics.render(), media_type=CONTENT_TYPE_LATEST)
