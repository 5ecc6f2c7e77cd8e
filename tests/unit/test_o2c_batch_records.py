"""The finish step of a micro-batch: inbox status, cross-references and the audit timeline
written with a few statements for the whole batch, with what single writes used to leave."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from slpay.connectors.dynamics_sl.models import SLDocument
from slpay.store import make_engine, migrate
from slpay.store.audit import timeline
from slpay.store.inbox import NewEvent, count_by_status, insert_events
from slpay.store.schema import inbox
from slpay.store.tasks import list_tasks
from slpay.store.xref import Xref, find_xrefs, record_xref, record_xrefs
from slpay.workflows.batch import Outcome
from slpay.workflows.records import record_outcomes

SO = SLDocument("T1:authorize", "order", "DEMO", "SO", ord_nbr="WO000001", cust_id="W0001")
PP = SLDocument("T1:capture", "payment", "DEMO", "AR", bat_nbr="000007", doc_type="PP",
                ref_nbr="CY00000001", cust_id="W0001", ord_nbr="WO000001")  # fmt: skip


def store(tmp_path: Path) -> tuple[Engine, list[int]]:
    engine = make_engine(tmp_path / "hub.db")
    migrate(engine)
    events = [NewEvent(f"org|payments.captures.accept|T{n}", "org", "payments.captures.accept",
                       f"T{n}", "{}") for n in (1, 2, 3)]  # fmt: skip
    with engine.begin() as conn:
        insert_events(conn, events)
        ids = sorted(int(i) for i in conn.execute(select(inbox.c.id)).scalars())
    return engine, ids


def test_a_finished_batch_leaves_statuses_xrefs_audit_and_tasks(tmp_path: Path) -> None:
    engine, (first, second, third) = store(tmp_path)
    evidence = {"authorization": "T1", "capture": "T1"}
    outcomes = [
        Outcome(first, "done", documents=[SO, PP], order_number="WEB-1", evidence=evidence),
        Outcome(second, "done", documents=[SO], order_number="WEB-1", evidence=evidence),
        Outcome(third, "parked", "ValidationError: no lines", order_number="WEB-3",
                evidence={"authorization": "T3"}),
    ]  # fmt: skip
    with engine.begin() as conn:
        record_outcomes(conn, outcomes, retry_at=lambda o: datetime.now(UTC))

    with engine.connect() as conn:
        assert count_by_status(conn)["done"] == 2
        assert count_by_status(conn)["parked"] == 1
        refs = find_xrefs(conn, transaction_id="T1")
        trail = [(e.key, e.action) for e in timeline(conn, "WEB-1")]
        tasks = list_tasks(conn)
    assert sorted((r.operation, r.sl_ord_nbr, r.sl_ref_nbr) for r in refs) == [
        ("authorize", "WO000001", None), ("capture", "WO000001", "CY00000001")]  # fmt: skip
    assert trail == [("WEB-1", "order.written"), ("WEB-1", "payment.written"),
                     ("WEB-1", "event.posted"), ("WEB-1", "order.written"),
                     ("WEB-1", "event.posted")]  # fmt: skip
    assert [(t.kind, t.key) for t in tasks] == [("parked", f"inbox:{third}")]


def test_record_xrefs_keeps_what_was_known_like_single_writes(tmp_path: Path) -> None:
    engine, _ = store(tmp_path)
    with engine.begin() as conn:
        record_xref(conn, Xref("T9", "capture", order_number="WEB-9", sl_bat_nbr="000001"))
        written = record_xrefs(conn, [
            Xref("T9", "capture", sl_ref_nbr="CY1"),             # fills in, keeps the rest
            Xref("T9", "capture", sl_doc_type="PP"),             # same key twice: merged
            Xref("T8", "authorize", order_number="WEB-8"),
        ])  # fmt: skip
    with engine.connect() as conn:
        (t9,) = find_xrefs(conn, transaction_id="T9")
        (t8,) = find_xrefs(conn, transaction_id="T8")
    assert written == 2
    assert (t9.order_number, t9.sl_bat_nbr, t9.sl_ref_nbr, t9.sl_doc_type) == (
        "WEB-9", "000001", "CY1", "PP")  # fmt: skip
    assert t8.order_number == "WEB-8"
