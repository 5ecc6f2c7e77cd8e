"""Alembic environment: always run from :func:`slpay.store.migrate.migrate` with a connection.

There is no alembic.ini: the connection arrives in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from slpay.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running alembic by hand
    raise RuntimeError("run migrations through slpay.store.migrate.migrate(engine)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
