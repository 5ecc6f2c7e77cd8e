"""``slpay sandbox cybersource``: run the embedded Cybersource sandbox as an HTTP server."""

from __future__ import annotations

import typer


def register(parent: typer.Typer) -> None:
    """Add the ``cybersource`` command to ``slpay sandbox``."""

    @parent.command("cybersource")
    def cybersource() -> None:
        """Run the Cybersource sandbox (not built yet)."""
        raise typer.Exit(1)
