"""``slpay sandbox sl …`` as an SL user or a developer types it (real SQLite file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sl_sandbox_support import order, writer
from typer.testing import CliRunner

from slpay.cli import app
from slpay.sandbox.sl.engine import open_engine

runner = CliRunner()


def slpay(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["sandbox", "sl", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "sl.db")
    code, out, _ = slpay("init", "--db", path)
    assert code == 0, out
    return path


def test_init_creates_the_company_and_says_so_twice(tmp_path: Path) -> None:
    path = str(tmp_path / "sl.db")

    first = slpay("init", "--db", path, "--company", "ACME")
    second = slpay("init", "--db", path, "--company", "ACME")
    other = slpay("init", "--db", path, "--company", "OTHER")

    assert first[0] == 0
    assert "SL company ACME created" in first[1]
    assert second[0] == 0
    assert "already there" in second[1]
    assert other[0] == 2
    assert "company:" in other[2]


def test_order_to_trial_balance_through_the_command_line(db: str) -> None:
    engine = open_engine(db)
    try:
        ord_nbr = order(writer(engine), "CLI1", "42.00", qty="2").ord_nbr
    finally:
        engine.dispose()

    shipped = slpay("ship", "--db", db, "--order", ord_nbr, "--qty", "1=1")
    rest = slpay("ship", "--db", db, "--order", ord_nbr)
    invoiced = slpay("invoice", "--db", db, "--order", ord_nbr)
    released = slpay("release", "--db", db, "--all")
    balance = slpay("trial-balance", "--db", db)

    assert shipped[0] == rest[0] == invoiced[0] == released[0] == balance[0] == 0
    assert "shipper SH000001 confirmed (line 00001 × 1; 21.00 USD)" in shipped[1]
    assert "invoice IN 100001 for 42.00 USD" in invoiced[1]
    assert "P" in released[1]
    assert "-42.00" in balance[1]
    assert "4000" in balance[1]


def test_credit_memo_for_a_card_refund_and_its_release(db: str) -> None:
    engine = open_engine(db)
    try:
        ord_nbr = order(writer(engine), "CLI2", "20.00").ord_nbr
    finally:
        engine.dispose()

    code, out, _ = slpay("credit-memo", "--db", db, "--customer", "C00001", "--amount", "7.5",
                         "--order", ord_nbr, "--card-refund")  # fmt: skip
    batnbr = out.split("AR batch ")[1].split()[0]
    released = slpay("release", "--db", db, "--batch", batnbr.lstrip("0"))
    again = slpay("release", "--db", db, "--batch", batnbr)

    assert code == 0
    assert "7.50 USD flagged for card refund" in out
    assert released[0] == 0
    assert again[0] == 1
    assert "12008" in again[2]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["credit-memo", "--customer", "C00001", "--amount", "abc"], "--amount"),
        (["credit-memo", "--customer", "C00001", "--amount", "1.001"], "--amount"),
        (
            ["credit-memo", "--customer", "C00001", "--amount", "1", "--currency", "EURO"],
            "--currency",
        ),
        (
            ["credit-memo", "--customer", "C00001", "--amount", "1", "--currency", "CHF"],
            "currency",
        ),
        (["credit-memo", "--customer", "NOBODY", "--amount", "1"], "customer"),
        (["ship", "--order", "NOSUCH"], "order"),
        (["ship", "--order", "NOSUCH", "--qty", "one"], "--qty"),
        (["invoice", "--order", "NOSUCH"], "order"),
        (["cancel", "--order", "NOSUCH"], "order"),
        (["release"], "--batch"),
        (["release", "--all", "--module", "AP"], "--module"),
    ],
)
def test_bad_input_exits_2_naming_the_field(db: str, args: list[str], field: str) -> None:
    code, _, err = slpay(*args, "--db", db)

    assert code == 2
    assert err.startswith(f"error: {field}:")


def test_commands_on_a_missing_database_say_to_run_init(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.db")

    code, _, err = slpay("release", "--db", missing, "--all")

    assert code == 2
    assert "slpay sandbox sl init" in err
    assert not Path(missing).exists()
