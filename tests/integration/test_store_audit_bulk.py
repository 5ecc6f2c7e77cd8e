"""append_audits (a micro-batch's timeline in one executemany) on SQLite and PostgreSQL: every
entry stored as append_audit would store it - same time, system, action, redacted detail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from _hub_db import (  # noqa: F401 - fixtures
    pg_store_fixture,
    sqlite_module_store_fixture,
    store_fixture,
)
from sqlalchemy import Engine

from slpay.store import audit

T0 = datetime(2026, 11, 25, 12, 0, 30, 123456, tzinfo=UTC)
PAN = "4111111111111111"


def test_append_audits_stores_every_entry_like_append_audit(store: Engine) -> None:
    shared = {"kind": "order", "ordnbr": "SO1", "note": f"card {PAN}", "new": True}
    entries: list[tuple[str, audit.System, str, dict[str, object] | None]] = [
        ("BULK-SO1", "sl", "order.written", shared),
        ("BULK-764291", "sl", "order.written", shared),
        ("BULK-764291", "slpay", "event.posted", {"event": 7}),
        ("BULK-764291", "slpay", "event.retry", None),
    ]
    with store.begin() as conn:
        assert audit.append_audits(conn, entries, at=T0) == 4
        audit.append_audit(conn, "BULK-ONE", "sl", "order.written", shared, at=T0)
    with store.connect() as conn:
        bulk = audit.timeline(conn, "BULK-SO1", "BULK-764291")
        (one,) = audit.timeline(conn, "BULK-ONE")
    assert [(e.key, e.system, e.action) for e in bulk] == [(k, s, a) for k, s, a, _ in entries]
    assert all(e.at == T0 for e in bulk)
    assert bulk[0].detail == bulk[1].detail == one.detail
    assert PAN not in str(bulk[0].detail)
    assert one.detail["ordnbr"] == "SO1"
    assert one.detail["new"] is True
    assert [e.detail for e in bulk[2:]] == [{"event": 7}, {}]


def test_append_audits_refuses_an_unknown_system_and_writes_nothing(store: Engine) -> None:
    with store.begin() as conn, pytest.raises(ValueError, match="unknown system"):
        audit.append_audits(conn, [("BULK-X", "slpay", "a", None), ("BULK-X", "bogus", "b", None)])  # type: ignore[list-item]
    with store.connect() as conn:
        assert audit.timeline(conn, "BULK-X") == []
