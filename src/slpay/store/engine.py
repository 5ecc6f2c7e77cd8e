"""Engines for slpay's own store: a SQLite file by default, PostgreSQL by URL.

SQLite is put in WAL mode with ``synchronous=FULL`` on every connection: the webhook answers 2xx
only after the inbox row is committed, and FULL makes that commit survive a power loss, not just
a process crash (NORMAL in WAL mode may lose the last transactions on power loss). WAL lets
readers (health checks, the console) run while the writer commits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

#: How long a SQLite connection waits for the write lock before failing (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_db_url(db: str | Path) -> str:
    """A SQLAlchemy URL; a bare path (no ``://``) means a SQLite file (DESIGN.md)."""
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser()}"


def make_engine(db: str | Path, **kwargs: Any) -> Engine:
    """Create the store's engine; SQLite connections get WAL, synchronous=FULL, a busy timeout.

    Extra keyword arguments go to :func:`sqlalchemy.create_engine` (e.g. ``connect_args`` to
    set a PostgreSQL ``search_path``).
    """
    url = make_url(normalize_db_url(db))
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
    finally:
        cur.close()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
