"""The operator commands as a user runs them: ``slpay tasks [--json]``, ``tasks resolve``,
``replay ID`` / ``--all-parked`` and ``trace KEY``, each a real ``slpay`` process on a hub
database holding what the order-to-cash workflows record (``records.record_outcomes``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from slpay.connectors.dynamics_sl.models import SLDocument
from slpay.store import audit, make_engine, migrate
from slpay.store import tasks as task_repo
from slpay.store.inbox import NewEvent, insert_events
from slpay.store.schema import inbox
from slpay.workflows.batch import Outcome
from slpay.workflows.records import record_outcomes

pytestmark = pytest.mark.timeout(120)
SLPAY = str(Path(sys.executable).with_name("slpay"))
AUTH, CAPTURE = "7642912345678901234567", "7642912345678901239999"


def slpay(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}  # a wide terminal: rich tables do not wrap
    return subprocess.run(
        [SLPAY, *args], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def _event(conn: Any, resource: str, event_type: str) -> int:
    key = f"org|{event_type}|{resource}"
    body = {"payload": {"data": {"id": resource}}}
    insert_events(conn, [NewEvent(key, "org", event_type, resource, body)])
    return int(conn.execute(select(inbox.c.id).where(inbox.c.dedupe_key == key)).scalar_one())


def _posted(event_id: int) -> Outcome:
    so = SLDocument(f"{AUTH}:authorize", "order", "DEMO", "SO", ord_nbr="WO000042", cust_id="C1")
    pp = SLDocument(
        f"{CAPTURE}:capture", "payment", "DEMO", "AR", "000123", "PP", "000777", "C1", "WO000042"
    )
    evidence = {"authorization": AUTH, "capture": CAPTURE}
    return Outcome(event_id, "done", "", "", 1, [so, pp], "WEB-42", evidence)


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, Engine]:
    """A hub database: one order posted (SO + PP), two events parked."""
    path = tmp_path / "hub.db"
    engine = make_engine(path)
    migrate(engine)
    with engine.begin() as conn:
        posted = _event(conn, CAPTURE, "payments.captures.accept")
        bad1 = _event(conn, "7000000000000000000001", "payments.payments.accept")
        bad2 = _event(conn, "7000000000000000000002", "payments.payments.accept")
        audit.append_audit(conn, CAPTURE, "cybersource", "capture.accepted", {"amount": "42.00"})
        parked = [
            Outcome(i, "parked", f"PermanentError: SL refused {n}", f"k{i}", 1,
                    order_number=f"WEB-9{n}", evidence={"authorization": f"700{n}"})
            for n, i in ((1, bad1), (2, bad2))
        ]  # fmt: skip
        record_outcomes(conn, [_posted(posted), *parked], retry_at=lambda o: datetime.now(UTC))
    return str(path), engine


def _tasks_json(path: str, *extra: str) -> list[dict[str, Any]]:
    result = slpay("tasks", "--db", path, "--json", *extra)
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_tasks_lists_what_waits_with_kind_reason_and_age(db: tuple[str, Engine]) -> None:
    path, _ = db
    table = slpay("tasks", "--db", path)
    assert table.returncode == 0, table.stderr
    assert "parked" in table.stdout
    assert "SL refused 1" in table.stdout
    rows = _tasks_json(path)
    assert sorted(r["reason"] for r in rows) == [
        "PermanentError: SL refused 1",
        "PermanentError: SL refused 2",
    ]
    assert {r["kind"] for r in rows} == {"parked"}
    assert all(r["age"].endswith("s") and not r["resolved"] for r in rows)


def test_tasks_resolve_records_the_note_and_closes_the_task(db: tuple[str, Engine]) -> None:
    path, engine = db
    first = _tasks_json(path)[0]
    result = slpay(
        "tasks", "resolve", str(first["id"]), "--note", "fixed the customer in SL", "--db", path
    )
    assert result.returncode == 0, result.stderr
    with engine.connect() as conn:
        task = task_repo.get_task(conn, first["id"])
    assert task is not None
    assert task.resolution_note == "fixed the customer in SL"
    assert first["id"] not in [r["id"] for r in _tasks_json(path)]
    assert first["id"] in [r["id"] for r in _tasks_json(path, "--all")]
    again = slpay("tasks", "resolve", str(first["id"]), "--note", "twice", "--db", path)
    assert again.returncode == 1
    assert "not open" in again.stderr


def _statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.resource_id: r.status for r in conn.execute(select(inbox))}


def test_replay_one_parked_task_requeues_only_its_event(db: tuple[str, Engine]) -> None:
    path, engine = db
    task = next(t for t in _tasks_json(path) if "refused 1" in t["reason"])
    result = slpay("replay", str(task["id"]), "--db", path)
    assert result.returncode == 0, result.stderr
    assert "1 parked event(s) queued again" in result.stdout
    statuses = _statuses(engine)
    assert statuses["7000000000000000000001"] == "new"
    assert statuses["7000000000000000000002"] == "parked"
    assert slpay("replay", str(task["id"]), "--db", path).returncode == 1  # not parked now


def test_replay_all_parked_requeues_every_parked_event(db: tuple[str, Engine]) -> None:
    path, engine = db
    result = slpay("replay", "--all-parked", "--db", path)
    assert result.returncode == 0, result.stderr
    assert "2 parked event(s) queued again" in result.stdout
    assert _statuses(engine) == {
        CAPTURE: "done",
        "7000000000000000000001": "new",
        "7000000000000000000002": "new",
    }
    assert _tasks_json(path) == []
    assert slpay("replay", "--db", path).returncode == 2  # neither an id nor --all-parked


@pytest.mark.parametrize("key", ["WEB-42", CAPTURE, "000777"])
def test_trace_shows_one_timeline_across_cybersource_slpay_and_sl(
    db: tuple[str, Engine], key: str
) -> None:
    path, _ = db
    result = slpay("trace", key, "--db", path, "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["system"] for r in rows} == {"cybersource", "slpay", "sl"}
    actions = {(r["system"], r["action"]) for r in rows}
    assert ("sl", "payment.written") in actions
    assert ("sl", "order.written") in actions
    assert ("slpay", "event.posted") in actions
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)


def test_trace_prints_a_readable_table(db: tuple[str, Engine]) -> None:
    path, _ = db
    table = slpay("trace", "WEB-42", "--db", path)
    assert table.returncode == 0, table.stderr
    for text in ("cybersource", "capture.accepted", "payment.written", "000777"):
        assert text in table.stdout


def test_trace_of_an_unknown_key_fails(db: tuple[str, Engine]) -> None:
    path, _ = db
    assert slpay("trace", "NO-SUCH-ORDER", "--db", path).returncode == 1
    result = slpay("trace", "NO-SUCH-ORDER", "--db", path, "--json")
    assert json.loads(result.stdout) == []
