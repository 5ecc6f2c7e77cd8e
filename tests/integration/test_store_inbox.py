"""The inbox on SQLite and PostgreSQL: dedupe on insert, claim, finish, defer, take-over."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from _hub_db import (  # noqa: F401 - fixtures
    pg_store_fixture,
    sqlite_module_store_fixture,
    store_fixture,
)
from sqlalchemy import Engine

from slpay.store import inbox
from slpay.store.inbox import NewEvent

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def event(resource: str, event_type: str = "payments.captures.accept", **kw: object) -> NewEvent:
    return NewEvent(
        dedupe_key=f"org|{event_type}|{resource}",
        organization_id="org",
        event_type=event_type,
        resource_id=resource,
        payload={"payload": {"data": {"id": resource}}},
        received_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def test_batch_insert_reports_which_events_were_new(store: Engine) -> None:
    with store.begin() as conn:
        assert inbox.insert_events(conn, [event("1"), event("2")]) == [True, True]
    with store.begin() as conn:
        outcome = inbox.insert_events(conn, [event("2"), event("3"), event("1", trace_id="x-1")])
    assert outcome == [False, True, False]
    with store.connect() as conn:
        assert inbox.count_by_status(conn)["new"] == 3
        assert inbox.duplicates_count(conn) == 2
        assert inbox.duplicates_count(conn, "org|payments.captures.accept|1") == 1


def test_same_key_twice_in_one_batch_stores_one_row(store: Engine) -> None:
    with store.begin() as conn:
        assert inbox.insert_events(conn, [event("7"), event("7"), event("7")]) == [
            True,
            False,
            False,
        ]
    with store.connect() as conn:
        assert inbox.count_by_status(conn)["new"] == 1
        assert inbox.duplicates_count(conn) == 2


def test_stored_event_reads_back_with_aware_utc_and_payload(store: Engine) -> None:
    with store.begin() as conn:
        inbox.insert_events(conn, [event("9", status="ignored", event_type="x.unknown")])
    with store.connect() as conn:
        got = inbox.find_by_key(conn, "org|x.unknown|9")
    assert got is not None
    assert got.status == "ignored"
    assert got.received_at == T0
    assert got.received_at.tzinfo is not None
    assert got.payload == {"payload": {"data": {"id": "9"}}}


def test_claim_takes_oldest_new_events_and_counts_the_attempt(store: Engine) -> None:
    with store.begin() as conn:
        inbox.insert_events(conn, [event(str(i)) for i in range(5)])
        inbox.insert_events(conn, [event("ign", status="ignored")])
    with store.begin() as conn:
        first = inbox.claim_batch(conn, "w1", 3, now=T0)
    with store.begin() as conn:
        second = inbox.claim_batch(conn, "w2", 10, now=T0)
    assert [e.resource_id for e in first] == ["0", "1", "2"]
    assert [e.resource_id for e in second] == ["3", "4"]
    assert all(e.status == "claimed" and e.attempts == 1 for e in first + second)
    assert {e.claimed_by for e in second} == {"w2"}


def test_finished_events_are_not_claimed_again(store: Engine) -> None:
    with store.begin() as conn:
        inbox.insert_events(conn, [event("a"), event("b"), event("c")])
        a, b, c = inbox.claim_batch(conn, "w", 10, now=T0)
        assert inbox.mark_done(conn, [a.id]) == 1
        inbox.mark_parked(conn, [b.id], "SL refused the customer")
        inbox.mark_ignored(conn, [c.id], "not ours")
    with store.begin() as conn:
        assert inbox.claim_batch(conn, "w", 10, now=T0) == []
        parked = inbox.get_event(conn, b.id)
    assert parked is not None
    assert (parked.status, parked.last_error) == ("parked", "SL refused the customer")
    with pytest.raises(ValueError, match="final"):
        inbox.finish(store.connect(), [a.id], "new")


def test_deferred_event_waits_until_its_next_attempt(store: Engine) -> None:
    with store.begin() as conn:
        inbox.insert_events(conn, [event("d")])
        (d,) = inbox.claim_batch(conn, "w", 10, now=T0)
        inbox.defer(conn, d.id, T0 + timedelta(minutes=1), "SL unavailable")
    with store.begin() as conn:
        assert inbox.claim_batch(conn, "w", 10, now=T0 + timedelta(seconds=59)) == []
        (again,) = inbox.claim_batch(conn, "w", 10, now=T0 + timedelta(minutes=1))
    assert again.attempts == 2
    assert again.last_error == "SL unavailable"


def test_stale_claims_of_a_dead_worker_are_handed_back(store: Engine) -> None:
    with store.begin() as conn:
        inbox.insert_events(conn, [event("s")])
        inbox.claim_batch(conn, "dead", 10, now=T0)
    with store.begin() as conn:
        assert inbox.release_stale_claims(conn, T0 - timedelta(seconds=1)) == 0
        assert inbox.release_stale_claims(conn, T0 + timedelta(minutes=5)) == 1
        (taken,) = inbox.claim_batch(conn, "alive", 10, now=T0 + timedelta(minutes=5))
    assert taken.claimed_by == "alive"


def test_parked_event_can_be_requeued_for_replay(store: Engine) -> None:
    with store.begin() as conn:
        inbox.insert_events(conn, [event("p")])
        (p,) = inbox.claim_batch(conn, "w", 1, now=T0)
        inbox.mark_parked(conn, [p.id], "permanent")
        assert inbox.requeue(conn, p.id) == 1
        (again,) = inbox.claim_batch(conn, "w", 1, now=T0)
    assert again.id == p.id


def test_concurrent_claimers_never_share_an_event(store: Engine) -> None:
    with store.begin() as conn:
        inbox.insert_events(conn, [event(str(i)) for i in range(200)])
    claimed: dict[str, list[int]] = {}

    def worker(name: str) -> None:
        got: list[int] = []
        while True:
            with store.begin() as conn:
                batch = inbox.claim_batch(conn, name, 7, now=T0)
            if not batch:
                break
            got.extend(e.id for e in batch)
        claimed[name] = got

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for ids in claimed.values() for i in ids]
    assert len(every) == 200
    assert len(set(every)) == 200
