"""The hub's own tables (SQLAlchemy Core): inbox, duplicates, xref, tasks, audit, control.

The Alembic migrations in ``migrations/versions`` create exactly these tables; a test compares
the migrated database with this metadata, so the two cannot drift apart unnoticed.

- ``inbox``: every inbound event (webhook, order intake, sweep), unique on its dedupe key
  (organization id, event type, resource id — DESIGN.md "Keys"), payload already redacted.
- ``inbox_duplicates``: one row per delivery refused as a duplicate (what and when), so the
  demo and the metrics can count ``duplicates_skipped`` and an operator can see retries.
- ``xref``: Cybersource transaction id and operation ↔ order number ↔ SL references.
- ``tasks``: anything waiting for a person (DESIGN.md "Words"); one open task per kind and key.
- ``audit``: append-only timeline per key (order number, transaction id, SL reference).
- ``control``: small named flags shared by every ``slpay serve`` process (processing paused).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

#: Where an inbox event came from: Cybersource's webhooks, ``POST /api/orders``, the sweep, SL
#: polling, the chargeback report, an operator's decision, slpay's capture on shipment.
INBOX_SOURCES = ("webhook", "api", "sweep", "sl", "report", "operator", "shipping")
INBOX_STATUSES = ("new", "claimed", "done", "ignored", "parked")
TASK_KINDS = ("parked", "waiting-release", "discrepancy", "chargeback", "refund-refused", "review")
AUDIT_SYSTEMS = ("cybersource", "slpay", "sl")

#: Longest dedupe key, business key or audit key stored.
KEY_LENGTH = 255


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC in and out; SQLite keeps naive text, so the zone is restored on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> TypeEngine[Any]:
    return JSON().with_variant(JSONB(), "postgresql")


def _pk() -> Column[int]:
    return Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)

inbox = Table(
    "inbox",
    metadata,
    _pk(),
    Column("dedupe_key", String(KEY_LENGTH), nullable=False),
    Column("organization_id", String(64), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("resource_id", String(128), nullable=False),
    Column("source", String(10), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("payload", _json(), nullable=False),
    Column("status", String(10), nullable=False, server_default="new"),
    Column("attempts", Integer(), nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("claimed_at", UtcDateTime(), nullable=True),
    UniqueConstraint("dedupe_key"),
    CheckConstraint(_in("source", INBOX_SOURCES), name="source"),
    CheckConstraint(_in("status", INBOX_STATUSES), name="status"),
    Index(None, "status", "id"),
    Index(None, "resource_id"),
)

inbox_duplicates = Table(
    "inbox_duplicates",
    metadata,
    _pk(),
    Column("dedupe_key", String(KEY_LENGTH), nullable=False),
    Column("source", String(10), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    #: Cybersource's transactionTraceId of the repeated delivery (changes on every retry).
    Column("trace_id", String(128), nullable=True),
    Index(None, "dedupe_key"),
)

xref = Table(
    "xref",
    metadata,
    _pk(),
    Column("transaction_id", String(40), nullable=False),
    Column("operation", String(20), nullable=False),
    Column("organization_id", String(64), nullable=True),
    Column("order_number", String(64), nullable=True),
    Column("currency", String(3), nullable=True),
    #: Decimal text (exact on every dialect; SL's FLOATs are converted at the SL boundary).
    Column("amount", String(32), nullable=True),
    Column("sl_doc_type", String(2), nullable=True),
    Column("sl_ref_nbr", String(15), nullable=True),
    Column("sl_bat_nbr", String(10), nullable=True),
    Column("sl_cust_id", String(15), nullable=True),
    Column("sl_ord_nbr", String(15), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("transaction_id", "operation"),
    Index(None, "order_number"),
    Index(None, "sl_ref_nbr"),
)

tasks = Table(
    "tasks",
    metadata,
    _pk(),
    Column("kind", String(20), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("evidence", _json(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("resolution_note", Text(), nullable=True),
    CheckConstraint(_in("kind", TASK_KINDS), name="kind"),
    # One open task per (kind, key): a poll that sees the same problem again reuses it.
    Index(
        "uq_tasks_open_kind_key",
        "kind",
        "key",
        unique=True,
        sqlite_where=text("resolved_at IS NULL"),
        postgresql_where=text("resolved_at IS NULL"),
    ),
    Index(None, "key"),
)

audit = Table(
    "audit",
    metadata,
    _pk(),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("system", String(12), nullable=False),
    Column("action", String(60), nullable=False),
    Column("detail", _json(), nullable=False),
    CheckConstraint(_in("system", AUDIT_SYSTEMS), name="system"),
    Index(None, "key", "at"),
)

control = Table(
    "control",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

#: Reconciliation (:mod:`slpay.reconcile.state`): the SL documents settled per day (so a later
#: day never counts them again) and each day's last outcome (``not-available`` days are retried).
recon_settled = Table(
    "recon_settled",
    metadata,
    Column("sl_key", String(120), primary_key=True),
    Column("day", String(10), nullable=False),
    Column("currency", String(3), nullable=False),
    Index(None, "day"),
)

recon_days = Table(
    "recon_days",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("summary", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
