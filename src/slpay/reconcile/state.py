"""What reconciliation remembers in the hub's database: which SL documents settled on which
day (so a later day never counts them again, and a re-run of a day replaces only its own), and
each day's last outcome (``not-available`` days are retried by the schedule).

The tables are part of the hub's store (:mod:`slpay.store.schema`, created by its Alembic
migrations like every other table).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from slpay.store.schema import recon_days, recon_settled


def settled_elsewhere(
    conn: Connection, day: date, keys: Sequence[str], chunk: int = 5_000
) -> set[str]:
    """Those of ``keys`` (SL documents about to be matched) that settled on another day.

    Asked per fetched block of SL documents, by primary key, so that nothing proportional to
    the earlier days' volume is ever held in memory (a million-document day after a
    million-document day). Driver-level statements: a block is tens of thousands of keys.
    """
    found: set[str] = set()
    d = day.isoformat()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for at in range(0, len(keys), chunk):
        part = list(keys[at : at + chunk])
        marks = ",".join([mark] * len(part))
        sql = f"SELECT sl_key FROM recon_settled WHERE day <> {mark} AND sl_key IN ({marks})"  # noqa: S608 - placeholders only
        found.update(k for (k,) in conn.exec_driver_sql(sql, (d, *part)).fetchall())
    return found


def record_settled(
    conn: Connection, day: date, currency: str, keys: Iterable[str], chunk: int = 50_000
) -> None:
    """Replace the day's settled keys of one currency."""
    d = day.isoformat()
    conn.execute(
        delete(recon_settled).where(recon_settled.c.day == d, recon_settled.c.currency == currency)
    )
    # A day can settle a million documents: the driver's executemany, not per-row Core
    # parameter processing (five times faster here).
    sql = (
        "INSERT INTO recon_settled (sl_key, day, currency) VALUES (?, ?, ?)"
        if conn.dialect.paramstyle == "qmark"
        else "INSERT INTO recon_settled (sl_key, day, currency) VALUES (%s, %s, %s)"
    )
    batch: list[tuple[str, str, str]] = []
    for k in keys:
        batch.append((k, d, currency))
        if len(batch) >= chunk:
            conn.exec_driver_sql(sql, batch)
            batch = []
    if batch:
        conn.exec_driver_sql(sql, batch)


def record_day(conn: Connection, day: date, status: str, summary: dict[str, Any]) -> None:
    d = day.isoformat()
    conn.execute(delete(recon_days).where(recon_days.c.day == d))
    conn.execute(
        insert(recon_days).values(
            day=d, status=status, summary=json.dumps(summary), updated_at=datetime.now(UTC)
        )
    )


def day_status(conn: Connection, day: date) -> str | None:
    row = conn.execute(select(recon_days.c.status).where(recon_days.c.day == day.isoformat()))
    return row.scalar()


def pending_days(conn: Connection) -> list[date]:
    """Days whose report was not yet available when last tried."""
    rows = conn.execute(select(recon_days.c.day).where(recon_days.c.status == "not-available"))
    return sorted(date.fromisoformat(d) for d in rows.scalars())
