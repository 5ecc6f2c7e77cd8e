"""What a micro-batch reads once for all its events instead of once per event.

Planning an event looks up its customer in SL (the mapping's match rules) and the order the
eCommerce platform may have posted (``/api/orders``, in the hub's inbox). For a batch, the
e-mails and order numbers its transaction details carry are read in one query each; an
event whose look-up was not read ahead (another mapping field, a match by id) asks as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from slpay.connectors.dynamics_sl.models import Customer
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.orders import Order
from slpay.mapping.document import Lookups
from slpay.store.inbox import InboxEvent
from slpay.store.schema import inbox
from slpay.workflows.context import Deps


class BatchDirectory:
    """The mapping's customer directory for one micro-batch: e-mails read ahead in one query
    (found or not), anything else read through the writer and remembered for the batch."""

    def __init__(self, writer: SLWriter, emails: Iterable[str] = ()) -> None:
        self.writer = writer
        wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
        found = writer.find_customers_by_email(wanted) if wanted else {}
        self._emails: dict[str, Customer | None] = {e: found.get(e) for e in wanted}
        self._ids: dict[str, Customer | None] = {}

    def find_by_id(self, cust_id: str) -> Customer | None:
        if cust_id not in self._ids:
            self._ids[cust_id] = self.writer.find_customer(cust_id=cust_id)
        return self._ids[cust_id]

    def find_by_email(self, email: str) -> Customer | None:
        key = email.strip().lower()
        if key not in self._emails:
            self._emails[key] = self.writer.find_customer(email=email)
        return self._emails[key]


def _bill_to_email(details: Mapping[str, Any]) -> str:
    bill_to = (details.get("orderInformation") or {}).get("billTo") or {}
    return str(bill_to.get("email") or "")


def batch_lookups(d: Deps, details: Mapping[str, Mapping[str, Any]]) -> Lookups:
    """The process's look-ups with a :class:`BatchDirectory` warmed with the batch's e-mails."""
    emails = [_bill_to_email(data) for data in details.values()]
    return replace(d.lookups, customers=BatchDirectory(d.writer, emails))


def intake_orders(d: Deps, keys: Mapping[str, str]) -> dict[str, Order | None]:
    """Posted orders by order number (``keys``: order number → its inbox dedupe key), in one
    query; None where the platform posted none."""
    out: dict[str, Order | None] = dict.fromkeys(keys)
    by_key = {key: number for number, key in keys.items()}
    wanted = sorted(by_key)
    with d.hub.connect() as conn:
        for start in range(0, len(wanted), 500):
            rows = conn.execute(
                select(inbox).where(inbox.c.dedupe_key.in_(wanted[start : start + 500]))
            )
            for row in rows:
                event = InboxEvent.from_row(row)
                number = by_key[event.dedupe_key]
                try:
                    out[number] = d.mapping.order_from_intake(event.payload)
                except Exception:  # that event reads it again and fails alone, with the reason
                    out.pop(number)
    return out
