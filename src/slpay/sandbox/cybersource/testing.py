"""Helpers for code that drives the sandbox: tests, the demo, benchmarks.

- :func:`signed_async_client` — an ``httpx.AsyncClient`` that talks to the app in-process
  and signs every request with the sandbox's credentials (connectors.cybersource.auth);
- :func:`signed_client` — the same over real HTTP (e.g. to :func:`run_in_thread`'s base_url);
- :class:`MutableClock` — a clock to hand to ``SandboxConfig(clock=...)`` and the signer;
- :class:`WebhookReceiver` — a loopback HTTP server that records notifications and can fail;
- :func:`card_payment` — a ``/pts/v2/payments`` body with a test card.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from slpay.connectors.cybersource.auth import Credentials, HttpSignatureAuth

from .config import SandboxConfig

API_HOST = "apitest.cybersource.com"


def credentials(config: SandboxConfig) -> Credentials:
    return Credentials.from_base64(config.merchant_id, config.key_id, config.shared_secret)


def signed_async_client(
    app: Any,
    config: SandboxConfig,
    *,
    clock: Callable[[], datetime] | None = None,
    timeout: float = 10.0,
) -> httpx.AsyncClient:
    """In-process client; the Host header (and signature) carry ``apitest.cybersource.com``."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://{API_HOST}",
        auth=HttpSignatureAuth(credentials(config), API_HOST, clock=clock),
        timeout=timeout,
    )


def signed_client(
    base_url: str,
    config: SandboxConfig,
    *,
    clock: Callable[[], datetime] | None = None,
    timeout: float = 10.0,
) -> httpx.Client:
    """Client over real HTTP that signs for ``apitest.cybersource.com`` like the official SDK
    does with ``IntermediateHost`` (sent to ``base_url``, Host header = the API host)."""
    return httpx.Client(
        base_url=base_url,
        auth=HttpSignatureAuth(credentials(config), API_HOST, clock=clock),
        timeout=timeout,
    )


class MutableClock:
    """A settable UTC clock (``clock()`` returns the current value)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


def card_payment(
    code: str,
    amount: str,
    currency: str = "USD",
    *,
    number: str = "4111111111111111",
    capture: bool = False,
    address1: str | None = None,
    transaction_id: str | None = None,
) -> dict[str, Any]:
    """A payment request with a test card (the official SDK samples' Visa by default)."""
    body: dict[str, Any] = {
        "clientReferenceInformation": {"code": code},
        "processingInformation": {"capture": capture},
        "paymentInformation": {
            "card": {"number": number, "expirationMonth": "12", "expirationYear": "2031"}
        },
        "orderInformation": {"amountDetails": {"totalAmount": amount, "currency": currency}},
    }
    if transaction_id:
        body["clientReferenceInformation"]["transactionId"] = transaction_id
    if address1:
        body["orderInformation"]["billTo"] = {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "address1": address1,
            "locality": "London",
            "postalCode": "SE1 9RA",
            "country": "GB",
            "email": "ada@example.com",
        }
    return body


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class WebhookReceiver:
    """Records every POST; answers the queued statuses first, then ``default_status``."""

    default_status: int = 200
    statuses: deque[int] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/webhooks/cybersource"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._cond:
                    status = (
                        receiver.statuses.popleft()
                        if receiver.statuses
                        else receiver.default_status
                    )
                    receiver.received.append(
                        Received({k.lower(): v for k, v in self.headers.items()}, body, status)
                    )
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least ``n`` notifications arrived (AssertionError on timeout)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= n, timeout=timeout):
                raise AssertionError(f"expected {n} notifications, got {len(self.received)}")
            return list(self.received)

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
