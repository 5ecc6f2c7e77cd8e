"""The sandbox's shared context: configuration, clock, store, pending webhook events."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from .config import SandboxConfig
from .store import Store


@dataclass
class PendingEvent:
    event_type: str
    product_id: str
    resource_id: str
    data: dict[str, Any]


@dataclass
class Sandbox:
    """What every handler needs. ``emit`` queues a webhook event inside the current unit of
    work; the event is written in the same transaction as the state change it reports
    (an outbox), and the delivery worker is woken after the commit."""

    config: SandboxConfig
    store: Store
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    _pending: threading.local = field(default_factory=threading.local)
    #: Set by the webhook module: writes events and their deliveries.
    event_sink: Callable[[Connection, list[PendingEvent]], int] | None = None

    def now(self) -> datetime:
        return self.config.clock()

    @contextmanager
    def work(self) -> Iterator[Connection]:
        """A unit of work: one transaction; webhook events emitted inside are stored with it."""
        self._pending.events = []
        queued = 0
        with self.store.begin() as conn:
            yield conn
            pending: list[PendingEvent] = self._pending.events
            if pending and self.event_sink is not None:
                queued = self.event_sink(conn, pending)
        self._pending.events = []
        if queued:
            for hook in self.on_commit:
                hook()

    def emit(
        self, event_type: str, product_id: str, resource_id: str, data: dict[str, Any]
    ) -> None:
        events: list[PendingEvent] | None = getattr(self._pending, "events", None)
        if events is None:
            raise RuntimeError("emit() outside a unit of work")
        events.append(PendingEvent(event_type, product_id, resource_id, data))
