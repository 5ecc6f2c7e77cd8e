"""Named flags shared by every ``slpay serve`` process on one database (e.g. pause processing).

Processing paused means: webhooks, the sweep and order intake still store events in the inbox,
but no worker claims them. Workers read :func:`is_paused` before each micro-batch.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from slpay.store.schema import control

PROCESSING_PAUSED = "processing_paused"


def set_flag(conn: Connection, name: str, value: str) -> None:
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    now = datetime.now(UTC)
    stmt = dialect.insert(control).values(name=name, value=value, updated_at=now)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"], set_={"value": value, "updated_at": now}
        )
    )


def get_flag(conn: Connection, name: str) -> str | None:
    return conn.execute(select(control.c.value).where(control.c.name == name)).scalar()


def set_paused(conn: Connection, paused: bool) -> None:
    """Pause or resume processing for every process sharing this database."""
    set_flag(conn, PROCESSING_PAUSED, "1" if paused else "0")


def is_paused(conn: Connection) -> bool:
    return get_flag(conn, PROCESSING_PAUSED) == "1"
