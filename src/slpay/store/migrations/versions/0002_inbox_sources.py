"""Inbox sources name where work came from: SL polling, the chargeback report, an operator's
decision and slpay's own captures on shipment, besides webhooks, the order API and the sweep.

Before this revision those four were stored as ``api`` (their origin only in the payload).
Existing rows keep ``api``: their payloads still say where they came from.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_OLD = ("webhook", "api", "sweep")
_NEW = (*_OLD, "sl", "report", "operator", "shipping")


def _check(sources: tuple[str, ...]) -> str:
    return "source IN (" + ", ".join(f"'{s}'" for s in sources) + ")"


def _replace(sources: tuple[str, ...]) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table (with its other
    # constraints and indexes, reflected) under the new CHECK.
    with op.batch_alter_table("inbox", recreate="auto") as batch:
        batch.drop_constraint("ck_inbox_source", type_="check")
        batch.create_check_constraint("ck_inbox_source", _check(sources))


def upgrade() -> None:
    _replace(_NEW)


def downgrade() -> None:
    op.execute(
        "UPDATE inbox SET source = 'api' WHERE source IN ('sl', 'report', 'operator', 'shipping')"
    )
    _replace(_OLD)
