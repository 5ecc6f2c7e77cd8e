"""The demo's world: both sandboxes and the served hub, all in one process, files under DIR.

:func:`start` wires, in this order: a loopback socket for the hub (so the Cybersource sandbox
knows where to send its webhooks), the Cybersource sandbox (``DIR/cybersource.db``) in a
thread, the SL sandbox company (``DIR/sl.db``), the hub (``DIR/hub.db``: store and DBOS
state) and its HTTP app served by uvicorn on that socket. Logs go to ``DIR/logs/`` only.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import Engine

from slpay.api.app import HubApp
from slpay.api.server import uvicorn_config
from slpay.bootstrap import build_app, build_hub
from slpay.config import Settings, load_settings
from slpay.logs import configure_logging
from slpay.sandbox.cybersource import SandboxConfig, run_in_thread
from slpay.sandbox.cybersource.server import SandboxHandle
from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.engine import open_engine
from slpay.workflows.hub import Hub

#: The files a previous run left, removed at start so that every run tells the same story.
#: Only these are removed: DIR may be a directory the user keeps other things in.
_DATABASES = ("sl.db", "hub.db", "cybersource.db")


@dataclass
class DemoEnv:
    """Everything a scenario step may drive."""

    workdir: Path
    settings: Settings
    sandbox: SandboxHandle
    hub: Hub
    app: HubApp
    hub_url: str
    sl: Engine
    api_key: str
    _server: uvicorn.Server
    _thread: threading.Thread

    @property
    def cs_url(self) -> str:
        return self.sandbox.base_url

    def stop(self) -> None:
        """Stop the hub, the HTTP server and the sandbox; safe to call twice."""
        self.hub.stop()
        self._server.should_exit = True
        self._thread.join(10)
        self.app.close()
        self.sandbox.stop()
        self.sl.dispose()
        self.hub.deps.hub.dispose()
        self.hub.deps.writer.engine.dispose()


def wipe(workdir: Path) -> None:
    """Remove the databases (with their WAL files) and the logs of a previous run."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in _DATABASES:
        for suffix in ("", "-wal", "-shm", "-journal"):
            (workdir / f"{name}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(workdir / "logs", ignore_errors=True)


def _socket(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:  # the configured port is taken: any free one will do for a demo
        sock.bind(("127.0.0.1", 0))
    return sock


def _settings(workdir: Path, cs_url: str, api_key: str, port: int) -> Settings:
    sqlite = f"sqlite:///{workdir.resolve()}"
    overrides: dict[str, Any] = {
        "cybersource": {"base_url": cs_url},
        "sl": {"db_url": f"{sqlite}/sl.db"},
        "hub": {"db_url": f"{sqlite}/hub.db"},
        "api": {"host": "127.0.0.1", "port": port, "api_keys": {"demo-shop": api_key}},
        "workflows": {
            # Fast loops so the whole story fits in well under a minute; the sweep is run by
            # the scenario at the moment it means something (see scenario.dropped_webhooks).
            "executor_id": "slpay-demo",
            "poll_interval_s": 0.05,
            "signals_interval_s": 0.5,
            "sweep_interval_s": 0,
            "retry_base_delay_s": 0.25,
            "retry_max_delay_s": 1.0,
            "batch_size": 50,
            "max_attempts": 1000,
            "intake_capture": True,
            "capture_on_ship": True,
        },
        "log": {"file": workdir / "logs" / "slpay.log"},
    }
    return load_settings(None, **overrides)


def start(workdir: Path, *, port: int = 0) -> DemoEnv:
    """Wipe ``workdir``'s demo files and start everything (see the module docstring)."""
    wipe(workdir)
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    sock = _socket(port)
    hub_port = int(sock.getsockname()[1])
    hub_url = f"http://127.0.0.1:{hub_port}"
    api_key = secrets.token_urlsafe(24)
    sandbox = run_in_thread(
        SandboxConfig(
            db_url=f"sqlite:///{(workdir / 'cybersource.db').resolve()}",
            webhook_url=f"{hub_url}/webhooks/cybersource",
            webhook_retry_unit_s=0.2,
        )
    )
    settings = _settings(workdir, sandbox.base_url, api_key, hub_port)
    configure_logging(settings.log.level, file=settings.log.file, stream=None)
    sl = open_engine(settings.sl.db_url)
    init_company(sl)
    hub = build_hub(settings)
    app = build_app(settings, hub)
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", hub_port))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="slpay-demo-http", daemon=True
    )
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the hub's HTTP server did not start")
        time.sleep(0.01)
    hub.start()
    return DemoEnv(workdir, settings, sandbox, hub, app, hub_url, sl, api_key, server, thread)
