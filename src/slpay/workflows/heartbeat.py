"""Liveness of ``slpay serve`` processes, kept in the hub store's ``control`` table.

Each process writes ``heartbeat:<executor id>`` every ``heartbeat_interval_s``. A live process
looks for executors whose heartbeat is older than ``heartbeat_stale_s``: their PENDING DBOS
workflows are recovered (:meth:`Runtime.recover_peers`) and their heartbeat row removed, so
the take-over happens once. A dead process restarted with the same executor id recovers its
own work at launch anyway (DBOS does that), and simply starts beating again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, select

from slpay.store.control import set_flag
from slpay.store.schema import control

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
