"""Alembic migrations of the hub's store; run by :func:`slpay.store.migrate.migrate`."""
