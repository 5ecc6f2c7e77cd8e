"""The running hub: DBOS runtime, inbox worker, SL signals, sweep, heartbeat.

:class:`Hub` is what ``slpay serve`` runs next to the HTTP app, and what a demo or a
benchmark starts in-process::

    hub = bootstrap.build_hub(settings)           # connectors, store, mapping, runtime
    hub.start()                                   # DBOS launch + background loops
    ...                                           # webhooks / POST /api/orders / hub.app
    hub.wait_idle(timeout=60)                     # every due inbox event finished
    hub.apply_prepayments()                       # PP → IN for invoiced, released orders
    hub.summary()                                 # orders, captured, posted, parked, ...
    hub.stop()

Loops (daemon threads, each stops with :meth:`stop`): the *worker* enqueues a
:func:`~slpay.workflows.batch.drain_inbox` micro-batch on the SL queue whenever due events
wait and the queue has room; the *signals* loop applies prepayments; the *sweep* searches
Cybersource; the *heartbeat* marks this process alive and takes over dead peers' workflows;
*reconcile* reconciles the previous settlement day once its scheduled time has passed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select

from slpay.logs import get_logger
from slpay.reconcile.hub_loop import CHECK_EVERY_S as RECONCILE_CHECK_S
from slpay.reconcile.hub_loop import ReconcileLoop
from slpay.store import control
from slpay.store.schema import inbox
from slpay.workflows import heartbeat
from slpay.workflows.applications import apply_prepayments
from slpay.workflows.batch import drain_inbox
from slpay.workflows.context import Deps, install
from slpay.workflows.runtime import Runtime
from slpay.workflows.shipping import capture_shipments
from slpay.workflows.sl_refunds import money_back_once
from slpay.workflows.summary import summary
from slpay.workflows.sweep import sweep_once

log = get_logger(__name__)


class Hub:
    """Background processing of one ``slpay serve`` process (see the module docstring)."""

    def __init__(self, deps: Deps, runtime: Runtime, *, loops: bool = True) -> None:
        self.deps = deps
        self.runtime = runtime
        self.loops = loops
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = False

    @property
    def executor_id(self) -> str:
        return self.runtime.executor_id

    def start(self) -> None:
        """Install the dependencies, launch DBOS (recovering our own work), start the loops."""
        install(self.deps)
        self.runtime.start()
        self._beat()
        self._started = True
        if not self.loops:
            return
        w = self.deps.settings.workflows
        self._spawn("worker", self._work_once, w.poll_interval_s)
        self._spawn("signals", self.apply_prepayments, w.signals_interval_s)
        self._spawn("money-back", self.money_back, w.signals_interval_s)
        self._spawn("heartbeat", self._beat_and_recover, w.heartbeat_interval_s)
        if w.sweep_interval_s > 0:
            self._spawn("sweep", self.sweep, w.sweep_interval_s)
        if w.capture_on_ship:
            self._spawn("shipping", self.capture_shipments, w.signals_interval_s)
        self._spawn("reconcile", ReconcileLoop.from_deps(self.deps), RECONCILE_CHECK_S)

    def stop(self) -> None:
        """Stop the loops and DBOS; unfinished workflows are recovered at the next start."""
        if not self._started:
            return
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)
        self.runtime.stop()
        self.deps.cs.close()
        self.deps.notifier.close()
        # Close the pools too: a stopped hub holds no database connections (PostgreSQL counts them).
        self.deps.hub.dispose()
        self.deps.writer.engine.dispose()
        install(None)
        self._started = False

    # --- loops --------------------------------------------------------------------------

    def _spawn(self, name: str, fn: Callable[[], object], interval: float) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    fn()
                except Exception:
                    log.exception("hub.loop_failed", loop=name)
                self._stop.wait(interval)

        t = threading.Thread(target=loop, name=f"slpay-{name}", daemon=True)
        t.start()
        self._threads.append(t)

    def due_events(self) -> int:
        """Inbox events waiting for a worker now."""
        now = datetime.now(UTC)
        stmt = (
            select(func.count())
            .select_from(inbox)
            .where(inbox.c.status == "new")
            .where(or_(inbox.c.next_attempt_at.is_(None), inbox.c.next_attempt_at <= now))
        )
        with self.deps.hub.connect() as conn:
            if control.is_paused(conn):
                return 0
            return int(conn.execute(stmt).scalar_one())

    def _work_once(self) -> None:
        due = self.due_events()
        if not due:
            return
        w = self.deps.settings.workflows
        room = 2 * w.sl_concurrency - self.runtime.queued()
        wanted = min(room, -(-due // w.batch_size))
        for _ in range(max(wanted, 0)):
            self.runtime.enqueue(drain_inbox, w.batch_size, workflow_id=f"o2c-{uuid.uuid4().hex}")

    def _beat(self) -> None:
        with self.deps.hub.begin() as conn:
            heartbeat.beat(conn, self.executor_id, self.runtime.application_version)

    def _beat_and_recover(self) -> None:
        self._beat()
        self.recover_dead_peers()
        stale_after = timedelta(seconds=self.deps.settings.workflows.heartbeat_stale_s)
        heartbeat.retire_old_versions(self.deps.hub, self.runtime, stale_after)
        heartbeat.release_orphaned_claims(self.deps.hub, self.runtime, stale_after)

    def recover_dead_peers(self) -> list[str]:
        """Take over the workflows of executors whose heartbeat is stale."""
        stale_after = timedelta(seconds=self.deps.settings.workflows.heartbeat_stale_s)
        with self.deps.hub.connect() as conn:
            dead = heartbeat.stale_executors(conn, stale_after, me=self.executor_id)
        for executor in dead:
            self.runtime.recover_peers([executor])
            if self.runtime.pending_of(executor):  # DBOS skipped some: retry at the next beat
                continue
            with self.deps.hub.begin() as conn:
                heartbeat.forget(conn, executor)
        return dead

    # --- one-shot operations (also used by the loops) -------------------------------------

    def apply_prepayments(self) -> dict[str, int]:
        """Apply released PPs to released invoices (see :mod:`.applications`)."""
        return apply_prepayments(self.deps)

    def capture_shipments(self) -> int:
        """Start a capture for each newly confirmed SL shipper (see :mod:`.shipping`)."""
        return capture_shipments(self.deps, self.runtime)

    def money_back(self) -> dict[str, int]:
        """SL card-refund CMs and cancellations, the chargeback report, refund applications."""
        return money_back_once(self.deps)

    def sweep(self) -> int:
        """One transaction-search sweep; how many events it added to the inbox."""
        return sweep_once(self.deps)

    def wait_idle(self, timeout: float = 60.0, *, include_deferred: bool = False) -> bool:
        """Wait until no inbox event is new (and due) or claimed; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle(include_deferred):
                return True
            time.sleep(0.1)
        return False

    def _idle(self, include_deferred: bool) -> bool:
        now = datetime.now(UTC)
        waiting = inbox.c.status == "claimed"
        new = inbox.c.status == "new"
        if not include_deferred:
            new = new & or_(inbox.c.next_attempt_at.is_(None), inbox.c.next_attempt_at <= now)
        stmt = select(func.count()).select_from(inbox).where(or_(waiting, new))
        with self.deps.hub.connect() as conn:
            return int(conn.execute(stmt).scalar_one()) == 0

    def summary(self) -> dict[str, int]:
        """Counts with DESIGN.md's ``slpay demo --json`` keys (see :mod:`.summary`)."""
        return summary(self.deps)
