"""`slpay demo --once --json` runs the payment lifecycle end to end, as a user would run it."""

import json
import os
import subprocess
import sys
from pathlib import Path


def _run_demo(workdir: Path) -> dict[str, object]:
    slpay = Path(sys.executable).with_name("slpay")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLPAY_")}
    proc = subprocess.run(
        [str(slpay), "demo", "--once", "--json", "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_demo_runs_the_lifecycle_and_settles_the_day(tmp_path: Path) -> None:
    out = _run_demo(tmp_path)
    events = {(e["order"], e["operation"]): e for e in out["events"]}  # type: ignore[union-attr,index]
    assert events[("WEB-1001", "authorize")]["status"] == "AUTHORIZED"
    assert events[("WEB-1001", "capture")]["status"] == "PENDING"
    assert events[("WEB-1001", "capture")]["amount"] == "99.50 USD"
    assert events[("WEB-1001", "refund")]["amount"] == "20.00 USD"
    assert events[("WEB-1003", "authorize")]["status"] == "DECLINED"
    assert events[("WEB-1004", "authorize")]["status"] == "AUTHORIZED_PENDING_REVIEW"
    assert events[("WEB-1004", "accept")]["status"] == "ACCEPTED"
    assert events[("WEB-1005", "reject")]["status"] == "REJECTED"
    assert events[("WEB-1006", "authorize")]["status"] == "AUTHORIZED_RISK_DECLINED"
    assert events[("WEB-1007", "reversal")]["status"] == "REVERSED"
    settlement = out["settlement"]
    # Captured: 99.50 + 49.99 + 310.00 (review accepted); refunded 20.00.
    assert settlement["report_total"] == "439.49"  # type: ignore[index]
    usd = settlement["net_funding"]["USD"]  # type: ignore[index]
    assert usd["purchases"] == "459.49 USD"
    assert usd["refunds"] == "20.00 USD"
    # netTotal = purchases - refunds - chargebacks - fees (FACTS §9, DESIGN.md identity)
    fees = usd["fees"].split()[0]
    net = usd["net"].split()[0]
    from decimal import Decimal

    assert Decimal(net) == Decimal("459.49") - Decimal("20.00") - Decimal(fees)


def test_demo_keeps_its_files_in_the_workdir_and_logs_no_card_number(tmp_path: Path) -> None:
    _run_demo(tmp_path)
    assert (tmp_path / "cybersource.db").exists()
    log = (tmp_path / "logs" / "slpay.log").read_text()
    assert "demo_finished" in log
    for pan in ("4111111111111111", "5555555555554444", "378282246310005"):
        assert pan not in log
        for db_file in tmp_path.glob("cybersource.db*"):
            assert pan.encode() not in db_file.read_bytes()
