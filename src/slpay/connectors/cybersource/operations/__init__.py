"""Every Cybersource operation as a plain value: method, path, exact body bytes, parser.

A :class:`Call` is what the sync and the async client both execute, so the two share all
request shaping, and contract tests can read ``call.body`` (the exact bytes that would be
sent and digested) without a server::

    call = operations.authorize(build_authorize_request(Money.of("10.00", "USD"), ...))
    call.method, call.path, call.body   # "POST", "/pts/v2/payments", b'{"clientRef…'

``money_moving`` calls are classified as :class:`~slpay.errors.AmbiguousOutcome` on a timeout
or 5xx and are then *resolved* (see :mod:`~slpay.connectors.cybersource.resolver`), never
re-sent blindly; ``resolution`` says how.
"""

from __future__ import annotations

from slpay.connectors.cybersource.operations.calls import (
    CSV_ACCEPT,
    JSON_ACCEPT,
    Call,
    Resolution,
    iso_utc,
    with_query,
)
from slpay.connectors.cybersource.operations.notifications import (
    create_webhook,
    create_webhook_key,
    delete_webhook,
    get_webhook,
    list_webhooks,
)
from slpay.connectors.cybersource.operations.payments import (
    VoidTarget,
    authorize,
    capture,
    decision_action,
    get_transaction,
    get_transaction_document,
    refund_capture,
    refund_payment,
    reverse,
    search,
    timeout_reversal,
    timeout_void,
    void,
)
from slpay.connectors.cybersource.operations.reporting import (
    chargeback_details,
    download_report,
    net_fundings,
    payment_batch_summaries,
)
from slpay.connectors.cybersource.operations.tms import (
    create_customer,
    create_customer_payment_instrument,
    create_instrument_identifier,
    create_payment_instrument,
    delete_customer,
    delete_customer_payment_instrument,
    delete_instrument_identifier,
    delete_payment_instrument,
    get_customer,
    get_customer_payment_instrument,
    get_instrument_identifier,
    get_payment_instrument,
    list_customer_payment_instruments,
)

__all__ = [
    "CSV_ACCEPT",
    "JSON_ACCEPT",
    "Call",
    "Resolution",
    "VoidTarget",
    "authorize",
    "capture",
    "chargeback_details",
    "create_customer",
    "create_customer_payment_instrument",
    "create_instrument_identifier",
    "create_payment_instrument",
    "create_webhook",
    "create_webhook_key",
    "decision_action",
    "delete_customer",
    "delete_customer_payment_instrument",
    "delete_instrument_identifier",
    "delete_payment_instrument",
    "delete_webhook",
    "download_report",
    "get_customer",
    "get_customer_payment_instrument",
    "get_instrument_identifier",
    "get_payment_instrument",
    "get_transaction",
    "get_transaction_document",
    "get_webhook",
    "iso_utc",
    "list_customer_payment_instruments",
    "list_webhooks",
    "net_fundings",
    "payment_batch_summaries",
    "refund_capture",
    "refund_payment",
    "reverse",
    "search",
    "timeout_reversal",
    "timeout_void",
    "void",
    "with_query",
]
