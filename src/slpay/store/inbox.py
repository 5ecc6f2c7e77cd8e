"""The inbox: every inbound event stored once, then claimed by workers in micro-batches.

Writers call :func:`insert_events` with a batch (the webhook's group commit, the sweep, order
intake); it inserts with ``ON CONFLICT (dedupe_key) DO NOTHING RETURNING`` on SQLite and
PostgreSQL alike and says, per event, whether it was new. A duplicate is logged in
``inbox_duplicates``.

Workers call :func:`claim_batch`: one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)
RETURNING`` on PostgreSQL, so several processes claim disjoint batches; on SQLite the same
statement runs under the database's single write lock. Claimed events end ``done``,
``parked`` or ``ignored``, or go back to ``new`` with a later ``next_attempt_at``
(:func:`defer`). :func:`release_stale_claims` hands a dead worker's events back by age;
:func:`claim_owners` and :func:`release_claims_of` let the hub give back the claims of
workflows that will never finish (cancelled, failed), whatever their age.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, func, insert, or_, select, update

from slpay.store.schema import inbox, inbox_duplicates

Source = Literal["webhook", "api", "sweep", "sl", "report", "operator", "shipping"]
Status = Literal["new", "claimed", "done", "ignored", "parked"]
FINAL_STATUSES: frozenset[str] = frozenset({"done", "ignored", "parked"})


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewEvent:
    """An event to store. ``payload`` must already be redacted (slpay.redact): a JSON object,
    or its JSON text (stored verbatim — the webhook keeps the bytes Cybersource sent)."""

    dedupe_key: str
    organization_id: str
    event_type: str
    resource_id: str
    payload: dict[str, Any] | str
    source: Source = "webhook"
    status: Literal["new", "ignored"] = "new"
    received_at: datetime = field(default_factory=utc_now)
    #: Cybersource's transactionTraceId, recorded when the delivery is a duplicate.
    trace_id: str | None = None


@dataclass(frozen=True)
class InboxEvent:
    """A stored inbox row."""

    id: int
    dedupe_key: str
    organization_id: str
    event_type: str
    resource_id: str
    source: str
    received_at: datetime
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    claimed_by: str | None
    claimed_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> InboxEvent:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


_COLUMNS = (
    "dedupe_key, organization_id, event_type, resource_id, source, received_at, payload, status"
)
#: Rows per INSERT statement (SQLite allows 32,766 parameters, PostgreSQL 65,535).
_CHUNK = 500


def _sqlite_time(at: datetime) -> str:
    # The text form SQLAlchemy's SQLite DateTime reads back (naive UTC; UtcDateTime adds UTC).
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _payload_text(payload: dict[str, Any] | str) -> str:
    if isinstance(payload, str):
        return payload
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _insert_new(conn: Connection, events: list[NewEvent]) -> set[str]:
    """``INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key`` in chunks.

    Written at the driver level on purpose: this is the webhook's hot path, and SQLAlchemy's
    per-row processing cost more than the rest of the insert (bench/ingest.py).
    """
    sqlite_dialect = conn.dialect.name == "sqlite"
    row_sql = (
        "(?, ?, ?, ?, ?, ?, ?, ?)" if sqlite_dialect else "(%s, %s, %s, %s, %s, %s, %s::jsonb, %s)"
    )
    inserted: set[str] = set()
    for start in range(0, len(events), _CHUNK):
        chunk = events[start : start + _CHUNK]
        params: list[Any] = []
        for ev in chunk:
            at: datetime | str = _sqlite_time(ev.received_at) if sqlite_dialect else ev.received_at
            params += (ev.dedupe_key, ev.organization_id, ev.event_type, ev.resource_id)
            params += (ev.source, at, _payload_text(ev.payload), ev.status)
        # Only placeholders are formatted in; every value travels as a parameter.
        sql = (
            f"INSERT INTO inbox ({_COLUMNS}) VALUES {', '.join([row_sql] * len(chunk))} "  # noqa: S608
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key"
        )
        inserted.update(row[0] for row in conn.exec_driver_sql(sql, tuple(params)))
    return inserted


def insert_events(conn: Connection, events: Sequence[NewEvent]) -> list[bool]:
    """Insert ``events`` in the caller's transaction; ``True`` per event that was new.

    Within one batch the first event with a key wins and later ones are duplicates, exactly as
    if they had arrived in separate transactions. Duplicates are logged in
    ``inbox_duplicates``.
    """
    if not events:
        return []
    unique: dict[str, NewEvent] = {}
    for ev in events:
        unique.setdefault(ev.dedupe_key, ev)
    inserted = _insert_new(conn, list(unique.values()))
    outcome: list[bool] = []
    duplicates: list[dict[str, Any]] = []
    for ev in events:
        is_new = ev.dedupe_key in inserted and unique[ev.dedupe_key] is ev
        outcome.append(is_new)
        if not is_new:
            duplicates.append(
                {
                    "dedupe_key": ev.dedupe_key,
                    "source": ev.source,
                    "received_at": ev.received_at,
                    "trace_id": ev.trace_id,
                }
            )
    if duplicates:
        conn.execute(insert(inbox_duplicates), duplicates)
    return outcome


def claim_batch(
    conn: Connection, worker: str, limit: int, *, now: datetime | None = None
) -> list[InboxEvent]:
    """Claim up to ``limit`` due ``new`` events for ``worker``, oldest first."""
    now = now or utc_now()
    due = (
        select(inbox.c.id)
        .where(inbox.c.status == "new")
        .where(or_(inbox.c.next_attempt_at.is_(None), inbox.c.next_attempt_at <= now))
        .order_by(inbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
    )
    stmt = (
        update(inbox)
        .where(inbox.c.id.in_(due.scalar_subquery()))
        .values(status="claimed", claimed_by=worker, claimed_at=now, attempts=inbox.c.attempts + 1)
        .returning(*inbox.c)
    )
    events = [InboxEvent.from_row(r) for r in conn.execute(stmt)]
    return sorted(events, key=lambda e: e.id)


def finish(
    conn: Connection, ids: Iterable[int], status: Status, *, error: str | None = None
) -> int:
    """Set claimed events to a final status (done, parked, ignored); returns rows changed."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"not a final status: {status}")
    values: dict[str, Any] = {"status": status}
    if error is not None:
        values["last_error"] = error
    stmt = update(inbox).where(inbox.c.id.in_(list(ids))).values(**values)
    return conn.execute(stmt).rowcount


