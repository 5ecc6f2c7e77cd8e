"""Counts of what the hub did, under DESIGN.md's ``slpay demo --json`` keys.

- ``orders``: sales orders written (xref operation ``authorize``);
- ``captured``: captures the hub processed (xref operation ``capture``);
- ``posted``: captures whose payment document (PP or PA) is in SL;
- ``parked``: open ``parked`` tasks;
- ``duplicates_skipped``: deliveries refused as duplicates by the inbox;
- ``swept``: inbox events the sweep found (no webhook had announced them).
"""

from __future__ import annotations

from sqlalchemy import func, select

from slpay.store.inbox import duplicates_count
from slpay.store.schema import inbox, tasks, xref
from slpay.workflows.context import Deps


def summary(d: Deps) -> dict[str, int]:
    x = xref.c
    with d.hub.connect() as conn:

        def count(*where: object) -> int:
            stmt = select(func.count()).select_from(xref).where(*where)  # type: ignore[arg-type]
            return int(conn.execute(stmt).scalar_one())

        parked = conn.execute(
            select(func.count())
            .select_from(tasks)
            .where(tasks.c.kind == "parked", tasks.c.resolved_at.is_(None))
        ).scalar_one()
        swept = conn.execute(
            select(func.count()).select_from(inbox).where(inbox.c.source == "sweep")
        ).scalar_one()
        return {
            "orders": count(x.operation == "authorize"),
            "captured": count(x.operation == "capture"),
            "posted": count(x.operation == "capture", x.sl_doc_type.in_(["PP", "PA"])),
            "parked": int(parked),
            "duplicates_skipped": duplicates_count(conn),
            "swept": int(swept),
        }
