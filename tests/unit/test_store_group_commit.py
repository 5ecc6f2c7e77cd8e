"""The group-commit writer, with an in-memory commit function (no database)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from slpay.store.group_commit import GroupCommitWriter, WriterBusy, WriterClosed


class FakeStore:
    """Records each committed group; can hold a commit until released, or refuse items."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.groups: list[list[str]] = []
        self.refuse = refuse
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def commit(self, items: list[str]) -> list[str]:
        self.entered.set()
        self.hold.wait(5)
        if self.refuse.intersection(items):
            raise RuntimeError("constraint violated")
        self.groups.append(list(items))
        return [f"stored:{item}" for item in items]


def test_each_waiter_gets_its_own_result_after_commit() -> None:
    store = FakeStore()
    writer = GroupCommitWriter(store.commit)

    async def main() -> list[str]:
        return await asyncio.gather(*(writer.write(f"e{i}") for i in range(50)))

    results = asyncio.run(main())
    writer.close()
    assert results == [f"stored:e{i}" for i in range(50)]
    assert sorted(i for g in store.groups for i in g) == sorted(f"e{i}" for i in range(50))


def test_items_queued_during_a_commit_are_committed_together() -> None:
    store = FakeStore()
    store.hold.clear()
    writer = GroupCommitWriter(store.commit)
    first = writer.submit("first")
    assert store.entered.wait(5)  # the writer is inside the first commit
    rest = [writer.submit(f"r{i}") for i in range(10)]
    store.hold.set()
    assert first.result(5) == "stored:first"
    assert [f.result(5) for f in rest] == [f"stored:r{i}" for i in range(10)]
    writer.close()
    assert store.groups == [["first"], [f"r{i}" for i in range(10)]]


def test_groups_never_exceed_max_batch() -> None:
    store = FakeStore()
    store.hold.clear()
    writer = GroupCommitWriter(store.commit, max_batch=4)
    futures = [writer.submit("first")]
    assert store.entered.wait(5)
    futures += [writer.submit(f"r{i}") for i in range(10)]
    store.hold.set()
    for f in futures:
        f.result(5)
    writer.close()
    assert [len(g) for g in store.groups] == [1, 4, 4, 2]


def test_a_failing_item_fails_alone_and_the_others_are_stored() -> None:
    store = FakeStore(refuse=frozenset({"bad"}))
    store.hold.clear()
    writer = GroupCommitWriter(store.commit)
    first = writer.submit("first")
    assert store.entered.wait(5)
    group = [writer.submit(x) for x in ("a", "bad", "b")]
    store.hold.set()
    first.result(5)
    assert group[0].result(5) == "stored:a"
    with pytest.raises(RuntimeError, match="constraint"):
        group[1].result(5)
    assert group[2].result(5) == "stored:b"
    writer.close()
    assert ["bad"] not in store.groups


def test_outage_fails_every_waiter_instead_of_acknowledging() -> None:
    def down(items: list[str]) -> list[str]:
        raise ConnectionError("database unavailable")

    writer = GroupCommitWriter(down)

    async def main() -> list[object]:
        return await asyncio.gather(
            *(writer.write(f"e{i}") for i in range(5)), return_exceptions=True
        )

    outcomes = asyncio.run(main())
    writer.close()
    assert all(isinstance(o, ConnectionError) for o in outcomes)


def test_full_queue_refuses_instead_of_growing() -> None:
    store = FakeStore()
    store.hold.clear()
    writer = GroupCommitWriter(store.commit, queue_limit=2)
    first = writer.submit("first")
    assert store.entered.wait(5)
    writer.submit("q1")
    writer.submit("q2")
    with pytest.raises(WriterBusy):
        writer.submit("q3")
    store.hold.set()
    first.result(5)
    writer.close()


def test_close_commits_what_is_queued_then_refuses_more() -> None:
    store = FakeStore()
    store.hold.clear()
    writer = GroupCommitWriter(store.commit)
    futures = [writer.submit("first")]
    assert store.entered.wait(5)
    futures.append(writer.submit("queued"))
    store.hold.set()
    writer.close()
    assert [f.result(0) for f in futures] == ["stored:first", "stored:queued"]
    assert writer.closed
    with pytest.raises(WriterClosed):
        writer.submit("late")


def test_wrong_result_count_is_treated_as_a_failed_commit() -> None:
    writer: GroupCommitWriter[str, str] = GroupCommitWriter(lambda items: [])
    fut = writer.submit("x")
    with pytest.raises(RuntimeError, match="result count"):
        fut.result(5)
    writer.close()


def test_observer_sees_group_sizes_and_failures() -> None:
    seen: list[tuple[int, bool]] = []
    store = FakeStore(refuse=frozenset({"bad"}))
    writer = GroupCommitWriter(
        store.commit, on_batch=lambda n, _s, failed: seen.append((n, failed))
    )
    writer.submit("ok").result(5)
    with pytest.raises(RuntimeError):
        writer.submit("bad").result(5)
    writer.close()
    assert seen == [(1, False), (1, True)]


def test_a_failing_observer_does_not_stop_the_writer() -> None:
    def broken(_n: int, _secs: float, _failed: bool) -> None:
        raise ValueError("metrics backend gone")

    writer = GroupCommitWriter(FakeStore().commit, on_batch=broken)
    assert writer.submit("a").result(5) == "stored:a"
    assert writer.submit("b").result(5) == "stored:b"
    writer.close()
