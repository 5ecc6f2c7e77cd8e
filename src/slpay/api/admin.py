"""The authenticated admin API (``X-API-Key``): pause and resume processing.

Pausing is shared by every ``slpay serve`` process on the database: webhooks, order intake and
the sweep keep filling the inbox; workers claim nothing until processing is resumed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Engine

from slpay.api.security import require_api_key
from slpay.store import control
from slpay.store.inbox import count_by_status

router = APIRouter(prefix="/admin", dependencies=[Depends(require_api_key)])


def _processing(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {"paused": control.is_paused(conn), "inbox": count_by_status(conn)}


def _set_paused(engine: Engine, paused: bool) -> dict[str, Any]:
    with engine.begin() as conn:
        control.set_paused(conn, paused)
    return _processing(engine)


@router.get("/processing")
def processing(request: Request) -> dict[str, Any]:
    """Whether processing is paused, and the inbox by status."""
    return _processing(request.app.state.engine)


@router.post("/processing/pause")
def pause(request: Request) -> dict[str, Any]:
    """Pause processing: the inbox accumulates."""
    return _set_paused(request.app.state.engine, True)


@router.post("/processing/resume")
def resume(request: Request) -> dict[str, Any]:
    """Resume processing."""
    return _set_paused(request.app.state.engine, False)
