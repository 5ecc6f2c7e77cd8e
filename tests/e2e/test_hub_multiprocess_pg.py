"""Three ``slpay serve`` processes on one PostgreSQL database; one is killed and stays dead.

The hub store, DBOS's system tables and the SL company live in two PostgreSQL databases made
for this test (and dropped after it), so nothing clashes with other tests on the server. The
Cybersource sandbox sends every webhook to the first process; the SL queue hands the
micro-batches to all three. Once the third process holds a micro-batch in flight it gets
SIGKILL and is not restarted: the survivors see its heartbeat go stale, take over its
workflows (and its claimed inbox events with them), and every sale ends with exactly one SO
and one PP. DBOS's own step records prove the global SL concurrency limit held across the
processes: never more than ``sl_concurrency`` post steps ran at the same instant.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _hub_procs import (
    FAST_WORKFLOWS,
    ServeProcess,
    assert_each_posted_once,
    create_sales,
    cybersource_sandbox,
    free_port,
    inbox_counts,
    set_processing,
    undelivered_webhooks,
    wait_for,
    write_settings,
)
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.release import release_all
from slpay.store import make_engine

PG_ENV = "SLPAY_TEST_POSTGRES_URL"
pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

SALES = 120
SL_CONCURRENCY = FAST_WORKFLOWS["sl_concurrency"]


@dataclass
class Databases:
    hub_url: str
    sl_url: str


@pytest.fixture
def databases() -> Iterator[Databases]:
    """Two fresh PostgreSQL databases (hub + DBOS, SL company), dropped afterwards."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set; the multi-process PostgreSQL test is skipped")
    base = f"slpay_e2e_{uuid.uuid4().hex[:10]}"
    names = [f"{base}_hub", f"{base}_sl"]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server = make_url(url)
    urls = [server.set(database=name).render_as_string(hide_password=False) for name in names]
    try:
        yield Databases(*urls)
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _in_flight(hub: Engine, executor_id: str) -> list[str]:
    """Workflows of ``executor_id`` holding claimed inbox events right now."""
    stmt = text(
        "SELECT DISTINCT i.claimed_by FROM inbox i JOIN dbos.workflow_status w"
        " ON w.workflow_uuid = i.claimed_by"
        " WHERE i.status = 'claimed' AND w.executor_id = :e AND w.status = 'PENDING'"
    )
    with hub.connect() as conn:
        return [str(r) for r in conn.execute(stmt, {"e": executor_id}).scalars()]


def _drained_by(hub: Engine) -> dict[str, int]:
    """Micro-batch workflows that posted and finished, per executor."""
    stmt = text(
        "SELECT w.executor_id, count(DISTINCT w.workflow_uuid) FROM dbos.workflow_status w"
        " JOIN dbos.operation_outputs o ON o.workflow_uuid = w.workflow_uuid"
        " WHERE w.status = 'SUCCESS' AND o.function_name LIKE '%post_step'"
        " GROUP BY w.executor_id"
    )
    with hub.connect() as conn:
        return {str(e): int(n) for e, n in conn.execute(stmt)}


def _most_post_steps_at_once(hub: Engine) -> int:
    """Largest number of SL post steps whose recorded [start, end] intervals overlap."""
    stmt = text(
        "SELECT started_at_epoch_ms, completed_at_epoch_ms FROM dbos.operation_outputs"
        " WHERE function_name LIKE '%post_step' AND started_at_epoch_ms IS NOT NULL"
    )
    with hub.connect() as conn:
        spans = [(int(s), int(e)) for s, e in conn.execute(stmt)]
    assert spans, "no post step recorded"
    # Ends sort before starts at the same millisecond: touching intervals do not overlap.
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def _workflow_states(hub: Engine, ids: list[str]) -> dict[str, tuple[str, str]]:
    stmt = text(
        "SELECT workflow_uuid, status, executor_id FROM dbos.workflow_status"
        " WHERE workflow_uuid = ANY(:ids)"
    )
    with hub.connect() as conn:
        return {str(w): (str(s), str(e)) for w, s, e in conn.execute(stmt, {"ids": ids})}


def test_three_processes_share_the_work_and_survivors_take_over_a_killed_one(
    tmp_path: Path, databases: Databases
) -> None:
    sl_engine = make_engine(databases.sl_url)
    init_company(sl_engine)
    hub = make_engine(databases.hub_url)
    ports = [free_port() for _ in range(3)]
    webhook_url = f"http://127.0.0.1:{ports[0]}/webhooks/cybersource"
    serves: list[ServeProcess] = []
    with cybersource_sandbox(tmp_path / "cybersource.db", webhook_url) as cs:
        config = write_settings(
            tmp_path / "slpay.yaml",
            cs_url=cs.base_url,
            sl_url=databases.sl_url,
            hub_url=databases.hub_url,
            batch_size=10,
        )
        try:
            for i, port in enumerate(ports, start=1):  # all three migrate and launch at once
                serves.append(ServeProcess(config, f"serve-{i}", port, tmp_path).start(wait=False))
            for s in serves:
                s.wait_ready()
            victim = serves[2]
            orders = {f"PG-{i:04d}": f"{20 + i % 50}.{i % 100:02d}" for i in range(SALES)}
            payments = create_sales(cs, orders)
            wait_for(lambda: undelivered_webhooks(cs) == 0, 120, "webhooks not acknowledged")
            assert inbox_counts(hub)["new"] == 2 * SALES

            set_processing(serves[0].url, paused=False)
            wait_for(lambda: bool(_in_flight(hub, victim.executor_id)), 120, "victim idle")
            victim.kill9()
            taken = _in_flight(hub, victim.executor_id)
            assert taken, "the killed process held no micro-batch"

            wait_for(lambda: inbox_counts(hub)["done"] == 2 * SALES, 180, "not drained")
        except AssertionError as exc:
            logs = "\n".join(f"--- {s.executor_id} ---\n{s.log_tail(1500)}" for s in serves)
            raise AssertionError(f"{exc}\n{logs}") from None
        finally:
            for s in serves:
                s.stop()

    counts = inbox_counts(hub)
    assert (counts["new"], counts["claimed"], counts["parked"]) == (0, 0, 0)
    assert_each_posted_once(hub, sl_engine, payments)
    assert release_all(sl_engine).refused == []

    # The killed process's in-flight workflows were finished by a survivor.
    states = _workflow_states(hub, taken)
    assert {s for s, _ in states.values()} == {"SUCCESS"}
    assert {e for _, e in states.values()} <= {"serve-1", "serve-2"}
    # The queue shared the work: the victim had dequeued a micro-batch (above), and both
    # survivors finished some, though every webhook went to serve-1.
    assert set(_drained_by(hub)) == {"serve-1", "serve-2"}
    assert _most_post_steps_at_once(hub) <= SL_CONCURRENCY
    with hub.connect() as conn:
        heartbeats = conn.execute(text("SELECT name FROM control WHERE name LIKE 'heartbeat:%'"))
        assert "heartbeat:serve-3" not in set(heartbeats.scalars())
    hub.dispose()
    sl_engine.dispose()
