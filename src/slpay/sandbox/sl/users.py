"""What SL's users do that slpay reacts to (`slpay sandbox sl ship|invoice|cancel|credit-memo`).

* :func:`ship` confirms a shipper for an order (all that is left, or given quantities);
* :func:`invoice` is OM's sales journal: an IN (Dr AR / Cr Sales once released) for what was
  shipped and not yet invoiced, in its own unreleased AR batch;
* :func:`cancel` cancels an order (SOHeader.Cancelled = 1);
* :func:`credit_memo` enters a CM on Refunds, optionally flagged for a card refund.

Each act is one transaction; bad input raises ValidationError naming the field, nothing written.
"""

from __future__ import annotations

from slpay.sandbox.sl.billing import CreditMemo, Invoiced, credit_memo, invoice
from slpay.sandbox.sl.shipping import Cancelled, Shipped, cancel, ship

__all__ = [
    "Cancelled",
    "CreditMemo",
    "Invoiced",
    "Shipped",
    "cancel",
    "credit_memo",
    "invoice",
    "ship",
]
