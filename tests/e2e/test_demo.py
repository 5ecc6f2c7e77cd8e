"""`slpay demo`, run as a user runs it: a subprocess, its files, its JSON and its summary.

The scenario (src/slpay/demo/scenario.py) places 17 orders: 12 captured through webhooks, the
sweep or the order intake, 2 auth-only orders captured when SL ships them, 1 declined and 1
review rejected (both cancelled SOs), 1 authorization SL cancels (reversed). Money goes back
(src/slpay/demo/money_back.py): a sale refunded in full before invoicing, an invoiced one
partly refunded in Cybersource, an SL credit memo refunded to the card, a sale SL cancels the
same day (voided), two chargebacks (one won, one lost). It drops 4 webhooks, duplicates 2 and
reorders 4, takes SL down for a moment, and leaves the 2 orders placed during the outage
unreleased.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from slpay.sandbox.cybersource.shopper import TEST_CARDS
from slpay.workflows.hub import Hub

pytestmark = pytest.mark.timeout(240)

SLPAY = Path(sys.executable).with_name("slpay")
DESIGN_KEYS = {"orders", "captured", "posted", "parked", "duplicates_skipped", "swept"}
#: Capture on shipment (workflows/shipping.py) captures the 2 auth-only orders; a hub without
#: it leaves them authorized and the demo says it skipped that part.
SHIPS = callable(getattr(Hub, "capture_shipments", None))
CAPTURED = 14 if SHIPS else 12
MONEY_BACK = {
    "refunds": 3,  # WEB-1015 (full, before invoicing), WEB-1002 (after), WEB-1003 (SL CM)
    "credit_memos": 3,  # WEB-1002's CM on Refunds, WEB-1003's SL CM, the lost chargeback's
    "card_refund_debit_memos": 4,  # the 3 refunds and WEB-1017's void
    "reversals": 2,  # the rejected review (WEB-1006) and WEB-1016 cancelled in SL
    "voids": 1,
    "chargebacks": 2,
    "chargebacks_won": 1,
}


def _env() -> dict[str, str]:
    # The demo must work with nothing configured: no SLPAY_* from the developer's shell.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLPAY_")}
    return env | {"PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [str(SLPAY), "demo", "--once", "--json", "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=180,
        env=_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return workdir, json.loads(proc.stdout)


def _sql(workdir: Path, db: str, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(workdir / db) as conn:
        return conn.execute(query).fetchall()


def test_json_counts_match_the_scenario(run: tuple[Path, dict[str, Any]]) -> None:
    _, out = run
    assert out.keys() >= DESIGN_KEYS
    assert bool(out["skipped"]) is not SHIPS
    assert {k: out[k] for k in ("orders", "captured", "posted", "parked", "swept")} == {
        "orders": 17, "captured": CAPTURED, "posted": CAPTURED, "parked": 0, "swept": 4,
    }  # fmt: skip
    assert {k: out[k] for k in MONEY_BACK} == MONEY_BACK
    assert out["open_tasks"] == {}  # chargeback tasks closed by the decisions
    injected = out["injected"]
    assert injected["dropped_webhooks"] == out["swept"]
    # Each injected duplicate is refused once; the capture-on-shipment events may add more
    # (the capture's own webhook and slpay's record of it carry the same key).
    assert out["duplicates_skipped"] >= injected["duplicated_webhooks"] == 2
    # Both outage orders' events (order intake, authorization, capture) waited for SL.
    assert out["observed"]["deferred_during_sl_outage"] >= 2


def test_sl_holds_one_so_and_one_prepayment_per_payment_and_paid_invoices(
    run: tuple[Path, dict[str, Any]],
) -> None:
    workdir, _ = run
    so = _sql(
        workdir,
        "sl.db",
        "SELECT count(*), sum(Cancelled), count(DISTINCT CustOrdNbr) FROM SOHeader",
    )
    # Cancelled: the decline, the rejected review, the full refund, the reversal, the void.
    assert so == [(17, 5, 17)]
    pp = _sql(
        workdir, "sl.db", "SELECT count(*), count(DISTINCT User2) FROM ARDoc WHERE DocType='PP'"
    )
    assert pp == [(CAPTURED, CAPTURED)]
    invoices = _sql(
        workdir,
        "sl.db",
        "SELECT count(*), sum(Rlsed), sum(CuryDocBal) FROM ARDoc WHERE DocType='IN'",
    )
    # All but the outage's two and the two cancelled after capture (full refund, void).
    assert invoices == [(CAPTURED - 4, CAPTURED - 4, 0.0)]


def test_money_going_back_leaves_every_memo_released_and_applied(
    run: tuple[Path, dict[str, Any]],
) -> None:
    workdir, _ = run
    memos = _sql(
        workdir, "sl.db",
        "SELECT DocType, count(*), sum(Rlsed), sum(CuryDocBal) FROM ARDoc "
        "WHERE DocType IN ('CM', 'DM', 'PA') GROUP BY DocType ORDER BY DocType",
    )  # fmt: skip
    assert memos == [("CM", 3, 3, 0.0), ("DM", 6, 6, 0.0), ("PA", 1, 1, 0.0)]
    refunds = _sql(
        workdir, "sl.db",
        "SELECT trim(CustOrdNbr), CuryOrigDocAmt FROM ARDoc WHERE DocType = 'DM' "
        "AND DocDesc LIKE 'Card%' ORDER BY CustOrdNbr",
    )  # fmt: skip
    assert refunds == [
        ("WEB-1002", 4.25), ("WEB-1003", 7.5), ("WEB-1015", 48.0), ("WEB-1017", 119.0)
    ]  # fmt: skip


def test_the_last_batches_slpay_wrote_are_left_unreleased(
    run: tuple[Path, dict[str, Any]],
) -> None:
    workdir, out = run
    unreleased = out["unreleased_batches"]
    # The PPs of the two orders placed during the SL outage: one batch, or two when their
    # retries landed in different micro-batches.
    outage = _sql(
        workdir, "sl.db",
        "SELECT trim(CustOrdNbr), trim(BatNbr), Rlsed FROM ARDoc WHERE DocType='PP' "
        "AND trim(CustOrdNbr) IN ('WEB-1013', 'WEB-1014') ORDER BY CustOrdNbr",
    )  # fmt: skip
    assert [(o, r) for o, _, r in outage] == [("WEB-1013", 0), ("WEB-1014", 0)]
    assert sorted({b for _, b, _ in outage}) == unreleased
    pending = _sql(workdir, "sl.db", "SELECT trim(BatNbr) FROM Batch WHERE Rlsed = 0")
    assert sorted(b for (b,) in pending) == unreleased  # everything before was released
    newest = _sql(workdir, "sl.db", "SELECT max(trim(BatNbr)) FROM Batch WHERE Module='AR'")
    assert newest == [(unreleased[-1],)]


def test_files_are_under_the_workdir_and_logs_are_json(run: tuple[Path, dict[str, Any]]) -> None:
    workdir, _ = run
    for name in ("sl.db", "hub.db", "cybersource.db"):
        assert (workdir / name).is_file(), name
    lines = (workdir / "logs" / "slpay.log").read_text().splitlines()
    events = [json.loads(line)["event"] for line in lines]
    assert "demo.finished" in events


def test_no_card_number_in_any_file_of_the_workdir(run: tuple[Path, dict[str, Any]]) -> None:
    workdir, _ = run
    files = [p for p in workdir.rglob("*") if p.is_file()]
    assert len(files) >= 4
    for path in files:
        data = path.read_bytes()
        for pan in TEST_CARDS.values():
            assert pan.encode() not in data, f"card number in {path.name}"


def test_without_once_it_prints_the_summary_and_serves_until_ctrl_c(tmp_path: Path) -> None:
    with subprocess.Popen(
        [str(SLPAY), "demo", "--workdir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    ) as proc:
        assert proc.stdout is not None
        seen: list[str] = []
        try:
            for line in proc.stdout:
                seen.append(line)
                if "Ctrl-C to stop" in line:
                    break
            text = "".join(seen)
            assert "Ctrl-C to stop" in text, text[-2000:]
            for order in ("WEB-1001", "WEB-1014"):
                assert order in text
            assert "paid (PP applied to the invoice)" in text
            url = re.search(r"The hub is up at (http://127\.0\.0\.1:\d+)", text)
            assert url is not None
            assert httpx.get(f"{url.group(1)}/healthz", timeout=10).status_code == 200
        finally:
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=60)
            proc.stdout.read()
    assert code == 0
