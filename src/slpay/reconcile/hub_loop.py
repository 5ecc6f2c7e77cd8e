"""The hub's daily reconciliation: :func:`slpay.reconcile.schedule.run_due` on a loop.

:class:`ReconcileLoop` is what the hub's ``reconcile`` background loop calls every
:data:`CHECK_EVERY_S` seconds. Once ``reconcile.schedule_time`` has passed in
``reconcile.timezone``, the previous local day is reconciled once; a day whose report is not
out yet (``not-available``) is tried again, but at most every :data:`RETRY_EVERY` so that
Cybersource's reporting API is not polled every minute. The clock is injected (tests move it).

Several ``slpay serve`` processes may each run the loop: every write of a day is idempotent
(the GL batch on its settlement key, tasks on their keys, the day's settled keys replaced), so
two processes reconciling the same day at once post it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from slpay.logs import get_logger
from slpay.reconcile import state
from slpay.reconcile.schedule import due_day, run_due
from slpay.reconcile.service import DayResult, Reconciler

if TYPE_CHECKING:
    from slpay.workflows.context import Deps

log = get_logger(__name__)

#: How often the hub looks whether a day is due (a cheap read of ``recon_days``).
CHECK_EVERY_S = 60.0
#: How long a day whose report was not available waits before it is asked for again.
RETRY_EVERY = timedelta(minutes=15)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ReconcileLoop:
    """Callable once per check; returns the days it reconciled (or tried) this time."""

    def __init__(self, reconciler: Reconciler, clock: Callable[[], datetime] = _utcnow) -> None:
        self.reconciler = reconciler
        self.clock = clock
        self._last_try: datetime | None = None

    @classmethod
    def from_deps(cls, deps: Deps, clock: Callable[[], datetime] = _utcnow) -> ReconcileLoop:
        """The loop over the hub's own connectors (Cybersource client, SL writer, hub store)."""
        return cls(Reconciler(deps.settings, deps.cs, deps.writer, deps.hub), clock)

    def __call__(self) -> list[DayResult]:
        now = self.clock()
        if not self._has_work(now):
            return []
        self._last_try = now
        results = run_due(self.reconciler, now)
        for r in results:
            log.info("reconcile.scheduled", day=r.day.isoformat(), status=r.status)
        return results

    def _has_work(self, now: datetime) -> bool:
        """A due day never tried, or waiting days whose retry interval has passed."""
        today = due_day(now, self.reconciler.cfg)
        with self.reconciler.hub.connect() as conn:
            if today is not None and state.day_status(conn, today) is None:
                return True
            waiting = bool(state.pending_days(conn))
        return waiting and (self._last_try is None or now - self._last_try >= RETRY_EVERY)
