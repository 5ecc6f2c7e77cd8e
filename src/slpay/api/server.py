"""Run the hub's HTTP app with uvicorn (uvloop + httptools); ``slpay serve`` calls :func:`serve`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import uvicorn

from slpay.api.app import HubApp, create_app
from slpay.api.webhook import Receive, Scope, Send
from slpay.config import Settings

AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def uvicorn_config(app: AsgiApp, host: str, port: int) -> uvicorn.Config:
    """The server configuration used in production, the tests and the benchmark."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,  # slpay.logs configures logging; uvicorn must not replace it
        server_header=False,
    )


def serve(settings: Settings, *, app: HubApp | None = None) -> None:
    """Serve until interrupted (SIGINT/SIGTERM); the writer commits what is queued on exit."""
    hub = app or create_app(settings)
    try:
        uvicorn.Server(uvicorn_config(hub, settings.api.host, settings.api.port)).run()
    finally:
        hub.close()
