"""Chargeback details (FACTS §9) as the day's disputes that move the clearing account.

``Chargeback`` (sign ``-``) takes money back: a chargeback, matched to the SL DM keyed
``<id>:chargeback``. ``Representment Won`` (``+``) returns it: matched to the PA keyed
``<id>:chargeback-won``. A ``Final Chargeback`` (lost) moves no money again.
"""

from __future__ import annotations

from slpay.connectors.cybersource.models.reporting import ChargebackDetails
from slpay.domain.reconciliation import decimal_to_minor
from slpay.reconcile.matching import Dispute

_ACTIONS = {"chargeback": "chargeback", "representment won": "chargeback-won"}


def disputes_of(details: ChargebackDetails | None) -> list[Dispute]:
    out: list[Dispute] = []
    for d in (details.chargeback_details or []) if details else []:
        op = _ACTIONS.get((d.action or "").strip().lower())
        if op is None or not d.request_id or d.amount is None or not d.currency_code:
            continue
        cur = d.currency_code.upper()
        minor = abs(decimal_to_minor(d.amount, cur))
        evidence = d.model_dump(by_alias=True, exclude_none=True, mode="json")
        out.append(
            Dispute(d.request_id, op, cur, minor if op == "chargeback-won" else -minor, evidence)
        )
    return out
