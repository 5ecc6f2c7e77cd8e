"""The daily hook the hub's scheduler calls (e.g. a DBOS cron step every few minutes).

At ``reconcile.schedule_time`` in ``reconcile.timezone`` the previous local day is due; days
whose report was not available yet (``not-available``) are tried again on every call until
their report is out. :func:`run_due` is idempotent: a day already reconciled is not redone
(a re-run on purpose is ``slpay reconcile --date``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slpay.config import ReconcileSettings
from slpay.reconcile import state
from slpay.reconcile.service import DayResult, Reconciler


def due_day(now: datetime, cfg: ReconcileSettings) -> date | None:
    """The day due at ``now`` (aware): yesterday once today's schedule time has passed."""
    local = now.astimezone(ZoneInfo(cfg.timezone))
    hh, mm = (int(p) for p in cfg.schedule_time.split(":"))
    if local.time() < time(hh, mm):
        return None
    return local.date() - timedelta(days=1)


def next_run(now: datetime, cfg: ReconcileSettings) -> datetime:
    """The next scheduled moment after ``now``, aware, in the configured time zone."""
    zone = ZoneInfo(cfg.timezone)
    local = now.astimezone(zone)
    hh, mm = (int(p) for p in cfg.schedule_time.split(":"))
    at = datetime.combine(local.date(), time(hh, mm), tzinfo=zone)
    return (
        at
        if at > local
        else datetime.combine(local.date() + timedelta(days=1), time(hh, mm), tzinfo=zone)
    )


def run_due(reconciler: Reconciler, now: datetime) -> list[DayResult]:
    """Reconcile the due day (if not done yet) and retry days still waiting for their report."""
    with reconciler.hub.connect() as conn:
        days = state.pending_days(conn)
        today = due_day(now, reconciler.cfg)
        if today is not None and state.day_status(conn, today) is None:
            days.append(today)
    return [reconciler.reconcile_day(d) for d in sorted(set(days))]
