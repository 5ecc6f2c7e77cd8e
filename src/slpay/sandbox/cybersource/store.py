"""The sandbox's state: SQLAlchemy Core tables in SQLite (a file survives restarts).

Amounts are stored as decimal strings, times as ``YYYY-MM-DDThh:mm:ss.ffffffZ`` strings (they
sort), request details as JSON text that has passed the PAN redactor. Card numbers are never
stored: only a keyed hash, the BIN and the last four digits.

Every unit of work runs under one lock (SQLite has a single writer anyway), so read-then-write
checks such as "captures never exceed the authorization" cannot race.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.pool import StaticPool

from slpay.redact import redact_data

metadata = MetaData()

transactions = Table(
    "cs_transactions",
    metadata,
    Column("id", String(32), primary_key=True),
    #: auth, sale (auth + capture in one call), capture, refund, reversal, void, credit
    Column("kind", String(16), nullable=False),
    Column("root_id", String(32), nullable=False, index=True),
    Column("parent_id", String(32), index=True),
    Column("status", String(40), nullable=False),
    Column("amount", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("code", String(64), index=True),
    Column("client_txn_id", String(64), index=True),
    Column("submit_time", String(32), nullable=False, index=True),
    Column("reconciliation_id", String(32)),
    Column("reason", String(64)),
    Column("decision", String(16)),
    Column("batch_id", String(16)),
    Column("batch_date", String(10), index=True),
    Column("card_type", String(3)),
    Column("card_bin", String(8)),
    Column("card_suffix", String(4)),
    Column("data", Text, nullable=False, default="{}"),
)

batches = Table(
    "cs_batches",
    metadata,
    Column("batch_id", String(16), primary_key=True),
    Column("batch_date", String(10), nullable=False, index=True),
    Column("closed_at", String(32), nullable=False),
)

instrument_identifiers = Table(
    "cs_instrument_identifiers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("card_hash", String(64), nullable=False, unique=True),
    Column("card_bin", String(8), nullable=False),
    Column("card_suffix", String(4), nullable=False),
    Column("card_type", String(3), nullable=False),
    Column("state", String(16), nullable=False),
    Column("data", Text, nullable=False, default="{}"),
)

payment_instruments = Table(
    "cs_payment_instruments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("customer_id", String(32), index=True),
    Column("instrument_identifier_id", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("data", Text, nullable=False, default="{}"),
)

customers = Table(
    "cs_customers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("default_payment_instrument_id", String(32)),
    Column("data", Text, nullable=False, default="{}"),
)

transient_tokens = Table(
    "cs_transient_tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("card_hash", String(64), nullable=False),
    Column("card_bin", String(8), nullable=False),
    Column("card_suffix", String(4), nullable=False),
    Column("card_type", String(3), nullable=False),
    Column("exp_month", String(2), nullable=False),
    Column("exp_year", String(4), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("used", Integer, nullable=False, default=0),
)

meta = Table(
    "cs_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

webhook_keys = Table(
    "cs_webhook_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("key", Text, nullable=False),
    Column("created", String(32), nullable=False),
)

subscriptions = Table(
    "cs_subscriptions",
    metadata,
    Column("webhook_id", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("created", String(32), nullable=False),
    Column("data", Text, nullable=False),
)

events = Table(
    "cs_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_type", String(64), nullable=False),
    Column("product_id", String(64), nullable=False),
    Column("resource_id", String(64), nullable=False),
    Column("created", String(32), nullable=False),
    Column("data", Text, nullable=False),
)

deliveries = Table(
    "cs_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, nullable=False, index=True),
    Column("webhook_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    #: pending, held (reorder), delivered, failed, dropped
    Column("status", String(16), nullable=False),
    Column("request_type", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_retries", Integer, nullable=False),
    Column("retry_policy", Text, nullable=False),
    Column("next_at", Float, nullable=False),
    Column("trace_base", String(32), nullable=False),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("created", String(32), nullable=False),
    Column("delivered", String(32)),
    Index("ix_cs_deliveries_due", "status", "next_at"),
)

chargebacks = Table(
    "cs_chargebacks",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("transaction_id", String(32), nullable=False, index=True),
    Column("amount", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason_code", String(16), nullable=False),
    Column("day", String(10), nullable=False),
    Column("created", String(32), nullable=False),
    Column("outcome", String(8)),
    Column("outcome_day", String(10)),
)

tampers = Table(
    "cs_report_tampers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("request_id", String(32)),
    Column("params", Text, nullable=False, default="{}"),
)

saved_searches = Table(
    "cs_saved_searches",
    metadata,
    Column("search_id", String(64), primary_key=True),
    Column("request", Text, nullable=False),
)


def stamp(dt: datetime) -> str:
    """Sortable UTC timestamp stored in text columns."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(value: str) -> datetime:
    return datetime.fromisoformat(value)  # 3.11 reads the trailing "Z" as UTC


def to_json(doc: Any) -> str:
    """JSON text for a ``data`` column, passed through the PAN redactor first."""
    return json.dumps(redact_data(doc), separators=(",", ":"), ensure_ascii=False)


def inserted_id(conn: Connection, stmt: Any) -> int:
    """Run an INSERT and return the new autoincrement id."""
    key = conn.execute(stmt).inserted_primary_key
    assert key is not None
    return int(key[0])


def from_json(text: str | None) -> Any:
    return json.loads(text) if text else {}


class Store:
    """Engine, schema and the unit-of-work lock."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock = threading.RLock()
        self.engine = _engine(url)
        metadata.create_all(self.engine)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction, committed on success, under the store lock."""
        with self.lock, self.engine.begin() as conn:
            yield conn

    def reset(self) -> None:
        """Forget every transaction, token, subscription, delivery and tamper; keys stay
        (webhook signing keys, the encryption key, the card-hash salt, the Microform key)."""
        with self.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if table not in (meta, webhook_keys):
                    conn.execute(table.delete())

    def close(self) -> None:
        self.engine.dispose()


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    memory = url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url
    if memory:
        # One shared connection: every thread must see the same in-memory database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        # A sandbox may lose the last commits on power loss; it must not be slow.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return engine
