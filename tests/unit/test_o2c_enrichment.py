"""A micro-batch's enrichment: each transaction's TSS details are read once, and a read that
fails is left for the event's own planning (where it fails alone)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any, cast

from slpay.config import Settings
from slpay.errors import TransientError
from slpay.store.inbox import InboxEvent
from slpay.workflows.context import Deps
from slpay.workflows.o2c import prefetch_details


class FakeTss:
    """Cybersource's transaction details; ids in ``failing`` answer a transient error."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing
        self.reads: list[str] = []
        self._lock = threading.Lock()

    def get_transaction_document(self, txn: str) -> dict[str, Any]:
        with self._lock:
            self.reads.append(txn)
        if txn in self.failing:
            raise TransientError("TSS unavailable", system="cybersource", operation="tss")
        return {"id": txn, "rootId": txn}


class _Deps:
    def __init__(self, cs: FakeTss) -> None:
        self.cs = cs
        self.settings = Settings()


def _event(n: int, resource: str, event_type: str = "payments.captures.accept") -> InboxEvent:
    return InboxEvent(
        id=n, dedupe_key=f"org|{event_type}|{resource}|{n}", organization_id="org",
        event_type=event_type, resource_id=resource, source="webhook",
        received_at=datetime.now(UTC), payload={}, status="claimed", attempts=0,
        next_attempt_at=None, last_error=None, claimed_by="wf", claimed_at=None,
    )  # fmt: skip


def test_each_transaction_of_a_batch_is_read_once_and_ignored_events_not_at_all() -> None:
    tss = FakeTss()
    events = [
        _event(1, "111"),
        _event(2, "111", "payments.payments.accept"),
        _event(3, "222"),
        _event(4, "333", "tms.token.created"),
    ]
    details = prefetch_details(cast(Deps, _Deps(tss)), events)
    assert sorted(tss.reads) == ["111", "222"]
    assert details["111"]["id"] == "111"
    assert set(details) == {"111", "222"}


def test_a_failed_read_is_left_out_and_the_others_are_kept() -> None:
    tss = FakeTss(failing=frozenset({"222"}))
    details = prefetch_details(cast(Deps, _Deps(tss)), [_event(1, "111"), _event(2, "222")])
    assert set(details) == {"111"}
