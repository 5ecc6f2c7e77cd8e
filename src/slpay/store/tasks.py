"""Tasks: anything waiting for a person (DESIGN.md "Words").

Kinds: parked (a workflow step failed for good; replayable), waiting-release, discrepancy,
chargeback, refund-refused, review. At most one task per (kind, key) is open at a time, so a
poll that sees the same problem again returns the open task instead of adding another
(:func:`open_task`). ``evidence`` is redacted before it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from slpay.redact import redact_data
from slpay.store.schema import TASK_KINDS, tasks

TaskKind = Literal[
    "parked", "waiting-release", "discrepancy", "chargeback", "refund-refused", "review"
]


@dataclass(frozen=True)
class Task:
    id: int
    kind: str
    reason: str
    key: str
    evidence: dict[str, Any]
    created_at: datetime
    resolved_at: datetime | None
    resolution_note: str | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Task:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


def open_task(
    conn: Connection,
    kind: TaskKind,
    key: str,
    reason: str,
    evidence: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> tuple[Task, bool]:
    """Open a task, or return the one already open for (kind, key); ``True`` if created."""
    if kind not in TASK_KINDS:
        raise ValueError(f"unknown task kind: {kind}")
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = (
        dialect.insert(tasks)
        .values(
            kind=kind,
            key=key,
            reason=reason,
            evidence=redact_data(evidence or {}),
            created_at=now or datetime.now(UTC),
        )
        .on_conflict_do_nothing(
            index_elements=["kind", "key"], index_where=tasks.c.resolved_at.is_(None)
        )
        .returning(*tasks.c)
    )
    row = conn.execute(stmt).first()
    if row is not None:
        return Task.from_row(row), True
    existing = conn.execute(
        select(tasks).where(
            and_(tasks.c.kind == kind, tasks.c.key == key, tasks.c.resolved_at.is_(None))
        )
    ).one()
    return Task.from_row(existing), False


def update_evidence(conn: Connection, task_id: int, reason: str, evidence: dict[str, Any]) -> bool:
    """Replace an open task's reason and evidence (a re-run saw the problem again, changed);
    ``True`` if the task was open and differed. The evidence passes the PAN redactor."""
    clean = redact_data(evidence)
    row = conn.execute(
        select(tasks.c.reason, tasks.c.evidence).where(
            tasks.c.id == task_id, tasks.c.resolved_at.is_(None)
        )
    ).first()
    if row is None or (row.reason, row.evidence) == (reason, clean):
        return False
    conn.execute(tasks.update().where(tasks.c.id == task_id).values(reason=reason, evidence=clean))
    return True


def list_tasks(
    conn: Connection, *, open_only: bool = True, kind: TaskKind | None = None
) -> list[Task]:
    """Tasks oldest first (open ones only by default)."""
    stmt = select(tasks).order_by(tasks.c.created_at, tasks.c.id)
    if open_only:
        stmt = stmt.where(tasks.c.resolved_at.is_(None))
    if kind is not None:
        stmt = stmt.where(tasks.c.kind == kind)
    return [Task.from_row(r) for r in conn.execute(stmt)]


def get_task(conn: Connection, task_id: int) -> Task | None:
    row = conn.execute(select(tasks).where(tasks.c.id == task_id)).first()
    return Task.from_row(row) if row else None


def resolve_task(conn: Connection, task_id: int, note: str, *, now: datetime | None = None) -> bool:
    """Close an open task with a note; ``False`` if it does not exist or was already closed."""
    stmt = (
        update(tasks)
        .where(tasks.c.id == task_id, tasks.c.resolved_at.is_(None))
        .values(resolved_at=now or datetime.now(UTC), resolution_note=note)
    )
    return conn.execute(stmt).rowcount == 1
