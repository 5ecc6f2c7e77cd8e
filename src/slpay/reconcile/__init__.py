"""Daily settlement reconciliation into the SL general ledger (docs/reconciliation.md).

``Reconciler(settings, source, writer, hub).reconcile_day(day)`` pulls the day's Payment Batch
Detail report (streamed), net funding and chargeback details, matches them against what slpay
posted to SL, posts one balanced 01.010 GL batch per currency, opens ``discrepancy`` tasks and
writes the day's HTML and CSV report. :mod:`.schedule` runs it daily; :mod:`.cli` is
``slpay reconcile``.
"""

from slpay.reconcile.service import DayResult, Reconciler, SettlementSource

__all__ = ["DayResult", "Reconciler", "SettlementSource"]
