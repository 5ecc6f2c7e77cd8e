"""A writer killed mid-run (kill -9) and run again writes each business key exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, inspect, select
from test_sl_writer_support import NOW, sqlite_company

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import CustomerRef, PaymentInput
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.connectors.dynamics_sl.xref import slpay_xref
from slpay.domain.money import Money

COUNT = 400
CHILD = """
import sys
from datetime import UTC, datetime
from slpay.connectors.dynamics_sl.models import CustomerRef, PaymentInput
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money
from slpay.logs import configure_logging
configure_logging(level="WARNING")
writer = SLWriter(sys.argv[1])
when = datetime(2026, 5, 15, 14, 30, tzinfo=UTC)
for n in range(int(sys.argv[2])):  # one payment per transaction, as slowly as it goes
    writer.write_payment(PaymentInput(f"crash{n:05d}:capture", CustomerRef(cust_id="C00001"),
                                      Money.of("1.00", "USD"), when))
"""


def _payments() -> list[PaymentInput]:
    return [
        PaymentInput(
            f"crash{n:05d}:capture", CustomerRef(cust_id="C00001"), Money.of("1.00", "USD"), NOW
        )
        for n in range(COUNT)
    ]


def test_killed_writer_rerun_writes_each_key_once(tmp_path: Path) -> None:
    engine = sqlite_company(tmp_path)
    db = str(tmp_path / "sl.db")
    child = subprocess.Popen([sys.executable, "-c", CHILD, db, str(COUNT)], env=os.environ.copy())
    written = 0
    deadline = time.monotonic() + 60
    while written < 20 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
        if inspect(engine).has_table("slpay_xref"):
            with engine.connect() as conn:
                written = conn.execute(select(func.count()).select_from(slpay_xref)).scalar_one()
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert 0 < written < COUNT, "the child must die part-way through"

    results = SLWriter(engine).write_payments(_payments())

    assert all(r.ok for r in results)
    already = sum(1 for r in results if r.document is not None and not r.document.created)
    assert already >= written  # everything committed before the kill is found, not rewritten
    with engine.connect() as conn:
        docs = conn.execute(select(func.count()).select_from(sl.ARDoc)).scalar_one()
        keys = conn.execute(select(func.count()).select_from(slpay_xref)).scalar_one()
    assert docs == keys == COUNT
    engine.dispose()
