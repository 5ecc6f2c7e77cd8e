"""One discrepancy of each kind seeded into an otherwise clean day: each found, classified,
nothing else flagged; a re-run adds no task; fixing one closes it on the next run."""

from __future__ import annotations

from test_reconcile_support import (  # noqa: F401 - fixtures
    Day,
    day_fixture,
    sandbox_fixture,
)

from slpay.store import tasks as task_repo

NEVER_SETTLED = "9" * 22


def seeded_day(day: Day) -> dict[str, str]:
    ids = {
        "a": day.sale("ORD-A", "100.00"),
        "b": day.sale("ORD-B", "50.00"),
        "missing": day.sale("ORD-E", "40.00"),
        "amount": day.sale("ORD-F", "60.00"),
        "currency": day.sale("ORD-G", "25.00"),
        "eur": day.sale("ORD-H", "10.00", "EUR"),
    }
    day.close()
    for name in ("a", "b", "amount", "currency"):
        code = {"a": "ORD-A", "b": "ORD-B", "amount": "ORD-F", "currency": "ORD-G"}[name]
        amount = {"a": "100.00", "b": "50.00", "amount": "60.00", "currency": "25.00"}[name]
        day.sl_capture(ids[name], code, amount)
    day.sl_capture(ids["eur"], "ORD-H", "10.00", "EUR")
    day.sl_capture(NEVER_SETTLED, "ORD-X", "77.77")
    day.sl_edit(f"{ids['amount']}:capture", CuryOrigDocAmt=66.0)
    day.sl_edit(f"{ids['currency']}:capture", CuryId="CAD")
    day.tamper("duplicate", requestId=ids["a"])
    day.tamper("fees", currency="USD", value="9.99")
    day.tamper("net_total", currency="EUR", delta="1.00")
    return ids


def test_each_kind_of_discrepancy_is_found_and_nothing_else(day: Day) -> None:
    ids = seeded_day(day)
    result = day.reconcile()
    assert result.discrepancies == {
        "amount-mismatch": 1,
        "currency-mismatch": 1,
        "duplicate": 1,
        "fees": 1,
        "missing-in-sl": 1,
        "net-funding": 1,
        "not-settled": 1,
    }
    by_kind = {d.kind: d for d in result.found}
    assert by_kind["missing-in-sl"].what == ids["missing"]
    assert by_kind["amount-mismatch"].what == ids["amount"]
    assert by_kind["currency-mismatch"].what == ids["currency"]
    assert by_kind["duplicate"].what.startswith(ids["a"])
    assert by_kind["not-settled"].what == f"{NEVER_SETTLED}:capture"
    assert (by_kind["fees"].currency, by_kind["net-funding"].currency) == ("USD", "EUR")
    # Nothing posts while the day does not add up: USD's remainder is the unmatched rows,
    # EUR's net funding breaks the identity.
    assert result.gl_batches == {}
    assert result.matched == 0


def test_tasks_carry_both_sides_and_a_rerun_opens_no_duplicate(day: Day) -> None:
    ids = seeded_day(day)
    day.reconcile()
    first = {t.key: t for t in day.open_tasks()}
    assert len(first) == 7
    mismatch = next(t for t in first.values() if ":amount-mismatch:" in t.key)
    assert mismatch.evidence["cybersource"]["amount"] == "60.00"
    assert mismatch.evidence["sl"]["amount"] == "66.00"
    assert mismatch.key == f"recon:2026-05-15:amount-mismatch:{ids['amount']}"
    day.reconcile()
    assert {t.key: t.id for t in day.open_tasks()} == {k: t.id for k, t in first.items()}


def test_a_fixed_discrepancy_is_closed_on_the_next_run_and_resolving_is_recorded(day: Day) -> None:
    ids = seeded_day(day)
    day.reconcile()
    day.sl_edit(f"{ids['amount']}:capture", CuryOrigDocAmt=60.0)
    day.reconcile()
    keys = {t.key for t in day.open_tasks()}
    assert not any(":amount-mismatch:" in k for k in keys)
    assert len(keys) == 6
    fees = next(t for t in day.open_tasks() if ":fees:" in t.key)
    with day.hub.begin() as conn:
        assert task_repo.resolve_task(conn, fees.id, "processor confirmed the new rate")
    with day.hub.connect() as conn:
        closed = task_repo.get_task(conn, fees.id)
    assert closed is not None
    assert closed.resolution_note == "processor confirmed the new rate"


def test_a_rerun_updates_the_open_tasks_evidence_to_what_it_found(day: Day) -> None:
    ids = seeded_day(day)
    day.reconcile()
    key = f"recon:2026-05-15:amount-mismatch:{ids['amount']}"
    before = next(t for t in day.open_tasks() if t.key == key)
    day.sl_edit(f"{ids['amount']}:capture", CuryOrigDocAmt=70.0)  # still beyond tolerance
    day.reconcile()
    after = next(t for t in day.open_tasks() if t.key == key)
    assert after.id == before.id
    assert (before.evidence["sl"]["amount"], after.evidence["sl"]["amount"]) == ("66.00", "70.00")
