"""``slpay reconcile --date D --json`` as an operator runs it, against the sandboxes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_reconcile_support import (  # noqa: F401 - fixtures
    SL,
    Day,
    day_fixture,
    sandbox_fixture,
)
from typer.testing import CliRunner

from slpay.cli import app
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.sandbox.cybersource.testing import MutableClock
from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.engine import open_engine

# The command takes plain database URLs (no per-test PostgreSQL schema): on PostgreSQL it would
# write into the shared database's public schema, so these run on SQLite files only; the
# service itself runs on PostgreSQL in the other reconciliation tests.
pytestmark = pytest.mark.parametrize("day", ["sqlite"], indirect=True)


@pytest.fixture(autouse=True)
def real_time(day: Day, sandbox: tuple[object, MutableClock]) -> None:
    """The command signs with the real clock, so the sandbox runs on it too."""
    sandbox[1].set(datetime.now(UTC))


def config_file(day: Day, tmp_path: Path) -> Path:
    path = tmp_path / "slpay.yaml"
    path.write_text(
        f"cybersource:\n  base_url: {day.settings.cybersource.base_url}\n"
        f"sl:\n  db_url: {day.writer.engine.url}\n"
        f"hub:\n  db_url: {day.hub.url}\n"
        f"reconcile:\n  report_dir: {tmp_path / 'out'}\n"
    )
    return path


def test_json_summary_has_exactly_the_agreed_keys(day: Day, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    today = now.date()
    # An SL company whose current period is this month (the command dates by the real day).
    sl_engine = open_engine(str(tmp_path / "sl-now.db"))
    init_company(sl_engine, today=today)
    day.writer = SLWriter(sl_engine, SL)
    a = day.sale("ORD-A", "100.00")
    day.close(today)
    day.sl_capture(a, "ORD-A", "100.00", when=now)
    cfg = config_file(day, tmp_path)
    result = CliRunner().invoke(
        app, ["reconcile", "--date", today.isoformat(), "--json", "-c", str(cfg)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert list(summary) == ["matched", "discrepancies", "gl_batches"]
    assert summary["matched"] == 1
    assert summary["discrepancies"] == {}
    assert list(summary["gl_batches"]) == ["USD"]
    assert (tmp_path / "out" / f"reconciliation-{today.isoformat()}.html").exists()


def test_a_day_not_yet_available_exits_3_and_says_so(day: Day, tmp_path: Path) -> None:
    cfg = config_file(day, tmp_path)
    result = CliRunner().invoke(app, ["reconcile", "--date", "2026-05-14", "-c", str(cfg)])
    assert result.exit_code == 3
    assert "not available yet" in result.stderr
