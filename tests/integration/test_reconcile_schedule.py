"""The hub's reconcile loop: the due day reconciled once when its clock passes the schedule
time; a day whose report is not out yet is asked for again later, not reported as missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_reconcile_support import (  # noqa: F401 - fixtures
    DAY,
    Day,
    day_fixture,
    sandbox_fixture,
)

from slpay.reconcile import Reconciler
from slpay.reconcile.hub_loop import RETRY_EVERY, ReconcileLoop


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def loop_for(day: Day, clock: Clock) -> ReconcileLoop:
    return ReconcileLoop(Reconciler(day.settings, day.client, day.writer, day.hub), clock)


def test_the_hub_reconciles_the_due_day_once_after_the_schedule_time(day: Day) -> None:
    txn = day.sale("ORD-A", "100.00")
    day.sl_capture(txn, "ORD-A", "100.00")
    day.close()
    clock = Clock(datetime(2026, 5, 16, 5, 59, tzinfo=UTC))  # schedule 06:00 UTC
    loop = loop_for(day, clock)
    assert loop() == []
    clock.now += timedelta(minutes=2)
    (result,) = loop()
    assert (result.day, result.status, result.matched) == (DAY, "reconciled", 1)
    assert result.gl_batches.keys() == {"USD"}
    clock.now += timedelta(hours=3)
    assert loop() == []


def test_a_day_not_yet_available_is_retried_later_then_reconciled(day: Day) -> None:
    txn = day.sale("ORD-A", "100.00")
    day.sl_capture(txn, "ORD-A", "100.00")
    clock = Clock(datetime(2026, 5, 16, 6, 1, tzinfo=UTC))
    loop = loop_for(day, clock)
    (first,) = loop()
    assert first.status == "not-available"
    assert day.open_tasks() == []
    day.close()
    clock.now += RETRY_EVERY / 2
    assert loop() == []  # not asked again before the retry interval
    clock.now += RETRY_EVERY
    (second,) = loop()
    assert (second.day, second.status, second.matched) == (DAY, "reconciled", 1)
    assert second.discrepancies == {}
    clock.now += RETRY_EVERY
    assert loop() == []
