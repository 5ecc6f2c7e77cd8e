"""SL numbering: batch numbers, memo and order numbers, slpay's payment references.

FACTS §3.6: SL increments the last number kept in its setup row (ARSetup, GLSetup, SOType),
zero-pads it to the current width with a minimum of 6, wraps to ``000001`` on overflow and skips
numbers already used. SL's own readers do not lock; slpay reads the setup row locked (see
``db.locked``) for the whole document transaction, then re-checks uniqueness against the
documents themselves before using a number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Table, select, true

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.connectors.dynamics_sl.db import SYSTEM, lock_rows
from slpay.connectors.dynamics_sl.xref import lock_counter, set_counter
from slpay.errors import PermanentError

MIN_WIDTH = 6


def increment(last: str, *, min_width: int = MIN_WIDTH, max_width: int = 10) -> str:
    """The number after ``last``: trailing digits + 1, zero-padded, wrapping on overflow.

    A non-numeric prefix is kept (``AB0099`` → ``AB0100``); blank starts at ``000001``.
    """
    last = read_char(last)
    digits = len(last) - len(last.rstrip("0123456789"))
    prefix, number = last[: len(last) - digits], last[len(last) - digits :]
    width = min(max(len(number), min_width - len(prefix), 1), max_width - len(prefix))
    if width <= 0:
        raise ValueError(f"no room for a number after {prefix!r}")
    value = int(number or "0") + 1
    if len(str(value)) > width:
        value = 1  # wrap, as SL's Create_New_Batch does
    return f"{prefix}{value:0{width}d}"


def allocate(
    last: str,
    count: int,
    used: Callable[[list[str]], set[str]],
    *,
    min_width: int = MIN_WIDTH,
    max_width: int = 10,
) -> tuple[list[str], str]:
    """``count`` unused numbers after ``last`` and the new last number.

    ``used`` tells which candidates already exist (the collision check).
    """
    out: list[str] = []
    current = last
    attempts = 0
    while len(out) < count:
        candidates = []
        for _ in range(count - len(out)):
            current = increment(current, min_width=min_width, max_width=max_width)
            candidates.append(current)
        taken = used(candidates)
        out.extend(c for c in candidates if c not in taken)
        attempts += len(candidates)
        if attempts > count + 100_000:
            raise PermanentError(
                "no free number left", system=SYSTEM, operation="numbering", reason=last
            )
    return out, current


def _existing(conn: Connection, column: Any, *where: Any) -> Callable[[list[str]], set[str]]:
    def used(candidates: list[str]) -> set[str]:
        rows = conn.execute(select(column).where(column.in_(candidates), *where)).scalars()
        return {read_char(v) for v in rows}

    return used


def lock_ar_setup(conn: Connection) -> dict[str, Any]:
    """ARSetup's row, locked until the end of the transaction."""
    rows = lock_rows(conn, sl.ARSetup, sl.ARSetup.c.SetupId == "AR")
    if not rows:
        raise PermanentError("ARSetup row 'AR' is missing", system=SYSTEM, operation="numbering")
    return dict(rows[0]._mapping)


def lock_gl_setup(conn: Connection) -> dict[str, Any]:
    """GLSetup's row (SL has one; its SetupId is not confirmed, FACTS §10.7), locked."""
    rows = lock_rows(conn, sl.GLSetup)
    if not rows:
        raise PermanentError("GLSetup has no row", system=SYSTEM, operation="numbering")
    return dict(rows[0]._mapping)


def batch_numbers(conn: Connection, setup: Table, last: str, module: str, count: int) -> list[str]:
    """``count`` new batch numbers for ``module``, stored back into ``setup.LastBatNbr``."""
    used = _existing(conn, sl.Batch.c.BatNbr, sl.Batch.c.Module == module)
    numbers, new_last = allocate(last, count, used)
    where = sl.ARSetup.c.SetupId == "AR" if setup is sl.ARSetup else true()
    conn.execute(setup.update().where(where).values(LastBatNbr=new_last))
    return numbers


def memo_numbers(
    conn: Connection, ar_setup: dict[str, Any], doc_type: str, count: int
) -> list[str]:
    """New CM/DM reference numbers from ARSetup.LastCrMemoNbr / LastDrMemoNbr."""
    column = {"CM": "LastCrMemoNbr", "DM": "LastDrMemoNbr"}[doc_type]
    used = _existing(conn, sl.ARDoc.c.RefNbr, sl.ARDoc.c.DocType == doc_type)
    numbers, new_last = allocate(ar_setup[column], count, used)
    conn.execute(sl.ARSetup.update().where(sl.ARSetup.c.SetupId == "AR").values({column: new_last}))
    ar_setup[column] = new_last
    return numbers


def payment_refs(conn: Connection, prefix: str, doc_types: Iterable[str], count: int) -> list[str]:
    """Payment reference numbers: ``prefix`` + slpay's counter, unique among PA/PP RefNbrs."""
    width = 10 - len(prefix)
    last = lock_counter(conn, "PaymentRef")
    used = _existing(conn, sl.ARDoc.c.RefNbr, sl.ARDoc.c.DocType.in_(list(doc_types)))

    def used_full(candidates: list[str]) -> set[str]:
        taken = used([prefix + c for c in candidates])
        return {c for c in candidates if prefix + c in taken}

    numbers, new_last = allocate(last, count, used_full, min_width=width, max_width=width)
    set_counter(conn, "PaymentRef", new_last)
    return [prefix + n for n in numbers]


def lock_so_type(conn: Connection, cpny_id: str, so_type_id: str) -> dict[str, Any]:
    """SOType's row, locked until the end of the transaction (a batch locks it first, to keep
    the SOType → customer counter lock order of single orders)."""
    rows = lock_rows(
        conn, sl.SOType, sl.SOType.c.CpnyID == cpny_id, sl.SOType.c.SOTypeID == so_type_id
    )
    if not rows:
        raise PermanentError(
            f"SOType {so_type_id!r} of company {cpny_id!r} is missing",
            system=SYSTEM,
            operation="numbering",
        )
    return dict(rows[0]._mapping)


def order_numbers(conn: Connection, cpny_id: str, so_type_id: str, count: int) -> list[str]:
    """``count`` new OrdNbrs from SOType.LastOrdNbr (+ OrdNbrPrefix), SOType row locked: a
    micro-batch takes its whole block under one lock, with one collision query."""
    row = lock_so_type(conn, cpny_id, so_type_id)
    prefix = read_char(row["OrdNbrPrefix"])
    used_raw = _existing(conn, sl.SOHeader.c.OrdNbr, sl.SOHeader.c.CpnyID == cpny_id)

    def used(candidates: list[str]) -> set[str]:
        taken = used_raw([prefix + c for c in candidates])
        return {c for c in candidates if prefix + c in taken}

    width = min(10, 15 - len(prefix))
    numbers, new_last = allocate(row["LastOrdNbr"], count, used, max_width=width)
    conn.execute(
        sl.SOType.update()
        .where(sl.SOType.c.CpnyID == cpny_id, sl.SOType.c.SOTypeID == so_type_id)
        .values(LastOrdNbr=new_last)
    )
    return [prefix + n for n in numbers]
