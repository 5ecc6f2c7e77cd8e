"""The ``slpay`` command line.

Each area owns its sub-commands in its own module; this file only assembles them:
``slpay check``, ``slpay demo``, ``slpay sandbox cybersource``, ``slpay sandbox sl …``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slpay.errors import ConfigError

app = typer.Typer(
    name="slpay",
    help="Cybersource ↔ Microsoft Dynamics SL integration hub.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sandbox_app = typer.Typer(
    help="Embedded stand-ins for Cybersource and a Dynamics SL company.", no_args_is_help=True
)
app.add_typer(sandbox_app, name="sandbox")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML settings file (default: $SLPAY_CONFIG)."),
]


@app.command()
def check(config: ConfigOption = None) -> None:
    """Validate a configuration; name the bad field and why."""
    from slpay.config import load_settings

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    from slpay.checks import run_checks

    problems = run_checks(settings)
    for p in problems:
        typer.echo(f"configuration error: {p}", err=True)
    if problems:
        raise typer.Exit(2)
    typer.echo("configuration OK")


@app.command()
def demo(
    once: Annotated[bool, typer.Option("--once", help="Run the scenario and exit.")] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary object.")
    ] = False,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Keep databases and logs here.")
    ] = None,
) -> None:
    """Start the embedded sandboxes and run a payment scenario through slpay."""
    from slpay.demo import run_demo

    raise typer.Exit(run_demo(once=once, json_out=json_out, workdir=workdir))


def _register_sandboxes() -> None:
    from slpay.sandbox.cybersource.cli import register as register_cybersource
    from slpay.sandbox.sl.cli import register as register_sl

    register_cybersource(sandbox_app)
    register_sl(sandbox_app)


_register_sandboxes()


def _register_hub() -> None:
    from slpay.chargebacks_cli import register as register_chargebacks
    from slpay.hub_cli import register as register_hub

    register_hub(app)
    register_chargebacks(app)


_register_hub()


def _register_reconcile() -> None:
    from slpay.reconcile.cli import register as register_reconcile

    register_reconcile(app)


_register_reconcile()


def main() -> None:
    app()
