"""Discrepancies as ``discrepancy`` tasks: opened once per key, closed when gone on a re-run.

A task's key is ``recon:<day>:<kind>:<what>``; its evidence holds both sides' records. A
re-run of a day opens what is new (an open task with the same key is reused, never doubled,
its reason and evidence updated to what this run found) and resolves the day's open tasks that
are no longer present, with a note saying so. A never-settled document's task is keyed by the
day it became overdue and closes once a later day settles it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Connection

from slpay.domain.reconciliation import NOT_SETTLED
from slpay.reconcile.keys import task_day_prefix, task_key
from slpay.reconcile.matching import Discrepancy
from slpay.store import tasks


def sync_tasks(
    conn: Connection, day: date, found: list[Discrepancy], is_settled: Callable[[str], bool]
) -> tuple[int, int]:
    """Open tasks for ``found`` and close the day's stale ones; (opened, closed)."""
    wanted: set[str] = set()
    opened = 0
    for d in found:
        key = task_key(d.day or day, d.kind, d.what)
        wanted.add(key)
        evidence = {"kind": d.kind, "currency": d.currency, **d.evidence}
        reason = f"{d.kind}: {d.reason}"
        task, created = tasks.open_task(conn, "discrepancy", key, reason, evidence)
        opened += created
        if not created:  # seen again on a re-run: the evidence of now, not of the first run
            tasks.update_evidence(conn, task.id, reason, evidence)
    prefix, marker = task_day_prefix(day), f":{NOT_SETTLED}:"
    closed = 0
    for t in tasks.list_tasks(conn, kind="discrepancy"):
        stale = t.key.startswith(prefix) and t.key not in wanted
        _, mark, sl_key = t.key.partition(marker)
        if stale or (mark and t.key not in wanted and is_settled(sl_key)):
            note = f"no longer present when {day.isoformat()} was reconciled again"
            closed += tasks.resolve_task(conn, t.id, note)
    return opened, closed
