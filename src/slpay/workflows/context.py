"""What the workflows need, wired once per process by :mod:`slpay.bootstrap`.

DBOS workflows are module-level functions (DBOS registers them at import), so they reach
their dependencies through :func:`deps`, set by the Hub before the runtime launches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from sqlalchemy import Engine

from slpay.config import Settings
from slpay.connectors.cybersource.client import CybersourceClient
from slpay.connectors.dynamics_sl.reader import SLReader
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.mapping.document import Lookups
from slpay.mapping.rules import CompiledMapping
from slpay.retry import RetryPolicy
from slpay.workflows.notify import Notifier


@dataclass
class Deps:
    """Connectors, store and rules shared by every workflow of this process."""

    settings: Settings
    hub: Engine
    cs: CybersourceClient
    writer: SLWriter
    reader: SLReader
    mapping: CompiledMapping
    notifier: Notifier
    _lookups: Lookups | None = None
    _lock: Lock = field(default_factory=Lock)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def lookups(self) -> Lookups:
        """SL look-ups for the mapping, read once (the base currency does not change)."""
        from slpay.workflows.sl_state import lookups

        with self._lock:
            if self._lookups is None:
                self._lookups = lookups(self.writer)
            return self._lookups

    @property
    def retry_policy(self) -> RetryPolicy:
        """Backoff between attempts of an inbox event after a transient failure."""
        w = self.settings.workflows
        return RetryPolicy(
            attempts=w.max_attempts,
            base_delay=w.retry_base_delay_s,
            max_delay=w.retry_max_delay_s,
        )

    @property
    def organization_id(self) -> str:
        orgs = self.settings.api.webhook_organization_ids
        return orgs[0] if orgs else self.settings.cybersource.merchant_id


_current: Deps | None = None


def install(d: Deps | None) -> None:
    """Make ``d`` the process's dependencies (None on shutdown)."""
    global _current
    _current = d


def deps() -> Deps:
    """The process's dependencies; fails clearly when the hub was not started."""
    if _current is None:
        raise RuntimeError("slpay workflows used before the hub was started")
    return _current