def mark_done(conn: Connection, ids: Iterable[int]) -> int:
    return finish(conn, ids, "done")


def mark_ignored(conn: Connection, ids: Iterable[int], reason: str | None = None) -> int:
    return finish(conn, ids, "ignored", error=reason)


def mark_parked(conn: Connection, ids: Iterable[int], reason: str) -> int:
    return finish(conn, ids, "parked", error=reason)


def defer(conn: Connection, event_id: int, next_attempt_at: datetime, error: str) -> int:
    """Give a claimed event back for a later attempt (transient failure)."""
    stmt = (
        update(inbox)
        .where(inbox.c.id == event_id)
        .values(
            status="new",
            next_attempt_at=next_attempt_at,
            last_error=error,
            claimed_by=None,
            claimed_at=None,
        )
    )
    return conn.execute(stmt).rowcount


def requeue(conn: Connection, event_id: int) -> int:
    """Put a parked or ignored event back to ``new`` (an operator's replay)."""
    stmt = (
        update(inbox)
        .where(inbox.c.id == event_id, inbox.c.status.in_(["parked", "ignored"]))
        .values(status="new", next_attempt_at=None, claimed_by=None, claimed_at=None)
    )
    return conn.execute(stmt).rowcount


def release_stale_claims(conn: Connection, claimed_before: datetime) -> int:
    """Hand back events claimed before ``claimed_before`` (their worker died or hung)."""
    stmt = (
        update(inbox)
        .where(inbox.c.status == "claimed", inbox.c.claimed_at < claimed_before)
        .values(status="new", claimed_by=None, claimed_at=None)
    )
    return conn.execute(stmt).rowcount


def claim_owners(conn: Connection, claimed_before: datetime) -> list[str]:
    """Workers (micro-batch workflow ids) holding events claimed before ``claimed_before``."""
    stmt = (
        select(inbox.c.claimed_by)
        .where(inbox.c.status == "claimed", inbox.c.claimed_at < claimed_before)
        .distinct()
    )
    return sorted(str(w) for w in conn.execute(stmt).scalars() if w is not None)


def release_claims_of(conn: Connection, workers: Iterable[str]) -> int:
    """Hand back every event still claimed by one of ``workers`` (they will never finish)."""
    stmt = (
        update(inbox)
        .where(inbox.c.status == "claimed", inbox.c.claimed_by.in_(list(workers)))
        .values(status="new", claimed_by=None, claimed_at=None)
    )
    return conn.execute(stmt).rowcount


def get_event(conn: Connection, event_id: int) -> InboxEvent | None:
    row = conn.execute(select(inbox).where(inbox.c.id == event_id)).first()
    return InboxEvent.from_row(row) if row else None


def find_by_key(conn: Connection, dedupe_key: str) -> InboxEvent | None:
    row = conn.execute(select(inbox).where(inbox.c.dedupe_key == dedupe_key)).first()
    return InboxEvent.from_row(row) if row else None


def count_by_status(conn: Connection) -> dict[str, int]:
    """Number of inbox events per status (every status present, zero when none)."""
    counts = dict.fromkeys(("new", "claimed", "done", "ignored", "parked"), 0)
    stmt = select(inbox.c.status, func.count()).group_by(inbox.c.status)
    for status, n in conn.execute(stmt):
        counts[status] = n
    return counts


def duplicates_count(conn: Connection, dedupe_key: str | None = None) -> int:
    """Deliveries refused as duplicates (of one key, or in all)."""
    stmt = select(func.count()).select_from(inbox_duplicates)
    if dedupe_key is not None:
        stmt = stmt.where(inbox_duplicates.c.dedupe_key == dedupe_key)
    return int(conn.execute(stmt).scalar_one())
