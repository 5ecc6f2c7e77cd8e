"""Liveness of ``slpay serve`` processes, kept in the hub store's ``control`` table.

Each process writes ``heartbeat:<executor id>`` every ``heartbeat_interval_s``. A live process
looks for executors whose heartbeat is older than ``heartbeat_stale_s``: their PENDING DBOS
workflows are recovered (:meth:`Runtime.recover_peers`) and their heartbeat row removed, so
the take-over happens once. A dead process restarted with the same executor id recovers its
own work at launch anyway (DBOS does that), and simply starts beating again.

A workflow of an application version no live process runs is never recovered (DBOS recovers
only its own version): :func:`retire_old_versions` cancels those after an upgrade.

Recovery brings back workflows, not claims: a micro-batch that DBOS will never run again
(cancelled by an operator, failed in a step, past its recovery attempts) would hold its
claimed inbox events forever. :func:`release_orphaned_claims` hands those events back once
their claim is older than the staleness limit; SL business keys make a late re-run harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, delete, select

from slpay.logs import get_logger
from slpay.store.control import set_flag
from slpay.store.inbox import claim_owners, release_claims_of
from slpay.store.schema import control

if TYPE_CHECKING:
    from slpay.workflows.runtime import Runtime

log = get_logger(__name__)

PREFIX = "heartbeat:"


def beat(conn: Connection, executor_id: str, version: str) -> None:
    """Record that ``executor_id`` is alive now."""
    set_flag(conn, PREFIX + executor_id, version)


def stale_executors(
    conn: Connection, stale_after: timedelta, *, me: str, now: datetime | None = None
) -> list[str]:
    """Executors other than ``me`` whose last heartbeat is older than ``stale_after``."""
    limit = (now or datetime.now(UTC)) - stale_after
    stmt = select(control.c.name).where(
        control.c.name.like(PREFIX + "%"), control.c.updated_at < limit
    )
    names = [str(n)[len(PREFIX) :] for n in conn.execute(stmt).scalars()]
    return [n for n in names if n != me]


def forget(conn: Connection, executor_id: str) -> None:
    """Drop an executor's heartbeat (after its work was taken over, or on clean shutdown)."""
    conn.execute(delete(control).where(control.c.name == PREFIX + executor_id))


def live_executors(conn: Connection) -> list[str]:
    """Every executor with a heartbeat row (live or not yet noticed as dead)."""
    stmt = select(control.c.name).where(control.c.name.like(PREFIX + "%"))
    return sorted(str(n)[len(PREFIX) :] for n in conn.execute(stmt).scalars())


def live_versions(
    conn: Connection, stale_after: timedelta, now: datetime | None = None
) -> set[str]:
    """Application versions some executor with a fresh heartbeat runs."""
    limit = (now or datetime.now(UTC)) - stale_after
    stmt = select(control.c.value).where(
        control.c.name.like(PREFIX + "%"), control.c.updated_at >= limit
    )
    return {str(v) for v in conn.execute(stmt).scalars()}


def retire_old_versions(engine: Engine, runtime: Runtime, stale_after: timedelta) -> int:
    """Cancel the unfinished workflows of application versions no live process runs.

    DBOS recovers a PENDING workflow only in a process of its own application version, and
    a PENDING micro-batch holds a slot of the SL queue's global concurrency: after an upgrade
    (``workflows.application_version`` changed) the old version's interrupted batches would
    block the queue for good. Cancelled here, their claimed events go back to the inbox
    (:func:`release_orphaned_claims`) and the new version posts them; SL business keys make
    whatever the old batch already wrote harmless. Versions still beating (a rolling
    upgrade) are left alone.
    """
    with engine.connect() as conn:
        keep = live_versions(conn, stale_after) | {runtime.application_version}
    retired = runtime.workflows_of_other_versions(keep)
    if retired:
        runtime.cancel(retired)
        log.warning("hub.old_version_workflows_cancelled", workflows=retired, kept=sorted(keep))
    return len(retired)


def release_orphaned_claims(engine: Engine, runtime: Runtime, older_than: timedelta) -> int:
    """Give back inbox events claimed by workflows that will never run again; how many."""
    with engine.connect() as conn:
        owners = claim_owners(conn, datetime.now(UTC) - older_than)
    lost = sorted(set(owners) - runtime.unfinished(owners))
    if not lost:
        return 0
    with engine.begin() as conn:
        released = release_claims_of(conn, lost)
    log.warning("hub.orphaned_claims_released", workflows=lost, events=released)
    return released
