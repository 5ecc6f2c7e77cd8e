"""Engines for the SL sandbox company, optionally inside a PostgreSQL schema of its own.

A bare path means a SQLite file (``sl.db``), as everywhere in slpay. On PostgreSQL the
sandbox can live in a named schema (``schema=``): the schema is created if missing and every
connection gets ``search_path`` set to it, so several sandbox companies (or several engineers'
test sessions) share one database without seeing each other's tables. SQLite ignores
``schema``.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, create_engine, text

from slpay.connectors.dynamics_sl.db import create_sl_engine, normalize_url

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _check_schema(schema: str) -> str:
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"not a plain lower-case schema name: {schema!r}")
    return schema


def open_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine on the sandbox database ``url`` (a bare path = a SQLite file)."""
    url = normalize_url(url)
    if schema is None or not url.startswith("postgresql"):
        return create_sl_engine(url)
    schema = _check_schema(schema)
    # Create the schema on a throw-away engine: the dialect caches the default schema name on
    # its first connection, which must already see the schema on its search_path.
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        admin.dispose()
    return create_sl_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def drop_schema(url: str, schema: str) -> None:
    """Drop a PostgreSQL schema made by :func:`open_engine` and everything in it."""
    schema = _check_schema(schema)
    admin = create_engine(normalize_url(url))
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()
