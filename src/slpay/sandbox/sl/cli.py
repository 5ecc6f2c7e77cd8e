"""``slpay sandbox sl …``: the SL sandbox company and the acts of SL's users."""

from __future__ import annotations

import typer


def register(parent: typer.Typer) -> None:
    """Add the ``sl`` command group to ``slpay sandbox``."""
    app = typer.Typer(help="Dynamics SL sandbox company.", no_args_is_help=True)
    parent.add_typer(app, name="sl")
