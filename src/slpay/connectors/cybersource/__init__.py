"""slpay's Cybersource connector: REST client, wire models, webhooks, reports.

Layout (one role per module)::

    auth.py               HTTP Signature (FACTS §2.1) as functions and an httpx.Auth
    models/               pydantic wire models per API family; unknown fields/statuses kept
    requests.py           build_*_request(): domain values (Money, tokens) → request models
    setup_requests.py     … the same for TMS tokens and webhook subscriptions
    operations/           each operation as a Call: method, signed path, exact body bytes
    exchange.py           signing a Call into an httpx.Request, reading the answer (no I/O)
    classify.py           THE place an HTTP status/body/exception becomes an slpay error
    resolver.py           ambiguous money-moving outcome → search, else timeout reversal/void
    client.py             CybersourceClient (sync)   ┐ same methods (setup_methods.py mixins),
    async_client.py       AsyncCybersourceClient     ┘ same Calls, same retry loop
    webhook_signature.py  v-c-signature sign/verify on raw bytes (FACTS §8.4)
    jwe.py                message-level encryption: RSA-OAEP-256 + A256GCM (joserfc)
    webhooks.py           open_notification(): verify → parse → decrypt; dedupe key
    reports.py            Payment Batch Detail CSV parser

Typical use::

    from slpay.connectors.cybersource import CybersourceClient, build_authorize_request
    from slpay.domain.money import Money

    with CybersourceClient(settings.cybersource) as cs:
        auth = cs.authorize(build_authorize_request(
            Money.of("25.00", "USD"), code="SO-1001", transient_token=jwt, capture=True))
        if auth.is_declined:            # 201 declines are returned: the hub records them
            ...                         # auth.raise_for_decline() raises Declined instead

Choices worth knowing:

- **Declines are returned, not raised.** A 201 ``DECLINED``, ``AUTHORIZED_RISK_DECLINED``,
  ``INVALID_REQUEST`` or ``FAILED`` is a business outcome with a real transaction id; methods
  return the response (``.is_declined``, ``.decline_reason``) and ``.raise_for_decline()``
  turns it into :class:`~slpay.errors.Declined` where a flow should stop.
- **Failures** are classified once (:mod:`.classify`), carrying ``system="cybersource"``, the
  operation, the HTTP status and the remote request id: transient (429/503/5xx/network,
  ``Retry-After`` honoured), ambiguous (timeout/5xx after a money-moving POST), permanent
  (400 with ``reason`` and ``details``, 401/403, 404).
- **No blind resends.** Every money-moving request carries a unique
  ``clientReferenceInformation.transactionId`` kept across retries; an ambiguous outcome is
  settled by :mod:`.resolver` (found by search → that result; not found → timeout
  reversal/void with the same transactionId and :class:`.resolver.OutcomeCancelled`).
- **Performance.** Requests are serialized once (compact JSON bytes, digested and sent as
  is), signed per attempt, and sent straight through httpx's pooled keep-alive transport.
- **No card numbers** in payment requests: TMS tokens or a Microform transient token. The only
  PAN-bearing model is the TMS instrument-identifier create, whose number is a ``SecretStr``.
"""

from slpay.connectors.cybersource.async_client import AsyncCybersourceClient
from slpay.connectors.cybersource.client import CybersourceClient
from slpay.connectors.cybersource.requests import (
    build_authorize_request,
    build_capture_request,
    build_customer_request,
    build_decision_action_request,
    build_instrument_identifier_request,
    build_payment_instrument_request,
    build_refund_request,
    build_reversal_request,
    build_search_request,
    build_timeout_reversal_request,
    build_timeout_void_request,
    build_void_request,
    build_webhook_key_request,
    build_webhook_request,
    new_transaction_id,
)
from slpay.connectors.cybersource.resolver import OutcomeCancelled, UnresolvedOutcome
from slpay.connectors.cybersource.webhooks import (
    Notification,
    WebhookOpener,
    WebhookPayloadError,
    open_notification,
)

__all__ = [
    "AsyncCybersourceClient",
    "CybersourceClient",
    "Notification",
    "OutcomeCancelled",
    "UnresolvedOutcome",
    "WebhookOpener",
    "WebhookPayloadError",
    "build_authorize_request",
    "build_capture_request",
    "build_customer_request",
    "build_decision_action_request",
    "build_instrument_identifier_request",
    "build_payment_instrument_request",
    "build_refund_request",
    "build_reversal_request",
    "build_search_request",
    "build_timeout_reversal_request",
    "build_timeout_void_request",
    "build_void_request",
    "build_webhook_key_request",
    "build_webhook_request",
    "new_transaction_id",
    "open_notification",
]
