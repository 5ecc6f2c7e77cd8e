"""Options of the embedded Cybersource sandbox (built by the CLI, tests, the demo, benchmarks).

Defaults are the credentials slpay's own default settings use (``slpay.config.SANDBOX_*``), so
a default ``slpay`` talks to a default sandbox with nothing configured.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from slpay.config import (
    SANDBOX_KEY_ID,
    SANDBOX_MERCHANT_ID,
    SANDBOX_SHARED_SECRET,
    SANDBOX_WEBHOOK_KEY,
    SANDBOX_WEBHOOK_KEY_ID,
)
from slpay.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8631  # CybersourceSettings.base_url's default port


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FeeRule:
    """Processing fee of one settled purchase: ``amount * percent / 100 + per_item``."""

    percent: Decimal = Decimal("2.00")
    per_item: Decimal = Decimal("0.10")


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the sandbox needs; immutable once the app is built.

    ``fees`` is looked up by ``"CUR:XX"`` (currency and card sub-type such as ``USD:AX``), then
    ``"CUR"``, then ``"*"``. ``webhook_retry_unit_s`` is how long one "minute" of a
    subscription's retry policy lasts: 60 for real time, a few milliseconds in tests.
    """

    merchant_id: str = SANDBOX_MERCHANT_ID
    key_id: str = SANDBOX_KEY_ID
    shared_secret: str = SANDBOX_SHARED_SECRET
    db_url: str = "sqlite:///:memory:"
    webhook_url: str | None = None
    webhook_key_id: str = SANDBOX_WEBHOOK_KEY_ID
    webhook_key: str = SANDBOX_WEBHOOK_KEY
    #: Public key (PEM or JWK JSON) to encrypt webhook bodies (JWE); see /kms/egress/v2/keys-asym.
    webhook_encryption_key: str | None = None
    webhook_retry_unit_s: float = 60.0
    webhook_timeout_s: float = 5.0
    #: Retries of the --webhook-url pseudo-subscription (Cybersource's default policy has 3).
    default_webhook_retries: int = 3
    #: Largest allowed difference between the Date header and the sandbox clock.
    clock_skew_s: int = 15 * 60
    fees: dict[str, FeeRule] = field(default_factory=lambda: {"*": FeeRule()})
    merchant_name: str = "slpay sandbox merchant"
    clock: Callable[[], datetime] = utc_now

    def __post_init__(self) -> None:
        for name in ("shared_secret", "webhook_key"):
            try:
                base64.b64decode(getattr(self, name), validate=True)
            except (binascii.Error, ValueError):
                raise ConfigError("must be base64", field=name) from None
        for name in ("merchant_id", "key_id", "webhook_key_id"):
            if not getattr(self, name):
                raise ConfigError("must not be empty", field=name)

    @property
    def secret_bytes(self) -> bytes:
        return base64.b64decode(self.shared_secret)

    def fee_rule(self, currency: str, sub_type: str) -> FeeRule:
        for key in (f"{currency}:{sub_type}", currency, "*"):
            if key in self.fees:
                return self.fees[key]
        return FeeRule(Decimal(0), Decimal(0))


def db_url_from_option(value: str | None) -> str:
    """``--db``: a SQLAlchemy URL, or a bare path meaning a SQLite file (DESIGN.md)."""
    if not value:
        return "sqlite:///:memory:"
    if "://" in value:
        return value
    return f"sqlite:///{value}"
