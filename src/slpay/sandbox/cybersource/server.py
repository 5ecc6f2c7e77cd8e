"""Run the sandbox over real HTTP: in the foreground (the CLI) or in a background thread
(tests, the demo, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, replace

import uvicorn

from .app import SandboxApp, create_app
from .config import DEFAULT_HOST, SandboxConfig


def _uvicorn_config(app: SandboxApp, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    )


def serve(config: SandboxConfig, host: str, port: int, *, log_level: str = "info") -> None:
    """Serve until interrupted (Ctrl-C)."""
    app = create_app(config)
    try:
        uvicorn.Server(_uvicorn_config(app, host, port, log_level)).run()
    finally:
        app.close()


@dataclass
class SandboxHandle:
    """A sandbox serving on a loopback port from a background thread."""

    app: SandboxApp
    base_url: str
    port: int
    _server: uvicorn.Server
    _thread: threading.Thread

    @property
    def config(self) -> SandboxConfig:
        return self.app.config

    def stop(self) -> None:
        """Stop serving and release the database; safe to call twice."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.app.close()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(
    config: SandboxConfig | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    log_level: str = "warning",
    startup_timeout_s: float = 10.0,
) -> SandboxHandle:
    """Start the sandbox on ``host:port`` (0 = a free port) and return once it accepts requests."""
    cfg = config or SandboxConfig()
    app = create_app(cfg)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    actual_port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(app, host, actual_port, log_level))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="cs-sandbox-http", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            app.close()
            raise RuntimeError("the Cybersource sandbox did not start")
        time.sleep(0.01)
    return SandboxHandle(app, f"http://{host}:{actual_port}", actual_port, server, thread)


def with_db(config: SandboxConfig, db_url: str) -> SandboxConfig:
    return replace(config, db_url=db_url)
