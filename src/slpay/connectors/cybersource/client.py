"""``CybersourceClient``: typed, signed, retried calls to Cybersource over one ``httpx.Client``.

::

    with CybersourceClient(settings.cybersource) as cs:
        auth = cs.authorize(build_authorize_request(Money.of("25.00", "USD"), code="SO-1001",
                                                    transient_token=jwt))
        if auth.is_declined: ...                       # a 201 decline is returned, not raised
        cs.capture(auth.id, Money.of("25.00", "USD"), code="SO-1001")

Reads and other calls that move no money are retried on transient failures (429, 503, 5xx,
network) with the one retry loop of :mod:`slpay.retry`, honouring ``Retry-After``.
Money-moving POSTs are retried only when nothing can have happened (429, 503, connection
refused); after a timeout or 5xx they are *resolved* by :mod:`.resolver` (search by
transactionId, else timeout reversal/void), never re-sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, TypeVar

import httpx

from slpay.config import CybersourceSettings
from slpay.connectors.cybersource import operations as ops
from slpay.connectors.cybersource.classify import classify_exception
from slpay.connectors.cybersource.exchange import ClientConfig, Exchange, log_retry
from slpay.connectors.cybersource.models import (
    CaptureRequest,
    CaptureResponse,
    DecisionActionResponse,
    PaymentRequest,
    PaymentResponse,
    RefundRequest,
    RefundResponse,
    ReversalRequest,
    ReversalResponse,
    SearchResponse,
    TransactionDetails,
    VoidRequest,
    VoidResponse,
)
from slpay.connectors.cybersource.requests import (
    build_decision_action_request,
    build_search_request,
    build_timeout_reversal_request,
    build_timeout_void_request,
)
from slpay.connectors.cybersource.resolver import Sleep, resolve
from slpay.connectors.cybersource.setup_methods import SetupMethods
from slpay.connectors.cybersource.shortcuts import (
    capture_request,
    refund_request,
    reversal_request,
    void_request,
)
from slpay.domain.money import Money
from slpay.errors import AmbiguousOutcome, ExternalError
from slpay.retry import RetryPolicy, retry_sync

T = TypeVar("T")


class CybersourceClient(SetupMethods):
    """Synchronous Cybersource client; thread-safe (the httpx connection pool is).

    ``transport`` replaces the HTTP transport: ``httpx.MockTransport`` in unit tests, any
    ``httpx.BaseTransport`` in-process. ``proxy`` is an explicit proxy URL; the environment is
    never consulted. ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        settings: CybersourceSettings | None = None,
        *,
        base_url: str | None = None,
        host: str | None = None,
        merchant_id: str | None = None,
        key_id: str | None = None,
        shared_secret_b64: str | None = None,
        transport: httpx.BaseTransport | None = None,
        proxy: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        resolve_search_attempts: int = 2,
        resolve_search_interval_s: float = 1.0,
    ) -> None:
        self.config = ClientConfig.build(
            settings,
            base_url=base_url,
            host=host,
            merchant_id=merchant_id,
            key_id=key_id,
            shared_secret_b64=shared_secret_b64,
            timeout=timeout,
            retry=retry,
            resolve_search_attempts=resolve_search_attempts,
            resolve_search_interval_s=resolve_search_interval_s,
        )
        self._exchange = Exchange(self.config, clock)
        self._sleep = sleep
        # The transport (connection pool, keep-alive) is used directly: ``httpx.Client.send``
        # adds 100-200 µs of client CPU per call (auth flow, cookie jar, hooks) that we never
        # use, and it would read proxy settings from the environment behind config.py's back.
        self._transport = transport or httpx.HTTPTransport(
            proxy=proxy or (settings.proxy if settings else None)
        )

    # --- plumbing --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (also closes an injected transport, like httpx does)."""
        self._transport.close()

    def __enter__(self) -> CybersourceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, call: ops.Call[T]) -> T:
        """Execute any operation: retried if safe, resolved if its outcome is unknown."""
        try:
            return self._with_retry(call)
        except AmbiguousOutcome as exc:
            if call.resolution is None:
                raise
            return self._resolve(call, exc)

    def _once(self, call: ops.Call[T]) -> T:
        request = self._exchange.request(call)
        try:
            response = self._transport.handle_request(request)
            try:
                content = response.read()
            finally:
                response.close()
        except httpx.HTTPError as exc:
            raise classify_exception(call.operation, exc, money_moving=call.money_moving) from exc
        return self._exchange.result(call, response.status_code, content, response.headers)

    def _with_retry(self, call: ops.Call[T]) -> T:
        return retry_sync(
            lambda: self._once(call), self.config.retry, sleep=self._sleep, on_retry=log_retry
        )

    def _resolve(self, call: ops.Call[T], error: AmbiguousOutcome) -> T:
        flow = resolve(
            call,
            error,
            search_attempts=self.config.resolve_search_attempts,
            search_interval_s=self.config.resolve_search_interval_s,
        )
        outcome: Any = None
        failure: ExternalError | None = None
        while True:
            try:
                step = flow.throw(failure) if failure is not None else flow.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            outcome, failure = None, None
            if isinstance(step, Sleep):
                self._sleep(step.seconds)
                continue
            try:
                outcome = self._with_retry(step)
            except ExternalError as exc:
                failure = exc

    # --- payments --------------------------------------------------------------------------

    def authorize(self, request: PaymentRequest) -> PaymentResponse:
        """Authorize (or sell, with ``capture=True``). Declines are returned: check ``status``."""
        return self.call(ops.authorize(request))

    def capture(
        self, payment_id: str, request: CaptureRequest | Money, *, code: str | None = None
    ) -> CaptureResponse:
        """Capture all or part of an authorization (``Money`` builds a plain capture)."""
        return self.call(ops.capture(payment_id, capture_request(request, code)))

    def refund_payment(
        self, payment_id: str, request: RefundRequest | Money, *, code: str | None = None
    ) -> RefundResponse:
        return self.call(ops.refund_payment(payment_id, refund_request(request, code)))

    def refund_capture(
        self, capture_id: str, request: RefundRequest | Money, *, code: str | None = None
    ) -> RefundResponse:
        return self.call(ops.refund_capture(capture_id, refund_request(request, code)))

    def reverse(
        self, payment_id: str, request: ReversalRequest | Money, *, code: str | None = None
    ) -> ReversalResponse:
        """Reverse (release) an uncaptured authorization."""
        return self.call(ops.reverse(payment_id, reversal_request(request, code)))

    def void_payment(
        self, payment_id: str, request: VoidRequest | None = None, *, code: str | None = None
    ) -> VoidResponse:
        return self.call(ops.void("payments", payment_id, void_request(request, code)))

    def void_capture(
        self, capture_id: str, request: VoidRequest | None = None, *, code: str | None = None
    ) -> VoidResponse:
        return self.call(ops.void("captures", capture_id, void_request(request, code)))

    def void_refund(
        self, refund_id: str, request: VoidRequest | None = None, *, code: str | None = None
    ) -> VoidResponse:
        return self.call(ops.void("refunds", refund_id, void_request(request, code)))

    def timeout_reversal(
        self, transaction_id: str, amount: Money, *, code: str | None = None
    ) -> ReversalResponse:
        """Reverse the authorization sent with ``transaction_id`` (its id was never seen)."""
        request = build_timeout_reversal_request(transaction_id, amount, code=code)
        return self.call(ops.timeout_reversal(request))

    def timeout_void(self, transaction_id: str, *, code: str | None = None) -> VoidResponse:
        """Void the capture/refund sent with ``transaction_id`` (its id was never seen)."""
        return self.call(ops.timeout_void(build_timeout_void_request(transaction_id, code=code)))

    # --- transaction details, search, Decision Manager ------------------------------------

    def get_transaction(self, transaction_id: str) -> TransactionDetails:
        return self.call(ops.get_transaction(transaction_id))

    def get_transaction_document(self, transaction_id: str) -> dict[str, Any]:
        """Transaction details as the JSON document (nulls dropped), unvalidated."""
        return self.call(ops.get_transaction_document(transaction_id))

    def search(
        self, query: str, *, limit: int = 20, offset: int = 0, sort: str | None = None
    ) -> SearchResponse:
        """Run a TSS query (build one with ``models.tss.query(...)``); newest first by default."""
        request = build_search_request(
            query, limit=limit, offset=offset, sort=sort or "submitTimeUtc:desc"
        )
        return self.call(ops.search(request))

    def decision_action(
        self, transaction_id: str, *, accept: bool, comments: str | None = None
    ) -> DecisionActionResponse:
        """Accept (and capture) or reject (and reverse) a payment in review."""
        request = build_decision_action_request(accept=accept, comments=comments)
        return self.call(ops.decision_action(transaction_id, request))

    # --- report files (streamed by this client) ----------------------------------------

    def download_report(
        self, report_date: date, report_name: str, *, organization_id: str | None = None
    ) -> bytes:
        """A report file (CSV). ``report_date`` is the day *after* the day it covers."""
        call = ops.download_report(report_date, report_name, organization_id=organization_id)
        return self.call(call)

    def iter_report_lines(
        self, report_date: date, report_name: str, *, organization_id: str | None = None
    ) -> Iterator[str]:
        """The report streamed line by line (large files never sit in memory)."""
        call = ops.download_report(report_date, report_name, organization_id=organization_id)
        response = retry_sync(lambda: self._open_stream(call), self.config.retry, sleep=self._sleep)
        try:
            yield from response.iter_lines()
        except httpx.HTTPError as exc:
            raise classify_exception(call.operation, exc, money_moving=False) from exc
        finally:
            response.close()

    def _open_stream(self, call: ops.Call[Any]) -> httpx.Response:
        try:
            response = self._transport.handle_request(self._exchange.request(call))
        except httpx.HTTPError as exc:
            raise classify_exception(call.operation, exc, money_moving=False) from exc
        if not 200 <= response.status_code < 300:
            content = response.read()
            response.close()
            error = self._exchange.error(call, response.status_code, content, response.headers)
            if error is not None:
                raise error
        return response
