"""Business keys the reconciliation reads and writes, defined once.

SL documents are keyed ``<Cybersource transaction id>:<operation>`` exactly like the hub's
:attr:`slpay.domain.orders.PaymentEvent.key` (DESIGN.md, "Keys"): a capture (PP/PA on the
clearing account) ``<id>:capture``, a card refund DM ``<refund id>:refund``, a chargeback DM
``<disputed id>:chargeback``, a won chargeback's PA ``<disputed id>:chargeback-won``.
A settlement GL batch is keyed (organization, settlement date, currency); a discrepancy task
``recon:<day>:<kind>:<what>`` (the day and the transaction or currency concerned).
"""

from __future__ import annotations

from datetime import date

#: Operations whose SL documents move the clearing account, with the sign they clear by.
CLEARING_SIGN = {"capture": 1, "refund": -1, "chargeback": -1, "chargeback-won": 1}
TASK_PREFIX = "recon"


def sl_key(transaction_id: str, operation: str) -> str:
    """The SL writer's business key of a transaction's document."""
    return f"{transaction_id}:{operation}"


def split_sl_key(key: str) -> tuple[str, str]:
    """``"123:capture"`` → ``("123", "capture")``."""
    txn, _, operation = key.rpartition(":")
    return txn, operation


def settlement_key(organization_id: str, day: date, currency: str) -> str:
    """The GL batch's key: one per organization, settlement date and currency."""
    return f"settle:{organization_id}:{day.isoformat()}:{currency}"


def task_key(day: date, kind: str, what: str) -> str:
    """A discrepancy task's key: the day, the kind, and the transaction (or currency)."""
    return f"{TASK_PREFIX}:{day.isoformat()}:{kind}:{what}"


def task_day_prefix(day: date) -> str:
    return f"{TASK_PREFIX}:{day.isoformat()}:"
