"""The embedded Cybersource sandbox: Cybersource's REST paths and JSON shapes over SQLite.

``create_app(config)`` is an ASGI app (in-process with ``httpx.ASGITransport``);
``run_in_thread(config)`` serves it on a loopback port and returns a handle with
``base_url`` and ``stop()``; ``slpay sandbox cybersource`` runs it in the foreground.
See docs/cybersource-sandbox.md.

Names are loaded on first use so that ``slpay --help`` does not import the server stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import SandboxApp, create_app
    from .config import FeeRule, SandboxConfig
    from .server import SandboxHandle, run_in_thread

_WHERE = {
    "SandboxApp": "app",
    "create_app": "app",
    "FeeRule": "config",
    "SandboxConfig": "config",
    "SandboxHandle": "server",
    "run_in_thread": "server",
}

__all__ = ["FeeRule", "SandboxApp", "SandboxConfig", "SandboxHandle", "create_app", "run_in_thread"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(name)
