"""The release simulator: what SL's AR release, GL release and GL posting do to a batch.

``release_batch(engine, "AR", "000012")`` plays SL's user on 08.400 (or 01.400 + 01.520 for a
GL batch): it checks the batch as SL would, refusing with :class:`ReleaseRefused` (SL's message
number where FACTS.md has one), then releases it and - with ``post=True``, the default - posts
its GL lines. ``release_all`` releases every pending batch, documents before applications.

The sandbox stands for the user who opens a batch and releases it, so batches on hold (``H``)
are released too, and so are batches an earlier refusal left suspended (``S``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char, sl_now
from slpay.connectors.dynamics_sl.db import lock_rows, write_transaction
from slpay.connectors.dynamics_sl.rows import Audit, update_values
from slpay.sandbox.sl.ar_release import plan_ar_release, write_ar_release
from slpay.sandbox.sl.books import ReleaseRefused, load_books
from slpay.sandbox.sl.gl_release import check_posting, gl_batch_lines, mark_gl_lines

__all__ = ["ReleaseRefused", "ReleaseReport", "ReleaseResult", "release_all", "release_batch"]

#: The SL user the sandbox releases as.
RELEASE_USER = "SYSADMIN"
_PROGRAMS = {"AR": "08400", "GL": "01400"}
_RELEASABLE = frozenset({"H", "B", "S"})


@dataclass(frozen=True)
class ReleaseResult:
    """A released batch: its new Status (``P`` posted, ``U`` released, ``C`` no GL lines)."""

    module: str
    batnbr: str
    status: str
    documents: int = 0
    adjustments: int = 0
    gl_lines: int = 0


@dataclass
class ReleaseReport:
    """What ``release_all`` did."""

    released: list[ReleaseResult] = field(default_factory=list)
    refused: list[ReleaseRefused] = field(default_factory=list)


def release_batch(
    engine: Engine, module: str, batnbr: str, *, post: bool = True, user: str = RELEASE_USER
) -> ReleaseResult:
    """Release (and post) one batch; ``ReleaseRefused`` if SL would refuse it.

    A refused batch is unchanged, except that a refused AR batch becomes ``S`` as in SL.
    ``batnbr`` may omit SL's leading zeros (``12`` finds ``000012``).
    """
    module = module.strip().upper()
    if module not in _PROGRAMS:
        raise ReleaseRefused(None, "only AR and GL batches are simulated", module=module,
                             batnbr=batnbr)  # fmt: skip
    audit = Audit(user=user, now=sl_now(), prog=_PROGRAMS[module])
    refusal: ReleaseRefused | None = None
    with write_transaction(engine) as conn:
        # SL releases one batch at a time: holding ARSetup's row (as the writer's numbering
        # does) keeps two releases from updating the same document balances at once.
        lock_rows(conn, sl.ARSetup, sl.ARSetup.c.SetupId == "AR")
        batch = _locked_batch(conn, module, batnbr)
        batnbr = read_char(batch["BatNbr"])
        try:
            result = _release(conn, audit, module, batch, post)
        except ReleaseRefused as exc:
            refusal = _located(exc, module, batnbr)
            if module == "AR" and exc.stage == "release":
                _set_status(conn, audit, module, batnbr, "S")
    if refusal is not None:
        raise refusal
    return result


def release_all(engine: Engine, *, post: bool = True, module: str | None = None) -> ReleaseReport:
    """Release every pending batch (Status H, B or S), AR documents first, then applications
    (08.030), then GL. A batch refused because it applies a document released later in the
    same run is retried once that document is released."""
    report = ReleaseReport()
    pending = _pending(engine, module)
    while pending:
        retry: list[tuple[tuple[str, str], ReleaseRefused]] = []
        for mod, batnbr in pending:
            try:
                report.released.append(release_batch(engine, mod, batnbr, post=post))
            except ReleaseRefused as exc:
                if exc.message_number == 12306:
                    retry.append(((mod, batnbr), exc))
                else:
                    report.refused.append(exc)
        if len(retry) == len(pending):
            report.refused.extend(exc for _, exc in retry)
            break
        pending = [key for key, _ in retry]
    return report


def _pending(engine: Engine, module: str | None) -> list[tuple[str, str]]:
    b = sl.Batch.c
    query = select(b.Module, b.BatNbr, b.EditScrnNbr).where(
        b.Rlsed == 0, b.Status.in_(sorted(_RELEASABLE)), b.Module.in_(sorted(_PROGRAMS))
    )
    if module:
        query = query.where(b.Module == module.upper())
    with engine.connect() as conn:
        rows = [(read_char(r[0]), read_char(r[1]), read_char(r[2])) for r in conn.execute(query)]

    def phase(row: tuple[str, str, str]) -> tuple[int, str]:
        mod, batnbr, screen = row
        return (2 if mod == "GL" else 1 if screen == "08030" else 0, batnbr)

    return [(mod, batnbr) for mod, batnbr, _ in sorted(rows, key=phase)]


def _locked_batch(conn: Connection, module: str, batnbr: str) -> dict[str, Any]:
    b = sl.Batch.c
    wanted = batnbr.strip()
    candidates = [wanted] + ([wanted.zfill(6)] if wanted.isdigit() and len(wanted) < 6 else [])
    for candidate in candidates:
        rows = lock_rows(conn, sl.Batch, b.Module == module, b.BatNbr == candidate)
        if rows:
            batch = dict(rows[0]._mapping)
            _check_status(batch, module, read_char(batch["BatNbr"]))
            return batch
    raise ReleaseRefused(None, "no such batch", module=module, batnbr=wanted)


def _check_status(batch: dict[str, Any], module: str, batnbr: str) -> None:
    status = read_char(batch["Status"])
    if batch["Rlsed"] == 1 or status in {"U", "P", "C"}:
        raise ReleaseRefused(12008, f"the batch is already released (Status {status})",
                             module=module, batnbr=batnbr)  # fmt: skip
    if status not in _RELEASABLE:
        raise ReleaseRefused(None, f"Status {status!r} cannot be released", module=module,
                             batnbr=batnbr)  # fmt: skip


def _release(
    conn: Connection, audit: Audit, module: str, batch: dict[str, Any], post: bool
) -> ReleaseResult:
    books = load_books(conn)
    batnbr = read_char(batch["BatNbr"])
    if module == "AR":
        plan = plan_ar_release(conn, books, batch)
        if post and plan.gl:
            check_posting(books, batch, plan.gl)
        status = write_ar_release(conn, audit, books, batch, plan, post)
        new_docs = sum(1 for d in plan.docs if d.new)
        return ReleaseResult(module, batnbr, status, new_docs, len(plan.apps), len(plan.gl))
    lines = gl_batch_lines(conn, books, batch)
    if post:
        check_posting(books, batch, lines)
    status = "P" if post else "U"
    mark_gl_lines(conn, audit, batch, status)
    _set_status(conn, audit, module, batnbr, status, Rlsed=1)
    return ReleaseResult(module, batnbr, status, gl_lines=len(lines))


def _set_status(
    conn: Connection, audit: Audit, module: str, batnbr: str, status: str, **extra: Any
) -> None:
    conn.execute(
        update(sl.Batch)
        .where(sl.Batch.c.Module == module, sl.Batch.c.BatNbr == batnbr)
        .values(update_values(sl.Batch, audit, {"Status": status, **extra}))
    )


def _located(exc: ReleaseRefused, module: str, batnbr: str) -> ReleaseRefused:
    return ReleaseRefused(
        exc.message_number, exc.text, module=module, batnbr=batnbr, stage=exc.stage
    )
