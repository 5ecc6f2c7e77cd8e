"""Daily settlement reconciliation into the SL general ledger (docs/reconciliation.md).

``Reconciler(settings, source, writer, hub).reconcile_day(day)`` pulls the day's Payment Batch
Detail report (streamed), net funding and chargeback details, matches them against what slpay
posted to SL, posts one balanced 01.010 GL batch per currency, opens ``discrepancy`` tasks and
writes the day's HTML and CSV report. :mod:`.schedule` runs it daily; :mod:`.cli` is
``slpay reconcile``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slpay.reconcile.service import DayResult, Reconciler, SettlementSource

__all__ = ["DayResult", "Reconciler", "SettlementSource"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: `slpay --help` registers `slpay reconcile` without importing the
    # engine (SQLAlchemy, the connectors).
    if name in __all__:
        from slpay.reconcile import service

        return getattr(service, name)
    raise AttributeError(name)
