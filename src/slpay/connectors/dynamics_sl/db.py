"""Connections to the SL database: engines, write transactions, locking reads, error mapping.

One transaction per SL document (or per micro-batch of documents); the numbering rows are read
with a lock held to the end of the transaction:

* SQL Server: ``WITH (UPDLOCK, HOLDLOCK)`` table hint (SQLAlchemy compiles ``FOR UPDATE`` to
  nothing on mssql, so the hint is added explicitly);
* PostgreSQL: ``SELECT ... FOR UPDATE``;
* SQLite: the write transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time).

Every database failure is turned into slpay's error tree here, and only here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, create_engine, event, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from slpay.errors import ExternalError, PermanentError, TransientError

SYSTEM = "dynamics_sl"
#: SQL Server's table hint that keeps a numbering row locked until commit.
MSSQL_LOCK_HINT = "WITH (UPDLOCK, HOLDLOCK)"


def normalize_url(url: str) -> str:
    """A SQLAlchemy URL; a bare path means a SQLite file."""
    if "://" in url:
        return url
    return f"sqlite:///{Path(url).expanduser()}"


def create_sl_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for an SL database (SQLite gets WAL and a generous busy timeout)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", 60)
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            event.listen(engine, "connect", _sqlite_wal)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_wal(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    finally:
        cur.close()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction, committed on success, rolled back on error."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            dbapi = conn.connection.dbapi_connection
            if dbapi is not None and not getattr(dbapi, "in_transaction", False):
                # Take SQLite's write lock now: numbering read + insert must not interleave.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.begin()
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def locked(stmt: Select[Any], table: Table) -> Select[Any]:
    """``stmt`` reading ``table`` with its rows locked to the end of the transaction."""
    return stmt.with_hint(table, MSSQL_LOCK_HINT, "mssql").with_for_update()


def lock_rows(conn: Connection, table: Table, *where: Any) -> list[Any]:
    """Read and lock the rows of ``table`` matching ``where``."""
    return list(conn.execute(locked(select(table).where(*where), table)).all())


def classify(exc: SQLAlchemyError, operation: str) -> ExternalError:
    """The one place that turns a database error into slpay's error tree."""
    reason = type(getattr(exc, "orig", exc)).__name__
    if isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return TransientError(
            "SL database unavailable or busy", system=SYSTEM, operation=operation, reason=reason
        )
    if isinstance(exc, IntegrityError):
        return PermanentError(
            "SL refused the rows (constraint)", system=SYSTEM, operation=operation, reason=reason
        )
    return PermanentError("SL database error", system=SYSTEM, operation=operation, reason=reason)
