"""The hub's store: inbox, inbox_duplicates, xref, tasks, audit, control.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SOURCES = "source IN ('webhook', 'api', 'sweep')"
_STATUSES = "status IN ('new', 'claimed', 'done', 'ignored', 'parked')"
_KINDS = (
    "kind IN ('parked', 'waiting-release', 'discrepancy', 'chargeback', 'refund-refused', 'review')"
)
_SYSTEMS = "system IN ('cybersource', 'slpay', 'sl')"


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "inbox",
        _id(),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("resource_id", sa.String(128), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        _ts("received_at"),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="new"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _ts("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        _ts("claimed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox"),
        sa.UniqueConstraint("dedupe_key", name="uq_inbox_dedupe_key"),
        sa.CheckConstraint(_SOURCES, name="ck_inbox_source"),
        sa.CheckConstraint(_STATUSES, name="ck_inbox_status"),
    )
    op.create_index("ix_inbox_status_id", "inbox", ["status", "id"])
    op.create_index("ix_inbox_resource_id", "inbox", ["resource_id"])

    op.create_table(
        "inbox_duplicates",
        _id(),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        _ts("received_at"),
        sa.Column("trace_id", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_duplicates"),
    )
    op.create_index("ix_inbox_duplicates_dedupe_key", "inbox_duplicates", ["dedupe_key"])

    op.create_table(
        "xref",
        _id(),
        sa.Column("transaction_id", sa.String(40), nullable=False),
        sa.Column("operation", sa.String(20), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=True),
        sa.Column("order_number", sa.String(64), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("amount", sa.String(32), nullable=True),
        sa.Column("sl_doc_type", sa.String(2), nullable=True),
        sa.Column("sl_ref_nbr", sa.String(15), nullable=True),
        sa.Column("sl_bat_nbr", sa.String(10), nullable=True),
        sa.Column("sl_cust_id", sa.String(15), nullable=True),
        sa.Column("sl_ord_nbr", sa.String(15), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_xref"),
        sa.UniqueConstraint("transaction_id", "operation", name="uq_xref_transaction_id_operation"),
    )
    op.create_index("ix_xref_order_number", "xref", ["order_number"])
    op.create_index("ix_xref_sl_ref_nbr", "xref", ["sl_ref_nbr"])

    op.create_table(
        "tasks",
        _id(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        _ts("created_at"),
        _ts("resolved_at", nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.CheckConstraint(_KINDS, name="ck_tasks_kind"),
    )
    op.create_index(
        "uq_tasks_open_kind_key",
        "tasks",
        ["kind", "key"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index("ix_tasks_key", "tasks", ["key"])

    op.create_table(
        "audit",
        _id(),
        sa.Column("key", sa.String(255), nullable=False),
        _ts("at"),
        sa.Column("system", sa.String(12), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("detail", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
        sa.CheckConstraint(_SYSTEMS, name="ck_audit_system"),
    )
    op.create_index("ix_audit_key_at", "audit", ["key", "at"])

    op.create_table(
        "control",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("name", name="pk_control"),
    )


def downgrade() -> None:
    for table in ("control", "audit", "tasks", "xref", "inbox_duplicates", "inbox"):
        op.drop_table(table)
