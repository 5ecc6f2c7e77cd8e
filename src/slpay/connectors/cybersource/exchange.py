"""What the sync and async clients share: configuration, signing, reading an answer.

:class:`Exchange` turns a :class:`~slpay.connectors.cybersource.operations.Call` into a signed
``httpx.Request`` (HTTP Signature of FACTS §2.1 over the exact body bytes, a fresh ``Date``
per attempt) and an answer into the parsed result or the classified error. It performs no
I/O, so both clients stay thin and behave identically.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any, TypeVar

import httpx
import pydantic

from slpay.config import CybersourceSettings
from slpay.connectors.cybersource.auth import Credentials, http_date, sign
from slpay.connectors.cybersource.classify import SYSTEM, classify_response, parse_body
from slpay.connectors.cybersource.operations import Call
from slpay.errors import AmbiguousOutcome, ExternalError, PermanentError
from slpay.logs import get_logger
from slpay.retry import RetryPolicy

T = TypeVar("T")
log = get_logger("slpay.connectors.cybersource")

CONTENT_TYPE = "application/json;charset=utf-8"
_URL_CACHE = 512
USER_AGENT = "slpay"


@dataclass(frozen=True)
class ClientConfig:
    """Where requests go (``base_url``), what is signed (``host``) and how hard to try."""

    base_url: str
    host: str
    credentials: Credentials
    timeout: httpx.Timeout
    retry: RetryPolicy
    #: How often the ambiguous-outcome resolver searches before undoing, and the pause between.
    resolve_search_attempts: int = 2
    resolve_search_interval_s: float = 1.0

    @classmethod
    def build(
        cls,
        settings: CybersourceSettings | None = None,
        *,
        base_url: str | None = None,
        host: str | None = None,
        merchant_id: str | None = None,
        key_id: str | None = None,
        shared_secret_b64: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        resolve_search_attempts: int = 2,
        resolve_search_interval_s: float = 1.0,
    ) -> ClientConfig:
        """Settings (or the sandbox defaults) overridden by whatever is given explicitly."""
        s = settings or CybersourceSettings()
        secret = shared_secret_b64 or s.shared_secret.get_secret_value()
        if not isinstance(timeout, httpx.Timeout):
            timeout = httpx.Timeout(timeout if timeout is not None else s.timeout_s)
        return cls(
            base_url=(base_url or s.base_url).rstrip("/"),
            host=host or s.host,
            credentials=Credentials.from_base64(
                merchant_id or s.merchant_id, key_id or s.key_id, secret
            ),
            timeout=timeout,
            retry=retry
            or RetryPolicy(
                attempts=s.retry_attempts,
                base_delay=s.retry_base_delay_s,
                max_delay=s.retry_max_delay_s,
            ),
            resolve_search_attempts=resolve_search_attempts,
            resolve_search_interval_s=resolve_search_interval_s,
        )


class Exchange:
    """Builds signed requests and reads answers for one configuration (no I/O)."""

    def __init__(self, config: ClientConfig, clock: Callable[[], datetime] | None = None):
        self.config = config
        self._clock = clock
        self._timeout = config.timeout.as_dict()
        # Parsing a URL string costs more than signing; most paths repeat (authorize, search).
        self._urls: dict[str, httpx.URL] = {}

    def url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _URL_CACHE:
                self._urls.clear()
            url = self._urls[path] = httpx.URL(self.config.base_url + path)
        return url

    def date(self) -> str:
        """The ``Date`` header: RFC 7231 GMT, from the injected clock if any."""
        if self._clock is not None:
            return http_date(self._clock())
        return formatdate(time.time(), usegmt=True)  # same format, no datetime round trip

    def request(self, call: Call[Any]) -> httpx.Request:
        """A freshly signed request for one attempt of ``call``."""
        cfg = self.config
        # The signed request-target is the API path; a path prefix in base_url (a rewriting
        # proxy in front of Cybersource) is where the request goes, not what Cybersource sees.
        headers = sign(
            cfg.credentials,
            method=call.method,
            target=call.path,
            host=cfg.host,
            date=self.date(),
            body=call.body,
        )
        headers["Accept"] = call.accept
        headers["User-Agent"] = USER_AGENT
        if call.body is not None:
            headers["Content-Type"] = CONTENT_TYPE
        return httpx.Request(
            call.method,
            self.url(call.path),
            headers=headers,
            content=call.body,
            extensions={"timeout": self._timeout},
        )

    def error(
        self, call: Call[Any], status: int, content: bytes, headers: Mapping[str, str]
    ) -> ExternalError | None:
        """The classified error for a non-2xx answer, ``None`` for 2xx."""
        if 200 <= status < 300:
            return None
        return classify_response(
            call.operation,
            status,
            parse_body(content),
            headers,
            money_moving=call.money_moving,
            now=datetime.now(UTC),
        )

    def result(self, call: Call[T], status: int, content: bytes, headers: Mapping[str, str]) -> T:
        """Parse a 2xx answer, or raise the classified error."""
        error = self.error(call, status, content, headers)
        if error is not None:
            raise error
        try:
            return call.parse(content)
        except (pydantic.ValidationError, ValueError) as exc:
            context: dict[str, Any] = {
                "system": SYSTEM,
                "operation": call.operation,
                "status": status,
                "reason": "UNREADABLE_RESPONSE",
            }
            if call.money_moving:
                # It succeeded (2xx) but we cannot tell what it did: resolve like a timeout.
                raise AmbiguousOutcome("unreadable success response", **context) from exc
            raise PermanentError("unreadable success response", **context) from exc


def log_retry(attempt: int, exc: BaseException, wait: float) -> None:
    """``on_retry`` hook of both clients: one warning line per retry."""
    log.warning("cybersource_retry", attempt=attempt, wait_s=round(wait, 3), error=str(exc))
