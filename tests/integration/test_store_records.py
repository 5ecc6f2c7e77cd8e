"""Tasks, audit timeline, cross-references and shared flags, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from _hub_db import (  # noqa: F401 - fixtures
    pg_store_fixture,
    sqlite_module_store_fixture,
    store_fixture,
)
from sqlalchemy import Engine

from slpay.store import audit, control, tasks, xref
from slpay.store.xref import Xref

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PAN = "4111111111111111"


def test_open_task_is_reused_while_open_and_new_after_resolution(store: Engine) -> None:
    with store.begin() as conn:
        first, created = tasks.open_task(conn, "waiting-release", "SO1", "PP not released")
        again, created_again = tasks.open_task(conn, "waiting-release", "SO1", "still waiting")
    assert created
    assert not created_again
    assert again.id == first.id
    assert again.reason == "PP not released"
    with store.begin() as conn:
        assert tasks.resolve_task(conn, first.id, "released by AR clerk")
        assert not tasks.resolve_task(conn, first.id, "twice")
        later, created_later = tasks.open_task(conn, "waiting-release", "SO1", "next document")
    assert created_later
    assert later.id != first.id


def test_list_tasks_shows_open_ones_oldest_first_filtered_by_kind(store: Engine) -> None:
    with store.begin() as conn:
        tasks.open_task(conn, "parked", "K2", "SL refused", now=T0 + timedelta(minutes=1))
        tasks.open_task(conn, "parked", "K1", "SL refused", now=T0)
        review, _ = tasks.open_task(conn, "review", "K3", "Decision Manager review", now=T0)
        tasks.resolve_task(conn, review.id, "accepted", now=T0 + timedelta(hours=1))
    with store.connect() as conn:
        open_parked = tasks.list_tasks(conn, kind="parked")
        everything = tasks.list_tasks(conn, open_only=False)
        closed = tasks.get_task(conn, review.id)
    assert [t.key for t in open_parked] == ["K1", "K2"]
    assert open_parked[0].created_at == T0
    assert len(everything) == 3
    assert closed is not None
    assert not closed.is_open
    assert closed.resolution_note == "accepted"


def test_task_evidence_is_redacted_and_unknown_kind_refused(store: Engine) -> None:
    with store.begin() as conn:
        task, _ = tasks.open_task(conn, "discrepancy", "D1", "x", {"note": f"card {PAN}"})
        with pytest.raises(ValueError, match="kind"):
            tasks.open_task(conn, "bogus", "D1", "x")  # type: ignore[arg-type]
    assert PAN not in str(task.evidence)
    assert task.evidence["note"].endswith("1111")


def test_audit_timeline_merges_keys_in_time_order(store: Engine) -> None:
    with store.begin() as conn:
        audit.append_audit(conn, "SO1", "sl", "so_created", {"ord": "SO1"}, at=T0 + timedelta(2))
        audit.append_audit(conn, "764291", "cybersource", "captured", at=T0 + timedelta(1))
        audit.append_audit(conn, "764291", "slpay", "received", {"note": PAN}, at=T0)
        audit.append_audit(conn, "other", "slpay", "received", at=T0)
    with store.connect() as conn:
        entries = audit.timeline(conn, "764291", "SO1")
    assert [(e.system, e.action) for e in entries] == [
        ("slpay", "received"),
        ("cybersource", "captured"),
        ("sl", "so_created"),
    ]
    assert PAN not in str(entries[0].detail)


def test_xref_is_completed_without_losing_known_references(store: Engine) -> None:
    key = {"transaction_id": "7642912345678901234567", "operation": "capture"}
    with store.begin() as conn:
        xref.record_xref(
            conn, Xref(**key, order_number="SO1", currency="USD", amount=Decimal("10.50"))
        )
        xref.record_xref(conn, Xref(**key, sl_doc_type="PP", sl_ref_nbr="CY000001"))
        xref.record_xref(conn, Xref(transaction_id=key["transaction_id"], operation="authorize"))
    with store.connect() as conn:
        by_ref = xref.find_xrefs(conn, sl_ref_nbr="CY000001")
        by_txn = xref.find_xrefs(conn, transaction_id=key["transaction_id"])
        assert xref.find_xrefs(conn) == []
    (row,) = by_ref
    assert (row.order_number, row.sl_ref_nbr, row.amount) == ("SO1", "CY000001", Decimal("10.50"))
    assert {r.operation for r in by_txn} == {"capture", "authorize"}


def test_processing_pause_flag_round_trips(store: Engine) -> None:
    with store.begin() as conn:
        assert not control.is_paused(conn)
        control.set_paused(conn, True)
        assert control.is_paused(conn)
        control.set_paused(conn, False)
        assert not control.is_paused(conn)
