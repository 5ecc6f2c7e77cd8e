"""Order-to-cash under faults: SL outage, a permanent SL error and its replay, duplicated,
reordered and dropped webhooks (the sweep), all over real HTTP to the sandboxes."""

from __future__ import annotations

import httpx
import test_o2c_flow
from sqlalchemy import select
from test_o2c_flow import Env, pay, settle_webhooks, sl_count

from slpay.connectors.dynamics_sl import schema as sl
from slpay.hub_cli import replay_parked
from slpay.store.inbox import count_by_status
from slpay.store.schema import inbox

PP = sl.ARDoc.c.DocType == "PP"
env = test_o2c_flow.env  # the same fixture: sandboxes, served hub, SL company


def faults(env: Env, **body: int) -> None:
    with httpx.Client(base_url=env.cs_url) as c:
        assert c.post("/sandbox/webhooks/faults", json=body).status_code == 200


def test_sl_outage_makes_events_wait_and_all_post_after_recovery(env: Env) -> None:
    env.hub.deps.writer.faults.set("unavailable")
    for i in range(5):
        pay(env, f"OUT-{i}", "12.00", email=f"o{i}@example.com")
    settle_webhooks(env)
    with env.hub.deps.hub.connect() as conn:
        counts = count_by_status(conn)
        attempts = conn.execute(select(inbox.c.attempts)).scalars().all()
    assert (counts["parked"], counts["done"], len(attempts)) == (0, 0, 10)
    assert all(a >= 1 for a in attempts)
    assert sl_count(env.sl, sl.SOHeader) == 0

    env.hub.deps.writer.faults.clear()
    assert env.hub.wait_idle(timeout=60, include_deferred=True)
    assert sl_count(env.sl, sl.SOHeader) == 5
    assert sl_count(env.sl, sl.ARDoc, PP) == 5


def test_a_permanent_sl_error_parks_only_its_payment_and_a_replay_posts_it_once(env: Env) -> None:
    bad = pay(env, "BAD-1", "20.00", email="bad@example.com")
    env.hub.deps.writer.faults.set("fail_matching", bad)
    settle_webhooks(env)
    for i in range(3):
        pay(env, f"GOOD-{i}", "21.00", email=f"g{i}@example.com")
    settle_webhooks(env)
    assert env.hub.summary()["parked"] == 2  # the sale's authorization and capture events
    assert sl_count(env.sl, sl.ARDoc, PP) == 3

    env.hub.deps.writer.faults.clear()
    assert replay_parked(env.hub.deps.hub, None) == 2
    assert env.hub.wait_idle(timeout=60)
    assert env.hub.summary()["parked"] == 0
    assert sl_count(env.sl, sl.ARDoc, PP) == 4
    assert sl_count(env.sl, sl.ARDoc, PP, sl.ARDoc.c.User2 == bad) == 1
    assert replay_parked(env.hub.deps.hub, None) == 0


def test_duplicated_and_reordered_webhooks_post_once_each(env: Env) -> None:
    faults(env, duplicate=8, reorder=4)
    for i in range(4):
        pay(env, f"DUP-{i}", "30.00", email=f"d{i}@example.com")
    with httpx.Client(base_url=env.cs_url) as c:
        c.post("/sandbox/webhooks/release")
    settle_webhooks(env)
    summary = env.hub.summary()
    assert summary["duplicates_skipped"] >= 4
    assert (summary["orders"], summary["posted"]) == (4, 4)
    assert sl_count(env.sl, sl.SOHeader) == 4
    assert sl_count(env.sl, sl.ARDoc, PP) == 4


def test_dropped_webhooks_are_posted_once_by_the_sweep(env: Env) -> None:
    faults(env, drop=6)
    for i in range(3):
        pay(env, f"DROP-{i}", "15.00", email=f"x{i}@example.com")
    settle_webhooks(env)
    assert sl_count(env.sl, sl.SOHeader) == 0

    assert env.hub.sweep() == 6
    assert env.hub.sweep() == 0
    assert env.hub.wait_idle(timeout=60)
    summary = env.hub.summary()
    assert (summary["swept"], summary["posted"]) == (6, 3)
    assert sl_count(env.sl, sl.ARDoc, PP) == 3
