"""``slpay chargebacks resolve ID --won|--lost``: an operator's decision on a chargeback.

The decision is queued in the hub's inbox as the chargeback's won/lost event (the same key the
chargeback report's outcome row would have); the running hub writes the money map's documents
(won: a PA on clearing applied to the chargeback DM; lost: a CM on Chargeback losses applied
to it) and closes the ``chargeback`` task.
"""

from __future__ import annotations

from typing import Annotated

import typer

from slpay.hub_cli import ConfigOption, DbOption, _settings


def resolve(
    chargeback_id: Annotated[str, typer.Argument(help="The chargeback's tracking number.")],
    won: Annotated[bool, typer.Option("--won/--lost", help="The outcome.")],
    note: Annotated[str, typer.Option("--note", help="Why, for the audit trail.")] = "",
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Record that a chargeback was won or lost."""
    # Imported here: the workflows pull in DBOS, which `slpay --help` should not pay for.
    from slpay.store import make_engine, migrate
    from slpay.workflows.chargebacks import queue_decision

    settings = _settings(config)
    engine = make_engine(db or settings.hub.db_url)
    try:
        migrate(engine)
        orgs = settings.api.webhook_organization_ids
        org = orgs[0] if orgs else settings.cybersource.merchant_id
        queued = queue_decision(engine, org, chargeback_id, won=won, note=note)
    finally:
        engine.dispose()
    if not queued:
        typer.echo(f"error: a decision on chargeback {chargeback_id} is already queued", err=True)
        raise typer.Exit(1)
    typer.echo(f"chargeback {chargeback_id}: {'won' if won else 'lost'} queued for the hub")


def register(app: typer.Typer) -> None:
    """Add ``slpay chargebacks`` to the ``slpay`` app."""
    chargebacks_app = typer.Typer(help="Chargebacks: operators' decisions.")
    chargebacks_app.command("resolve")(resolve)
    app.add_typer(chargebacks_app, name="chargebacks")
