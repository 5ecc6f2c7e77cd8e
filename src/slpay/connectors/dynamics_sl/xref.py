"""slpay's own small tables inside the SL database: the idempotency record and counters.

``slpay_xref`` has one row per business key (DESIGN.md: "(Cybersource transaction id,
operation)" and friends), inserted in the same transaction as the SL document it created — so a
key never creates a second document, even if the process dies between commit and reply; a repeat
returns the first result. ``slpay_counter`` holds numbering SL itself does not have (payment
reference numbers, generated customer ids) and doubles as a mutex row for customer creation.

These tables are not SL's; on SQL Server a DBA creates them once (``ensure_slpay_tables``, or the
DDL in docs/sl-connector.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    insert,
    select,
)

from slpay.connectors.dynamics_sl.db import locked
from slpay.connectors.dynamics_sl.models import SLDocument
from slpay.errors import ValidationError

#: Longest business key accepted.
MAX_KEY = 120

slpay_metadata = MetaData()

slpay_xref = Table(
    "slpay_xref",
    slpay_metadata,
    Column("biz_key", String(MAX_KEY), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("cpny_id", String(10), nullable=False),
    Column("module", String(2), nullable=False),
    Column("bat_nbr", String(10), nullable=False),
    Column("doc_type", String(2), nullable=False),
    Column("ref_nbr", String(15), nullable=False),
    Column("cust_id", String(15), nullable=False),
    Column("ord_nbr", String(15), nullable=False),
    Column("cyber_id", String(40), nullable=False),
    Column("created_at", DateTime(timezone=False), nullable=False),
    Index("ix_slpay_xref_doc", "doc_type", "ref_nbr"),
    Index("ix_slpay_xref_cyber", "cyber_id"),
)

slpay_counter = Table(
    "slpay_counter",
    slpay_metadata,
    Column("name", String(30), primary_key=True),
    Column("last_value", String(15), nullable=False),
)


#: Counters slpay keeps; created with the tables so concurrent writers only ever lock them.
COUNTERS = ("PaymentRef", "CustId")


def ensure_slpay_tables(engine: Engine) -> None:
    """Create slpay's tables (and counter rows) in the SL database if they are missing."""
    slpay_metadata.create_all(engine, checkfirst=True)
    with engine.begin() as conn:
        have = set(conn.execute(select(slpay_counter.c.name)).scalars())
        missing = [{"name": n, "last_value": "0"} for n in COUNTERS if n not in have]
        if missing:
            conn.execute(insert(slpay_counter), missing)


def check_key(key: str) -> str:
    """A business key as stored, or a ValidationError naming ``key``."""
    if not key or not key.strip():
        raise ValidationError("a business key is required", field="key")
    if len(key) > MAX_KEY:
        raise ValidationError(f"{len(key)} characters, at most {MAX_KEY} allowed", field="key")
    return key


def _document(row: object) -> SLDocument:
    m = row._mapping  # type: ignore[attr-defined]
    return SLDocument(
        key=m["biz_key"],
        kind=m["kind"],
        cpny_id=m["cpny_id"],
        module=m["module"],
        bat_nbr=m["bat_nbr"],
        doc_type=m["doc_type"],
        ref_nbr=m["ref_nbr"],
        cust_id=m["cust_id"],
        ord_nbr=m["ord_nbr"],
        cyber_id=m["cyber_id"],
        created=False,
    )


def find(conn: Connection, keys: Iterable[str]) -> dict[str, SLDocument]:
    """The documents already written for these keys."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, SLDocument] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = conn.execute(select(slpay_xref).where(slpay_xref.c.biz_key.in_(chunk)))
        for row in rows:
            doc = _document(row)
            found[doc.key] = doc
    return found


def find_by_document(conn: Connection, doc_type: str, ref_nbr: str) -> list[SLDocument]:
    """Every key recorded for an SL document (e.g. to trace a reference number)."""
    rows = conn.execute(
        select(slpay_xref).where(slpay_xref.c.doc_type == doc_type, slpay_xref.c.ref_nbr == ref_nbr)
    )
    return [_document(r) for r in rows]


def record(conn: Connection, docs: Sequence[SLDocument]) -> None:
    """Record new documents under their keys (same transaction as the documents)."""
    if not docs:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute(
        insert(slpay_xref),
        [
            {
                "biz_key": d.key,
                "kind": d.kind,
                "cpny_id": d.cpny_id,
                "module": d.module,
                "bat_nbr": d.bat_nbr,
                "doc_type": d.doc_type,
                "ref_nbr": d.ref_nbr,
                "cust_id": d.cust_id,
                "ord_nbr": d.ord_nbr,
                "cyber_id": d.cyber_id,
                "created_at": now,
            }
            for d in docs
        ],
    )


def lock_counter(conn: Connection, name: str) -> str:
    """Lock a counter row (creating it at "0") and return its last value."""
    stmt = locked(
        select(slpay_counter.c.last_value).where(slpay_counter.c.name == name), slpay_counter
    )
    value = conn.execute(stmt).scalar()
    if value is None:
        conn.execute(insert(slpay_counter).values(name=name, last_value="0"))
        value = conn.execute(stmt).scalar()
    return str(value)


def set_counter(conn: Connection, name: str, value: str) -> None:
    """Store a counter's new last value (the row is locked by :func:`lock_counter`)."""
    conn.execute(
        slpay_counter.update().where(slpay_counter.c.name == name).values(last_value=value)
    )
