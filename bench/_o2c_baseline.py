"""The baseline of ``bench/order_to_cash.py``: one DBOS workflow per inbox event.

Run by the benchmark in its own process (DBOS is a process-wide singleton)::

    python bench/_o2c_baseline.py NOTIFICATIONS.tsv HUB_URL SL_URL CS_BASE_URL

It stores the notifications in a fresh hub store, then runs, for each event, a workflow of
the same work the micro-batch does — enrich + transform (``plan_event``), write the sales
order and the PP, record the outcome — as three checkpointed steps, every workflow started
at once (DBOS runs them on its thread pool). Prints one JSON line:
``{"events": n, "seconds": s, "per_s": r, "done": n}``.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, update

from slpay.bootstrap import build_deps
from slpay.config import Settings
from slpay.logs import configure_logging
from slpay.store.inbox import NewEvent, insert_events
from slpay.store.schema import inbox
from slpay.workflows.batch import Outcome, _failed, _load, _ok, _write_order
from slpay.workflows.context import deps, install
from slpay.workflows.o2c import payment_input, plan_event
from slpay.workflows.records import record_outcomes
from slpay.workflows.runtime import Runtime, current_workflow_id, step, workflow


@step()
def post_one(event_id: int) -> Outcome:
    """Enrich, transform and write one event's SO and PP (the work of one batch item)."""
    d = deps()
    event = _load(d, [event_id])[0]
    plan = None
    try:
        plan = plan_event(d, event)
        docs = _write_order(d, plan)
        assert plan.capture is not None
        result = d.writer.write_payments([payment_input(d, plan)])[0]
        if result.error is not None:
            return _failed(event, result.error, plan)
        assert result.document is not None
        return _ok(plan, [*docs, result.document])
    except Exception as exc:
        return _failed(event, exc, plan)


@step()
def finish_one(outcome: Outcome) -> str:
    d = deps()
    with d.hub.begin() as conn:
        record_outcomes(conn, [outcome], retry_at=lambda o: datetime.now(UTC))
    return outcome.status


@step()
def claim_one(event_id: int) -> None:
    """Mark the event claimed by this workflow (what the micro-batch's claim step does)."""
    with deps().hub.begin() as conn:
        conn.execute(
            update(inbox)
            .where(inbox.c.id == event_id)
            .values(status="claimed", claimed_by=current_workflow_id())
        )


@workflow()
def one_event(event_id: int) -> str:
    """claim → post (enrich, transform, write) → finish, for a single event."""
    claim_one(event_id)
    outcome = post_one(event_id)
    return finish_one(outcome)


def _events(tsv: Path) -> list[NewEvent]:
    out = []
    for line in tsv.read_text(encoding="ascii").splitlines():
        body = line.split("\t", 1)[1]
        doc = json.loads(body)
        rid = doc["payload"]["data"]["id"]
        org = doc["organizationId"]
        out.append(
            NewEvent(
                dedupe_key=f"{org}|{doc['eventType']}|{rid}",
                organization_id=org,
                event_type=doc["eventType"],
                resource_id=rid,
                payload=body,
            )
        )
    return out


def main() -> None:
    tsv, hub_url, sl_url, cs_base = sys.argv[1:5]
    configure_logging("WARNING")
    settings = Settings(
        hub={"db_url": hub_url},
        sl={"db_url": sl_url},
        cybersource={"base_url": cs_base},
        log={"level": "WARNING"},
    )
    d = build_deps(settings)
    with d.hub.begin() as conn:
        insert_events(conn, _events(Path(tsv)))
        ids = [int(i) for i in conn.exec_driver_sql("SELECT id FROM inbox").scalars()]
    install(d)
    runtime = Runtime(
        hub_url, executor_id="baseline", application_version="bench", sl_concurrency=64
    )
    runtime.start()
    finished = inbox.c.status.in_(["done", "parked", "ignored"])
    count = select(func.count()).select_from(inbox).where(finished)
    try:
        start = time.perf_counter()
        for i in ids:
            runtime.start_workflow(one_event, i, workflow_id=f"baseline-{i}")
        while True:
            with d.hub.connect() as conn:
                if int(conn.execute(count).scalar_one()) >= len(ids):
                    break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        with d.hub.connect() as conn:
            done = int(conn.execute(count.where(inbox.c.status == "done")).scalar_one())
    finally:
        runtime.stop()
        install(None)
    print(json.dumps({"events": len(ids), "seconds": seconds, "per_s": len(ids) / seconds,
                      "done": done}))  # fmt: skip


if __name__ == "__main__":
    main()
