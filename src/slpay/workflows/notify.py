"""Tell the eCommerce platform about payment failures (``workflows.callback_url``, POST JSON).

Transient failures (network, 429, 5xx) are retried with the one retry loop
(:mod:`slpay.retry`); a refusal (4xx) is logged and recorded, never retried.
"""

from __future__ import annotations

from typing import Any

import httpx

from slpay.errors import PermanentError, TransientError
from slpay.logs import get_logger
from slpay.redact import redact_data
from slpay.retry import RetryPolicy, retry_sync

log = get_logger(__name__)


class Notifier:
    """POSTs failure notices to one URL (does nothing when the URL is None)."""

    def __init__(
        self,
        url: str | None,
        *,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.policy = policy or RetryPolicy(attempts=4, base_delay=0.2, max_delay=5.0)
        self._client = httpx.Client(timeout=10.0, transport=transport, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def payment_failed(self, notice: dict[str, Any]) -> bool:
        """Send one notice; True when the platform accepted it (2xx)."""
        if not self.url:
            return False
        body = redact_data({"event": "payment.failed", **notice})
        try:
            retry_sync(lambda: self._post(body), self.policy)
        except (TransientError, PermanentError) as exc:
            log.error("callback.failed", url=self.url, error=str(exc))
            return False
        log.info("callback.sent", order=notice.get("order_number"))
        return True

    def _post(self, body: dict[str, Any]) -> None:
        assert self.url is not None
        try:
            response = self._client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            raise TransientError(
                f"callback: {type(exc).__name__}", system="ecommerce", operation="callback"
            ) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(
                f"callback answered {response.status_code}",
                system="ecommerce",
                operation="callback",
            )
        if response.status_code >= 400:
            raise PermanentError(
                f"callback answered {response.status_code}",
                system="ecommerce",
                operation="callback",
            )
