"""``AsyncCybersourceClient``: the asyncio twin of :class:`~.client.CybersourceClient`.

Same methods, same requests (both execute :mod:`.operations` calls through the shared
:class:`~.exchange.Exchange`), same retry decisions and the same ambiguous-outcome resolver;
only the I/O is awaited. Pass ``transport=httpx.ASGITransport(app)`` to talk to the embedded
sandbox in-process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
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
from slpay.connectors.cybersource.setup_methods import AsyncSetupMethods
from slpay.connectors.cybersource.shortcuts import (
    capture_request,
    refund_request,
    reversal_request,
    void_request,
)
from slpay.domain.money import Money
from slpay.errors import AmbiguousOutcome, ExternalError
from slpay.retry import RetryPolicy, retry_async

T = TypeVar("T")


class AsyncCybersourceClient(AsyncSetupMethods):
    """Asyncio Cybersource client; share one per event loop.

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
        transport: httpx.AsyncBaseTransport | None = None,
        proxy: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
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
        self._transport = transport or httpx.AsyncHTTPTransport(
            proxy=proxy or (settings.proxy if settings else None)
        )

    # --- plumbing --------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool (also closes an injected transport, like httpx does)."""
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncCybersourceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def call(self, call: ops.Call[T]) -> T:
        """Execute any operation: retried if safe, resolved if its outcome is unknown."""
        try:
            return await self._with_retry(call)
        except AmbiguousOutcome as exc:
            if call.resolution is None:
                raise
            return await self._resolve(call, exc)

    async def _once(self, call: ops.Call[T]) -> T:
        request = self._exchange.request(call)
        try:
            response = await self._transport.handle_async_request(request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise classify_exception(call.operation, exc, money_moving=call.money_moving) from exc
        return self._exchange.result(call, response.status_code, content, response.headers)

    async def _with_retry(self, call: ops.Call[T]) -> T:
        return await retry_async(
            lambda: self._once(call), self.config.retry, sleep=self._sleep, on_retry=log_retry
        )

    async def _resolve(self, call: ops.Call[T], error: AmbiguousOutcome) -> T:
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
                await self._sleep(step.seconds)
                continue
            try:
                outcome = await self._with_retry(step)
            except ExternalError as exc:
                failure = exc

    # --- payments --------------------------------------------------------------------------

    async def authorize(self, request: PaymentRequest) -> PaymentResponse:
        """Authorize (or sell, with ``capture=True``). Declines are returned: check ``status``."""
        return await self.call(ops.authorize(request))

    async def capture(
        self, payment_id: str, request: CaptureRequest | Money, *, code: str | None = None
    ) -> CaptureResponse:
        """Capture all or part of an authorization (``Money`` builds a plain capture)."""
        return await self.call(ops.capture(payment_id, capture_request(request, code)))

    async def refund_payment(
        self, payment_id: str, request: RefundRequest | Money, *, code: str | None = None
    ) -> RefundResponse:
        return await self.call(ops.refund_payment(payment_id, refund_request(request, code)))

    async def refund_capture(
        self, capture_id: str, request: RefundRequest | Money, *, code: str | None = None
    ) -> RefundResponse:
        return await self.call(ops.refund_capture(capture_id, refund_request(request, code)))

    async def reverse(
        self, payment_id: str, request: ReversalRequest | Money, *, code: str | None = None
    ) -> ReversalResponse:
        """Reverse (release) an uncaptured authorization."""
        return await self.call(ops.reverse(payment_id, reversal_request(request, code)))

    async def void_payment(
        self, payment_id: str, request: VoidRequest | None = None, *, code: str | None = None
    ) -> VoidResponse:
        return await self.call(ops.void("payments", payment_id, void_request(request, code)))

    async def void_capture(
        self, capture_id: str, request: VoidRequest | None = None, *, code: str | None = None
    ) -> VoidResponse:
        return await self.call(ops.void("captures", capture_id, void_request(request, code)))

    async def void_refund(
        self, refund_id: str, request: VoidRequest | None = None, *, code: str | None = None
    ) -> VoidResponse:
        return await self.call(ops.void("refunds", refund_id, void_request(request, code)))

    async def timeout_reversal(
        self, transaction_id: str, amount: Money, *, code: str | None = None
    ) -> ReversalResponse:
        """Reverse the authorization sent with ``transaction_id`` (its id was never seen)."""
        request = build_timeout_reversal_request(transaction_id, amount, code=code)
        return await self.call(ops.timeout_reversal(request))

    async def timeout_void(self, transaction_id: str, *, code: str | None = None) -> VoidResponse:
        """Void the capture/refund sent with ``transaction_id`` (its id was never seen)."""
        return await self.call(
            ops.timeout_void(build_timeout_void_request(transaction_id, code=code))
        )

    # --- transaction details, search, Decision Manager ------------------------------------

    async def get_transaction(self, transaction_id: str) -> TransactionDetails:
        return await self.call(ops.get_transaction(transaction_id))

    async def get_transaction_document(self, transaction_id: str) -> dict[str, Any]:
        """Transaction details as the JSON document (nulls dropped), unvalidated."""
        return await self.call(ops.get_transaction_document(transaction_id))

    async def search(
        self, query: str, *, limit: int = 20, offset: int = 0, sort: str | None = None
    ) -> SearchResponse:
        """Run a TSS query (build one with ``models.tss.query(...)``); newest first by default."""
        request = build_search_request(
            query, limit=limit, offset=offset, sort=sort or "submitTimeUtc:desc"
        )
        return await self.call(ops.search(request))

    async def decision_action(
        self, transaction_id: str, *, accept: bool, comments: str | None = None
    ) -> DecisionActionResponse:
        """Accept (and capture) or reject (and reverse) a payment in review."""
        request = build_decision_action_request(accept=accept, comments=comments)
        return await self.call(ops.decision_action(transaction_id, request))

    # --- report files (streamed by this client) ----------------------------------------

    async def download_report(
        self, report_date: date, report_name: str, *, organization_id: str | None = None
    ) -> bytes:
        """A report file (CSV). ``report_date`` is the day *after* the day it covers."""
        call = ops.download_report(report_date, report_name, organization_id=organization_id)
        return await self.call(call)

    async def iter_report_lines(
        self, report_date: date, report_name: str, *, organization_id: str | None = None
    ) -> AsyncIterator[str]:
        """The report streamed line by line (large files never sit in memory)."""
        call = ops.download_report(report_date, report_name, organization_id=organization_id)
        response = await retry_async(
            lambda: self._open_stream(call), self.config.retry, sleep=self._sleep
        )
        try:
            async for line in response.aiter_lines():
                yield line
        except httpx.HTTPError as exc:
            raise classify_exception(call.operation, exc, money_moving=False) from exc
        finally:
            await response.aclose()

    async def _open_stream(self, call: ops.Call[Any]) -> httpx.Response:
        try:
            response = await self._transport.handle_async_request(self._exchange.request(call))
        except httpx.HTTPError as exc:
            raise classify_exception(call.operation, exc, money_moving=False) from exc
        if not 200 <= response.status_code < 300:
            content = await response.aread()
            await response.aclose()
            error = self._exchange.error(call, response.status_code, content, response.headers)
            if error is not None:
                raise error
        return response
