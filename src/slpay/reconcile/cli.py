"""``slpay reconcile --date YYYY-MM-DD [--json] [--config]``, registered from :mod:`slpay.cli`.

Prints the day's summary (``--json``: exactly ``matched``, ``discrepancies`` per kind,
``gl_batches`` {currency: BatNbr}); the HTML and CSV reports go to ``reconcile.report_dir``.
Exit status: 0 reconciled with no discrepancy, 1 discrepancies found, 2 configuration error,
3 the day's report is not available yet (try again later). Operators list and resolve the
discrepancy tasks with ``slpay tasks`` and ``slpay tasks resolve ID --note`` (the hub's).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from slpay.errors import ConfigError

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file.")]


def reconcile(
    day: Annotated[str, typer.Option("--date", help="Settlement (batch) date, YYYY-MM-DD.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON summary.")] = False,
    config: ConfigOption = None,
) -> None:
    """Reconcile one Cybersource settlement day into the SL general ledger."""
    from slpay.config import load_settings
    from slpay.connectors.cybersource.client import CybersourceClient
    from slpay.connectors.dynamics_sl.writer import SLWriter
    from slpay.reconcile.service import Reconciler
    from slpay.store import make_engine, migrate

    try:
        when = date.fromisoformat(day)
        settings = load_settings(config)
    except (ValueError, ConfigError) as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    from slpay.logs import configure_logging

    # Logs go to stderr (and the configured file) so that --json stdout stays one object.
    configure_logging(settings.log.level, json=settings.log.json_format, file=settings.log.file)
    hub = make_engine(settings.hub.db_url)
    migrate(hub)
    writer = SLWriter(settings.sl.db_url, settings.sl)
    try:
        with CybersourceClient(settings.cybersource) as cs, _progress(json_out) as bar:
            task = bar.add_task("reconciling", total=None)

            def show(stage: str, n: int) -> None:
                if n >= settings.reconcile.progress_min_rows:
                    bar.update(task, description=f"{stage}: {n:,} rows")

            result = Reconciler(settings, cs, writer, hub, progress=show).reconcile_day(when)
    finally:  # close the pools' connections (a server database would see them dangle)
        writer.engine.dispose()
        hub.dispose()
    summary = result.summary()
    if json_out:
        typer.echo(json.dumps(summary))
    else:
        _print(result.status, summary, [str(p) for p in result.files])
    if result.status == "not-available":
        typer.echo(f"{when}: the report is not available yet; try again later", err=True)
        raise typer.Exit(3)
    raise typer.Exit(1 if summary["discrepancies"] else 0)


def _progress(quiet: bool) -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), transient=True, disable=quiet,
        console=Console(stderr=True),
    )  # fmt: skip


def _print(status: str, summary: dict[str, object], files: list[str]) -> None:
    console = Console()
    console.print(f"status: {status}")
    console.print(f"matched: {summary['matched']}")
    console.print(f"discrepancies: {json.dumps(summary['discrepancies'])}")
    console.print(f"GL batches: {json.dumps(summary['gl_batches'])}")
    for f in files:
        console.print(f"report: {f}")


def register(app: typer.Typer) -> None:
    """Add ``slpay reconcile`` to the app."""
    app.command("reconcile")(reconcile)
