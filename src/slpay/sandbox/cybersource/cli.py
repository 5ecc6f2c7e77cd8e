"""``slpay sandbox cybersource``: run the embedded Cybersource sandbox as an HTTP server."""

from __future__ import annotations

from typing import Annotated

import typer

from slpay.config import SANDBOX_KEY_ID, SANDBOX_MERCHANT_ID, SANDBOX_SHARED_SECRET

from .config import DEFAULT_HOST, DEFAULT_PORT


def register(parent: typer.Typer) -> None:
    """Add the ``cybersource`` command to ``slpay sandbox``."""

    @parent.command("cybersource")
    def cybersource(
        host: Annotated[
            str, typer.Option(help="Address to listen on (loopback: controls are unauthenticated).")
        ] = DEFAULT_HOST,
        port: Annotated[
            int, typer.Option(help="Port (slpay's default base_url uses 8631).")
        ] = DEFAULT_PORT,
        merchant_id: Annotated[
            str, typer.Option(help="Merchant id (v-c-merchant-id).")
        ] = SANDBOX_MERCHANT_ID,
        key_id: Annotated[str, typer.Option(help="HTTP Signature key id.")] = SANDBOX_KEY_ID,
        shared_secret: Annotated[
            str, typer.Option(help="HTTP Signature shared secret (base64).")
        ] = SANDBOX_SHARED_SECRET,
        db: Annotated[
            str, typer.Option(help="SQLAlchemy URL or SQLite file path (':memory:' keeps nothing).")
        ] = "cybersource.db",
        webhook_url: Annotated[
            str | None, typer.Option(help="Also deliver every webhook event to this URL.")
        ] = None,
        webhook_retry_unit: Annotated[
            float, typer.Option(help="Seconds per retry-policy minute (60 = real time).")
        ] = 60.0,
    ) -> None:
        """Run the Cybersource sandbox (same paths and JSON shapes as Cybersource's REST API)."""
        from slpay.errors import ConfigError

        from .config import SandboxConfig, db_url_from_option
        from .server import serve

        try:
            config = SandboxConfig(
                merchant_id=merchant_id,
                key_id=key_id,
                shared_secret=shared_secret,
                db_url=db_url_from_option(db),
                webhook_url=webhook_url,
                webhook_retry_unit_s=webhook_retry_unit,
            )
        except ConfigError as exc:
            typer.echo(f"configuration error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"Cybersource sandbox on http://{host}:{port}  (database {config.db_url})")
        typer.echo("Accepting HTTP Signature credentials:")
        typer.echo(f"  merchant id    {merchant_id}")
        typer.echo(f"  key id         {key_id}")
        typer.echo(f"  shared secret  {shared_secret}")
        typer.echo(f"Webhook signing key: keyId {config.webhook_key_id} key {config.webhook_key}")
        if webhook_url:
            typer.echo(f"Delivering every webhook event to {webhook_url}")
        typer.echo(
            "Controls: POST /sandbox/close-day, /sandbox/force, ... (docs/cybersource-sandbox.md)"
        )
        serve(config, host, port)
