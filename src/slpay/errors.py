"""Errors named for what the caller should do.

::

    SlpayError
    ├── ConfigError                 the configuration is wrong: fix it (names file and field)
    ├── ValidationError             bad input from a user or a partner: answer 4xx, name the field
    └── ExternalError               a remote system (Cybersource, SL) failed; carries system,
        │                           operation, HTTP status and the remote request id
        ├── TransientError          try again later, with backoff (timeouts, 429, 5xx, outages)
        │   └── AmbiguousOutcome    the request may have taken effect: resolve, never resend
        ├── PermanentError          retrying will not help: park for an operator
        │   ├── AuthenticationError credentials refused (401/403)
        │   ├── NotFoundError       the remote resource does not exist (404)
        │   └── InvalidRequest      the remote system refused our request as malformed (400)
        └── Declined                the payment network said no (a business outcome, not a fault)

Each connector has exactly one function that turns a response into one of these.
"""

from __future__ import annotations


class SlpayError(Exception):
    """Base of every error slpay raises on purpose."""


class ConfigError(SlpayError):
    """The configuration is invalid; ``field`` names the setting (dotted path)."""

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None):
        self.field = field
        self.source = source
        where = " ".join(x for x in (source, field) if x)
        super().__init__(f"{where}: {message}" if where else message)


class ValidationError(SlpayError):
    """Input refused; ``field`` names the offending field."""

    def __init__(self, message: str, *, field: str | None = None):
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message)


class ExternalError(SlpayError):
    """A remote system failed. Carries enough context for an operator to act."""

    def __init__(
        self,
        message: str,
        *,
        system: str,
        operation: str,
        status: int | None = None,
        request_id: str | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
        body: object | None = None,
    ):
        self.system = system
        self.operation = operation
        self.status = status
        self.request_id = request_id
        self.reason = reason
        self.retry_after = retry_after
        self.body = body
        parts = [f"{system} {operation}"]
        if status is not None:
            parts.append(f"HTTP {status}")
        if reason:
            parts.append(reason)
        if request_id:
            parts.append(f"request {request_id}")
        super().__init__(f"{message} ({', '.join(parts)})")


class TransientError(ExternalError):
    """Worth retrying with backoff."""


class AmbiguousOutcome(TransientError):
    """A money-moving request whose outcome is unknown (timeout, 502): resolve, never resend."""


class PermanentError(ExternalError):
    """Retrying will not help; park the work for an operator."""


class AuthenticationError(PermanentError):
    """Credentials refused."""


class NotFoundError(PermanentError):
    """The remote resource does not exist."""


class InvalidRequest(PermanentError):
    """The remote system refused the request as malformed or not allowed."""


class Declined(ExternalError):
    """The payment was declined or rejected: a business outcome, recorded, not retried."""
