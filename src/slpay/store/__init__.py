"""The hub's own store: inbox, cross-references, tasks, audit (SQLAlchemy Core + Alembic).

SQLite file by default (WAL, synchronous=FULL), PostgreSQL by URL. Start-up calls
:func:`migrate`; repositories are plain functions taking a ``Connection`` so that callers
decide the transaction. The webhook path writes through :func:`inbox_writer` (group commit).
"""

from slpay.store.engine import make_engine, normalize_db_url
from slpay.store.group_commit import GroupCommitWriter, WriterBusy, WriterClosed, inbox_writer
from slpay.store.inbox import InboxEvent, NewEvent
from slpay.store.migrate import migrate

__all__ = [
    "GroupCommitWriter",
    "InboxEvent",
    "NewEvent",
    "WriterBusy",
    "WriterClosed",
    "inbox_writer",
    "make_engine",
    "migrate",
    "normalize_db_url",
]
