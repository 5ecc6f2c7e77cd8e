"""``kill -9`` of ``slpay serve`` in the middle of a run, then a restart: every order posted once.

The hub is a real ``slpay serve`` subprocess on a SQLite hub store; the Cybersource sandbox
(in this process) sends its webhooks to it over HTTP and retries them while it is down. Every
sale's webhooks are acknowledged first (processing paused), then processing resumes and the
process is killed once some — not all — payments are in SL. More sales arrive while it is
dead. After a restart with the same executor id, DBOS resumes the killed micro-batches and the
inbox drains: one SO and one PP per sale, nothing lost, every SL batch releasable.

The 2,000-order version is marked ``slow`` and runs only when asked: ``pytest -m slow``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _hub_procs import (
    ServeProcess,
    assert_each_posted_once,
    create_sales,
    cybersource_sandbox,
    free_port,
    inbox_counts,
    posted_payments,
    set_processing,
    undelivered_webhooks,
    wait_for,
    write_settings,
)
from sqlalchemy import Engine, select

from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.engine import open_engine
from slpay.sandbox.sl.release import release_all
from slpay.store import make_engine
from slpay.store.schema import inbox

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def sl_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path / 'sl.db'}")
    init_company(engine)
    yield engine
    engine.dispose()


def _orders(prefix: str, n: int) -> dict[str, str]:
    return {f"{prefix}-{i:05d}": f"{10 + i % 90}.{i % 100:02d}" for i in range(n)}


def _mid_run(hub: Engine, sl_engine: Engine, n: int) -> bool:
    # A fifth of the payments posted and a micro-batch in flight: the kill interrupts it.
    return posted_payments(sl_engine) >= n // 5 and inbox_counts(hub)["claimed"] > 0


def _crash_and_restart(
    tmp_path: Path, sl_engine: Engine, n: int, late: int, *, upgrade: bool = False
) -> None:
    """``upgrade``: the restart runs a new ``workflows.application_version``, which DBOS will
    not recover the killed micro-batches into: slpay cancels them and hands their claims back."""
    port = free_port()
    hub_url = f"sqlite:///{tmp_path / 'hub.db'}"
    webhook_url = f"http://127.0.0.1:{port}/webhooks/cybersource"
    with cybersource_sandbox(tmp_path / "cybersource.db", webhook_url) as cs:
        config = write_settings(
            tmp_path / "slpay.yaml", cs_url=cs.base_url, sl_url=str(sl_engine.url), hub_url=hub_url
        )
        serve = ServeProcess(config, "crash-1", port, tmp_path).start()
        hub = make_engine(hub_url)
        try:
            payments = create_sales(cs, _orders("WEB", n))
            wait_for(lambda: undelivered_webhooks(cs) == 0, 120, "webhooks not acknowledged")
            assert inbox_counts(hub)["new"] == 2 * n  # authorization + capture per sale

            set_processing(serve.url, paused=False)
            wait_for(lambda: _mid_run(hub, sl_engine, n), 120, "nothing posted")
            serve.kill9()
            at_kill, claimed = posted_payments(sl_engine), inbox_counts(hub)["claimed"]
            assert 0 < at_kill < n, f"not killed mid-run: {at_kill} of {n} posted"
            assert claimed > 0, "killed between micro-batches: nothing in flight"

            # Sales made while the hub is dead: the sandbox keeps retrying their webhooks.
            payments |= create_sales(cs, _orders("LATE", late))
            if upgrade:
                serve.config = write_settings(
                    tmp_path / "slpay-v2.yaml", cs_url=cs.base_url, sl_url=str(sl_engine.url),
                    hub_url=hub_url, application_version="slpay-o2c-2",
                )  # fmt: skip
            serve.start()
            set_processing(serve.url, paused=False)
            wait_for(lambda: undelivered_webhooks(cs) == 0, 120, "webhooks not acknowledged")
            wait_for(lambda: inbox_counts(hub)["done"] == 2 * len(payments), 300, "not drained")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- serve log ---\n{serve.log_tail()}") from None
        finally:
            serve.stop()
            hub.dispose()
        counts = inbox_counts(hub)
        assert (counts["new"], counts["claimed"], counts["parked"]) == (0, 0, 0)
        assert_each_posted_once(hub, sl_engine, payments)
        assert release_all(sl_engine).refused == []


def test_kill_9_mid_run_then_restart_posts_every_order_exactly_once(
    tmp_path: Path, sl_engine: Engine
) -> None:
    _crash_and_restart(tmp_path, sl_engine, n=150, late=10)


def test_kill_9_then_a_restart_on_a_new_version_posts_every_order_exactly_once(
    tmp_path: Path, sl_engine: Engine
) -> None:
    # DBOS recovers PENDING workflows only into their own application version: after an
    # upgrade, the killed micro-batches would hold their claims and the queue's slots forever.
    _crash_and_restart(tmp_path, sl_engine, n=150, late=10, upgrade=True)


def test_claims_of_a_workflow_cancelled_after_the_crash_are_given_back_and_posted_once(
    tmp_path: Path, sl_engine: Engine
) -> None:
    # An operator cancels an interrupted micro-batch with DBOS's own CLI before the restart:
    # DBOS will never run it again, so its claimed events must return to the inbox.
    n, port = 40, free_port()
    hub_url = f"sqlite:///{tmp_path / 'hub.db'}"
    webhook_url = f"http://127.0.0.1:{port}/webhooks/cybersource"
    with cybersource_sandbox(tmp_path / "cybersource.db", webhook_url) as cs:
        config = write_settings(
            tmp_path / "slpay.yaml", cs_url=cs.base_url, sl_url=str(sl_engine.url), hub_url=hub_url
        )
        serve = ServeProcess(config, "crash-1", port, tmp_path).start()
        hub = make_engine(hub_url)
        try:
            payments = create_sales(cs, _orders("CAN", n))
            wait_for(lambda: undelivered_webhooks(cs) == 0, 120, "webhooks not acknowledged")
            set_processing(serve.url, paused=False)
            wait_for(lambda: inbox_counts(hub)["claimed"] > 0, 120, "nothing claimed")
            serve.kill9()
            owners = _claim_owners(hub)
            assert owners, "killed between micro-batches: nothing in flight"
            for workflow_id in owners:
                _dbos_cancel(hub_url, workflow_id)
            serve.start()
            set_processing(serve.url, paused=False)
            wait_for(lambda: inbox_counts(hub)["done"] == 2 * n, 120, "claims never given back")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- serve log ---\n{serve.log_tail()}") from None
        finally:
            serve.stop()
            hub.dispose()
        assert_each_posted_once(hub, sl_engine, payments)


def _claim_owners(hub: Engine) -> list[str]:
    with hub.connect() as conn:
        stmt = select(inbox.c.claimed_by).where(inbox.c.status == "claimed").distinct()
        return [str(w) for w in conn.execute(stmt).scalars()]


def _dbos_cancel(db_url: str, workflow_id: str) -> None:
    dbos = Path(sys.executable).with_name("dbos")
    cmd = [str(dbos), "workflow", "cancel", workflow_id, "--sys-db-url", db_url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_kill_9_mid_run_of_2000_orders_then_restart_posts_each_once(
    tmp_path: Path, sl_engine: Engine
) -> None:
    # Runs in CI (issue 4 asks for the 2,000-order run); deselect locally with -m "not slow".
    _crash_and_restart(tmp_path, sl_engine, n=2000, late=50)
