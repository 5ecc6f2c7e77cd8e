"""Reconciliation's tables: ``recon_settled`` (SL documents settled per day) and
``recon_days`` (each day's last outcome).

Before this revision reconciliation created them itself on first use; a database where it did
keeps them as they are (same columns and index), so the upgrade only records the revision.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = sa.inspect(op.get_bind()).get_table_names()
    if "recon_settled" not in existing:
        op.create_table(
            "recon_settled",
            sa.Column("sl_key", sa.String(120), nullable=False),
            sa.Column("day", sa.String(10), nullable=False),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.PrimaryKeyConstraint("sl_key", name="pk_recon_settled"),
        )
        op.create_index("ix_recon_settled_day", "recon_settled", ["day"])
    if "recon_days" not in existing:
        op.create_table(
            "recon_days",
            sa.Column("day", sa.String(10), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("summary", sa.Text(), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("day", name="pk_recon_days"),
        )


def downgrade() -> None:
    op.drop_table("recon_days")
    op.drop_index("ix_recon_settled_day", table_name="recon_settled")
    op.drop_table("recon_settled")
