"""The one module that imports DBOS Transact: durable workflows, queues, recovery.

Everything else in slpay uses :data:`workflow`, :data:`step` and :class:`Runtime` from here,
so a change of engine (or of DBOS's API, which moved between 2.x and 3.x) stays in one file.

What DBOS gives the hub (measured with dbos 3.4 on these machines, see DESIGN.md):

- a workflow id used twice runs once; finished steps are never re-run after a crash, the
  in-flight step runs once more (so every step is idempotent on SL business keys);
- a queue with a *global* concurrency limit (``sl_concurrency``): several ``slpay serve``
  processes on one PostgreSQL database never run more micro-batches against SL than that;
- recovery of this process's own PENDING workflows at launch (same ``executor_id`` and
  ``application_version``). DBOS 3.4 has no public way to take over a *dead peer's* work,
  only the internal ``DBOS._recover_pending_workflows([ids])``; :meth:`Runtime.recover_peers`
  calls it for the executors whose heartbeat (:mod:`slpay.workflows.heartbeat`) is stale.

DBOS is a process-wide singleton: one :class:`Runtime` is started per process (the Hub).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from dbos import DBOS, SetWorkflowID

from slpay.logs import get_logger
from slpay.store.engine import normalize_db_url

F = TypeVar("F", bound=Callable[..., Any])

log = get_logger(__name__)

#: The queue of micro-batch workflows that write to SL.
SL_QUEUE = "sl-writes"


#: Workflow bodies running in this process (DBOS.destroy() does not wait for them).
_running = 0
_running_changed = threading.Condition()


def _counted(fn: F) -> F:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        global _running
        with _running_changed:
            _running += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with _running_changed:
                _running -= 1
                _running_changed.notify_all()

    return cast(F, run)


def wait_for_running(timeout_s: float) -> bool:
    """Wait until no workflow body runs in this process; False if some still do."""
    deadline = time.monotonic() + timeout_s
    with _running_changed:
        while _running:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _running_changed.wait(left)
    return True


def workflow() -> Callable[[F], F]:
    """Decorator: a durable workflow (its steps' results are checkpointed)."""

    def deco(fn: F) -> F:
        return cast(F, DBOS.workflow()(_counted(fn)))

    return deco


def step(*, retries: int = 0, interval_s: float = 1.0, backoff: float = 2.0) -> Callable[[F], F]:
    """Decorator: a checkpointed step; ``retries`` > 0 lets DBOS retry it with backoff."""
    if retries:
        deco = DBOS.step(
            retries_allowed=True,
            max_attempts=retries + 1,
            interval_seconds=interval_s,
            backoff_rate=backoff,
        )
        return cast(Callable[[F], F], deco)
    return cast(Callable[[F], F], DBOS.step())


def current_workflow_id() -> str:
    """The id of the workflow running the caller."""
    wid = DBOS.workflow_id
    if wid is None:
        raise RuntimeError("not inside a workflow")
    return str(wid)


class Runtime:
    """DBOS configured for slpay: system database, executor id, version, the SL queue."""

    def __init__(
        self,
        db_url: str,
        *,
        executor_id: str,
        application_version: str,
        sl_concurrency: int,
        poll_interval_s: float = 0.05,
    ) -> None:
        self.db_url = normalize_db_url(db_url)
        self.executor_id = executor_id
        self.application_version = application_version
        self.sl_concurrency = sl_concurrency
        self.poll_interval_s = poll_interval_s
        self._queue: Any = None

    def start(self) -> None:
        """Launch DBOS (recovering this executor's pending workflows) and the SL queue."""
        config: Any = {
            "name": "slpay",
            "system_database_url": self.db_url,
            "executor_id": self.executor_id,
            "application_version": self.application_version,
            "log_level": "WARNING",
            "notification_listener_polling_interval_sec": 0.05,
        }
        DBOS(config=config)
        DBOS.launch()
        self._queue = DBOS.register_queue(
            SL_QUEUE,
            global_concurrency=self.sl_concurrency,
            polling_interval_sec=self.poll_interval_s,
            on_conflict="always_update",
        )
        log.info("runtime.started", executor_id=self.executor_id, db=_safe(self.db_url))

    def stop(self, wait_s: float = 15.0) -> None:
        """Shut DBOS down; in-flight workflows stay PENDING and are recovered later.

        DBOS.destroy() stops dispatching but lets running workflow bodies go on in its
        threads; up to ``wait_s`` is given for them to end, so that the caller can close the
        database pools they use without a connection coming back to a closed pool.
        """
        DBOS.destroy()
        self._queue = None
        if not wait_for_running(wait_s):
            log.warning("runtime.stopped_with_running_workflows", waited_s=wait_s)

    def enqueue(self, fn: Callable[..., Any], *args: Any, workflow_id: str) -> None:
        """Put ``fn(*args)`` on the SL queue under ``workflow_id`` (a repeat is a no-op)."""
        if self._queue is None:
            raise RuntimeError("runtime not started")
        with SetWorkflowID(workflow_id):
            self._queue.enqueue(fn, *args)

    def start_workflow(self, fn: Callable[..., Any], *args: Any, workflow_id: str) -> None:
        """Start ``fn(*args)`` now, in the background, under ``workflow_id`` (once ever)."""
        with SetWorkflowID(workflow_id):
            DBOS.start_workflow(fn, *args)

    def queued(self) -> int:
        """Workflows of the SL queue not finished yet (enqueued or running), all processes."""
        rows = DBOS.list_workflows(
            queue_name=SL_QUEUE,
            status=["ENQUEUED", "PENDING"],
            load_input=False,
            load_output=False,
        )
        return len(rows)

    def unfinished(self, workflow_ids: list[str]) -> set[str]:
        """Those of ``workflow_ids`` that DBOS may still run (enqueued or pending).

        Anything else — finished, failed, cancelled, past its recovery attempts, or unknown —
        will never run again here or in any other process.
        """
        if not workflow_ids:
            return set()
        rows = DBOS.list_workflows(
            workflow_ids=workflow_ids,
            status=["ENQUEUED", "PENDING"],
            load_input=False,
            load_output=False,
        )
        return {str(r.workflow_id) for r in rows}

    def recover_peers(self, executor_ids: list[str]) -> int:
        """Take over the PENDING workflows of dead executors; returns how many."""
        if not executor_ids:
            return 0
        handles = DBOS._recover_pending_workflows(executor_ids)
        log.warning("runtime.recovered_peers", executors=executor_ids, workflows=len(handles))
        return len(handles)

    def pending_of(self, executor_id: str) -> int:
        """PENDING workflows of ``executor_id`` in this version (what a recovery re-enqueues).

        DBOS logs and skips a workflow it fails to re-enqueue; while any is left, the dead
        peer's heartbeat is kept so that the next beat tries again (a PENDING workflow also
        holds a slot of the SL queue's global concurrency until it is recovered).
        """
        rows = DBOS.list_workflows(
            executor_id=executor_id,
            status="PENDING",
            app_version=self.application_version,
            load_input=False,
            load_output=False,
        )
        return len(rows)

    def workflows_of_other_versions(self, keep: set[str]) -> list[str]:
        """Unfinished (enqueued or pending) workflows whose application version is not in
        ``keep``, every executor."""
        rows = DBOS.list_workflows(
            status=["ENQUEUED", "PENDING"], load_input=False, load_output=False
        )
        return sorted(str(r.workflow_id) for r in rows if (r.app_version or "") not in keep)

    def cancel(self, workflow_ids: list[str]) -> None:
        """Cancel workflows: DBOS will never run them again (here or anywhere)."""
        DBOS.cancel_workflows(workflow_ids)

    def fork(self, workflow_id: str, start_step: int) -> str:
        """Re-run ``workflow_id`` from ``start_step`` (earlier steps' results reused)."""
        handle = DBOS.fork_workflow(workflow_id, start_step)
        return str(handle.workflow_id)


def _safe(url: str) -> str:
    # Never log a password that may be in a PostgreSQL URL.
    head, _, tail = url.rpartition("@")
    return f"…@{tail}" if head else url
