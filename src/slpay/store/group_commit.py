"""Group commit: one writer thread commits whatever has queued in one transaction.

A fsync'd commit costs about a millisecond here whether it carries one row or a thousand
(DESIGN.md: ≈1,200–1,700 commits/s), so acknowledging each webhook after its own commit caps
ingest near that. Instead each request queues its item and waits; the writer takes everything
queued (up to ``max_batch``), commits it once, and resolves every waiter with its own result.
While one commit runs the next group gathers, so the group size follows the load.

Guarantees: a waiter is resolved only after the transaction holding its item committed, or
with the exception that prevented it. If a group's commit fails, each of its items is retried
in a transaction of its own, so one bad item fails alone (per-event failure isolation) and a
database outage fails them all. Asyncio waiters are resolved with one hop per event loop and
group, not one per item.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

from slpay.logs import get_logger
from slpay.store.inbox import NewEvent, insert_events

T = TypeVar("T")
R = TypeVar("R")

_log = get_logger(__name__)

#: Called after each group with (group size, commit seconds, failed).
BatchObserver = Callable[[int, float, bool], None]


class WriterBusy(Exception):
    """The queue is at its limit: answer 503 and let the sender retry later."""


class WriterClosed(Exception):
    """The writer is shut down and accepts nothing more."""


@dataclass(slots=True)
class _Waiter(Generic[T]):
    item: T
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[Any] | concurrent.futures.Future[Any]


class GroupCommitWriter(Generic[T, R]):
    """Commits queued items in groups with ``commit(items) -> results`` (one per item)."""

    def __init__(
        self,
        commit: Callable[[list[T]], Sequence[R]],
        *,
        max_batch: int = 1000,
        max_wait_s: float = 0.0,
        queue_limit: int = 20_000,
        on_batch: BatchObserver | None = None,
        name: str = "group-commit",
    ) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._queue_limit = queue_limit
        self._on_batch = on_batch
        self._name = name
        self._queue: deque[_Waiter[T]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called (nothing more is accepted)."""
        return self._closed

    @property
    def pending(self) -> int:
        """Items queued and not yet taken by the writer."""
        return len(self._queue)

    def start(self) -> None:
        """Start the writer thread (done on first submit too)."""
        with self._cond:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _enqueue(self, waiter: _Waiter[T]) -> None:
        with self._cond:
            if self._closed:
                raise WriterClosed("the writer is closed")
            if len(self._queue) >= self._queue_limit:
                raise WriterBusy(f"{len(self._queue)} items waiting for the writer")
            self._start_locked()
            self._queue.append(waiter)
            self._cond.notify()

    def submit(self, item: T) -> concurrent.futures.Future[R]:
        """Queue ``item`` from any thread; the future resolves after its commit."""
        fut: concurrent.futures.Future[R] = concurrent.futures.Future()
        self._enqueue(_Waiter(item, None, fut))
        return fut

    async def write(self, item: T) -> R:
        """Queue ``item`` and wait (asynchronously) until it is committed; its result."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._enqueue(_Waiter(item, loop, fut))
        return await fut

    def close(self, timeout: float | None = 30.0) -> None:
        """Refuse new items, commit what is queued, stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _take(self) -> list[_Waiter[T]] | None:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if not self._queue:
                return None
            if self._max_wait_s > 0 and not self._closed:
                deadline = time.monotonic() + self._max_wait_s
                while len(self._queue) < self._max_batch and not self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
            n = min(len(self._queue), self._max_batch)
            return [self._queue.popleft() for _ in range(n)]

    def _run(self) -> None:
        while (group := self._take()) is not None:
            outcomes = self._commit_group([w.item for w in group])
            _resolve(group, outcomes)

    def _commit_group(self, items: list[T]) -> list[tuple[Any, BaseException | None]]:
        started = time.perf_counter()
        try:
            results = list(self._commit(items))
            if len(results) != len(items):
                raise RuntimeError("commit returned a result count unlike the item count")
        except Exception as exc:
            self._observe(len(items), started, failed=True)
            if len(items) == 1:
                return [(None, exc)]
            return [self._commit_one(item) for item in items]
        self._observe(len(items), started, failed=False)
        return [(r, None) for r in results]

    def _commit_one(self, item: T) -> tuple[Any, BaseException | None]:
        started = time.perf_counter()
        try:
            (result,) = self._commit([item])
        except Exception as exc:
            self._observe(1, started, failed=True)
            return None, exc
        self._observe(1, started, failed=False)
        return result, None

    def _observe(self, size: int, started: float, *, failed: bool) -> None:
        if self._on_batch is None:
            return
        try:
            self._on_batch(size, time.perf_counter() - started, failed)
        except Exception as exc:  # a broken observer must not kill the writer thread
            _log.error("group_commit_observer_failed", error=type(exc).__name__)


def _resolve(group: list[_Waiter[Any]], outcomes: list[tuple[Any, BaseException | None]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, Any, BaseException | None]]] = {}
    for waiter, (result, exc) in zip(group, outcomes, strict=True):
        if waiter.loop is None:
            cf = waiter.future
            assert isinstance(cf, concurrent.futures.Future)
            if exc is None:
                cf.set_result(result)
            else:
                cf.set_exception(exc)
        else:
            by_loop.setdefault(waiter.loop, []).append((waiter.future, result, exc))
    for loop, settled in by_loop.items():
        # A closed loop raises RuntimeError: nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for fut, result, exc in settled:
        if fut.cancelled():  # the client went away; the item is committed all the same
            continue
        if exc is None:
            fut.set_result(result)
        else:
            fut.set_exception(exc)


def inbox_writer(
    engine: Engine,
    *,
    max_batch: int = 1000,
    max_wait_s: float = 0.0,
    queue_limit: int = 20_000,
    on_batch: BatchObserver | None = None,
) -> GroupCommitWriter[NewEvent, bool]:
    """A group-commit writer into the inbox; each result is ``True`` if the event was new."""

    def commit(events: list[NewEvent]) -> list[bool]:
        with engine.begin() as conn:
            return insert_events(conn, events)

    return GroupCommitWriter(
        commit,
        max_batch=max_batch,
        max_wait_s=max_wait_s,
        queue_limit=queue_limit,
        on_batch=on_batch,
        name="inbox-writer",
    )
