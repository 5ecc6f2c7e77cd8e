"""``slpay sandbox sl …``: the SL sandbox company and the acts of SL's users.

``init`` creates the company; ``ship``, ``invoice``, ``cancel`` and ``credit-memo`` do what SL's
users do; ``release`` plays SL's release and posting screens; ``trial-balance`` prints what
is released. ``--db`` is a SQLAlchemy URL or a SQLite file path (default ``sl.db``). Bad input
exits with code 2 and names the field; a batch SL would refuse exits with code 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.connectors.dynamics_sl.db import normalize_url
from slpay.domain.money import Money
from slpay.errors import ValidationError

console = Console(highlight=False)
DbOption = Annotated[
    str, typer.Option("--db", help="SQLAlchemy URL or SQLite file of the SL sandbox.")
]
OrderOption = Annotated[str, typer.Option("--order", help="SL order number (OrdNbr).")]


def _fail(field: str, message: str) -> typer.Exit:
    typer.echo(f"error: {field}: {message}", err=True)
    return typer.Exit(2)


def _missing_sqlite_file(url: str) -> bool:
    if not url.startswith("sqlite:///") or url in ("sqlite:///", "sqlite:///:memory:"):
        return False
    return not Path(url.removeprefix("sqlite:///")).exists()


@contextmanager
def _company(db: str) -> Iterator[tuple[Engine, SLSettings]]:
    """The sandbox engine and settings for the company the database holds."""
    from slpay.sandbox.sl.company import has_company
    from slpay.sandbox.sl.engine import open_engine

    url = normalize_url(db)
    if _missing_sqlite_file(url):
        raise _fail("--db", f"{db} does not exist; run `slpay sandbox sl init --db {db}` first")
    engine = open_engine(url)
    try:
        if not has_company(engine):
            raise _fail("--db", f"no SL sandbox company in {db}; run `slpay sandbox sl init`")
        with engine.connect() as conn:
            cpny = read_char(conn.execute(select(sl.GLSetup.c.CpnyId)).scalar_one())
        try:
            yield engine, SLSettings(company=cpny)
        except ValidationError as exc:
            raise _fail(exc.field or "input", exc.reason) from None
    finally:
        engine.dispose()


def _parse_qty(values: list[str]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for value in values:
        line, sep, qty = value.partition("=")
        try:
            if not sep or not line.strip():
                raise InvalidOperation
            out[line.strip()] = Decimal(qty)
        except InvalidOperation:
            raise _fail("--qty", f"{value!r} is not LINE=QTY (e.g. 1=2 or SKU-1=2)") from None
    return out


def register(parent: typer.Typer) -> None:
    """Add the ``sl`` command group to ``slpay sandbox``."""
    app = typer.Typer(help="Dynamics SL sandbox company.", no_args_is_help=True)
    parent.add_typer(app, name="sl")

    @app.command()
    def init(
        db: DbOption = "sl.db",
        company: Annotated[str, typer.Option("--company", help="CpnyID.")] = "DEMO",
    ) -> None:
        """Create a ready SL company (setup, accounts, currencies, customers, open period)."""
        from slpay.sandbox.sl.company import init_company
        from slpay.sandbox.sl.engine import open_engine

        engine = open_engine(db)
        try:
            info = init_company(engine, company, settings=SLSettings(company=company))
        except ValidationError as exc:
            raise _fail(exc.field or "company", exc.reason) from None
        finally:
            engine.dispose()
        verb = "created" if info.created else "already there:"
        console.print(f"SL company {info.company} {verb} in {db} "
                      f"(period {info.period}, base currency {info.base_currency})")  # fmt: skip

    @app.command()
    def ship(
        order: OrderOption,
        db: DbOption = "sl.db",
        qty: Annotated[
            list[str] | None, typer.Option("--qty", help="LINE=QTY (LineRef or InvtID).")
        ] = None,
    ) -> None:
        """Confirm a shipper for an order (everything left to ship, or --qty per line)."""
        from slpay.sandbox.sl.users import ship as do_ship

        quantities = _parse_qty(qty or [])
        with _company(db) as (engine, cfg):
            done = do_ship(engine, order, quantities or None, settings=cfg)
        lines = ", ".join(f"line {ref} × {q}" for ref, q in done.lines)
        console.print(f"order {done.ord_nbr}: shipper {done.shipper_id} confirmed ({lines}; "
                      f"{done.amount} {done.currency})")  # fmt: skip

    @app.command()
    def invoice(order: OrderOption, db: DbOption = "sl.db") -> None:
        """Invoice what was shipped (an IN in its own unreleased AR batch)."""
        from slpay.sandbox.sl.users import invoice as do_invoice

        with _company(db) as (engine, cfg):
            done = do_invoice(engine, order, settings=cfg)
        console.print(f"order {done.ord_nbr}: invoice IN {done.ref_nbr} for {done.amount} "
                      f"{done.currency} in AR batch {done.batnbr} (unreleased)")  # fmt: skip

    @app.command()
    def cancel(order: OrderOption, db: DbOption = "sl.db") -> None:
        """Cancel an order (SOHeader.Cancelled = 1)."""
        from slpay.sandbox.sl.users import cancel as do_cancel

        with _company(db) as (engine, cfg):
            done = do_cancel(engine, order, settings=cfg)
        state = "was already cancelled" if done.already else "cancelled"
        console.print(f"order {done.ord_nbr} {state}")

    @app.command("credit-memo")
    def credit_memo(
        customer: Annotated[str, typer.Option("--customer", help="SL CustId.")],
        amount: Annotated[str, typer.Option("--amount", help="Amount, e.g. 12.50.")],
        db: DbOption = "sl.db",
        currency: Annotated[str, typer.Option("--currency")] = "USD",
        order: Annotated[str | None, typer.Option("--order", help="Order refunded.")] = None,
        card_refund: Annotated[
            bool, typer.Option("--card-refund", help="Flag it for a refund to the card.")
        ] = False,
    ) -> None:
        """Enter a credit memo (line on Refunds), optionally flagged for a card refund."""
        from slpay.sandbox.sl.users import credit_memo as do_credit_memo

        try:
            money = Money(Decimal(0), currency)
        except ValueError as exc:
            raise _fail("--currency", str(exc)) from None
        try:
            money = Money.of(amount, money.currency)
        except ValueError as exc:
            raise _fail("--amount", str(exc)) from None
        with _company(db) as (engine, cfg):
            done = do_credit_memo(
                engine, customer, money, ord_nbr=order, card_refund=card_refund, settings=cfg
            )
        flag = " flagged for card refund" if done.card_refund else ""
        console.print(f"credit memo CM {done.ref_nbr} for {done.cust_id}: {done.amount} "
                      f"{done.currency}{flag}, AR batch {done.batnbr} (unreleased)")  # fmt: skip

    _register_release(app)


def _register_release(app: typer.Typer) -> None:
    @app.command()
    def release(
        db: DbOption = "sl.db",
        batch: Annotated[str | None, typer.Option("--batch", help="BatNbr to release.")] = None,
        module: Annotated[str | None, typer.Option("--module", help="AR or GL.")] = None,
        release_all_: Annotated[bool, typer.Option("--all", help="Every pending batch.")] = False,
    ) -> None:
        """Release (and post) batches as SL's release screens do."""
        from slpay.sandbox.sl.release import ReleaseRefused, release_all, release_batch

        if module is not None and module.upper() not in ("AR", "GL"):
            raise _fail("--module", "must be AR or GL")
        if (batch is None) == (not release_all_):
            raise _fail("--batch", "give --batch N or --all (not both)")
        with _company(db) as (engine, _cfg):
            if batch is not None:
                try:
                    results, refused = [release_batch(engine, module or "AR", batch)], []
                except ReleaseRefused as exc:
                    results, refused = [], [exc]
            else:
                report = release_all(engine, module=module)
                results, refused = report.released, report.refused
        table = Table("module", "batch", "status", "documents", "applications", "GL lines")
        for r in results:
            table.add_row(r.module, r.batnbr, r.status, str(r.documents), str(r.adjustments),
                          str(r.gl_lines))  # fmt: skip
        if results:
            console.print(table)
        elif not refused:
            console.print("nothing to release")
        for refusal in refused:
            typer.echo(f"refused: {refusal}", err=True)
        if refused:
            raise typer.Exit(1)

    @app.command("trial-balance")
    def trial_balance_cmd(db: DbOption = "sl.db") -> None:
        """Print the trial balance of released GL lines (per account, sub and currency)."""
        from slpay.sandbox.sl.ledger import trial_balance

        with _company(db) as (engine, _cfg):
            tb = trial_balance(engine)
        table = Table("account", "sub", "currency", "debit - credit")
        for key, amount in tb.items():
            table.add_row(key.acct, key.sub, key.currency, f"{amount:f}")
        console.print(table)
