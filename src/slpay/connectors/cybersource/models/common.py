"""Building blocks shared by every Cybersource wire model.

Every model accepts and keeps fields it does not know (``extra="allow"``): Cybersource adds
fields over time (FACTS §0: the 2020 spec → 2026 SDK drift is additive) and a new field must
never break parsing. Statuses and reasons are plain strings; the constants below document the
values FACTS lists, they do not restrict them.

Python attributes are snake_case; the wire names are camelCase (``alias_generator``), with
explicit aliases where Cybersource's spelling differs (``_links``, ``submitTimeUTC`` …).
Amounts are ``Decimal`` in Python and strings on the wire (pydantic writes a ``Decimal`` as a
JSON string). Serialize with :func:`to_json` so the Digest covers exactly the bytes sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic.alias_generators import to_camel

from slpay.connectors.cybersource.classify import decline_error
from slpay.domain.money import Money


class Wire(BaseModel):
    """Base of all wire models: camelCase aliases, unknown fields kept, names accepted too."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        protected_namespaces=(),
    )


class StrictWire(Wire):
    """A request block that refuses unknown fields (used where an extra could carry a PAN)."""

    model_config = ConfigDict(extra="forbid")


def to_json(model: BaseModel) -> bytes:
    """Compact JSON bytes as sent: wire names, no ``null`` members."""
    return model.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8")


def parse_utc(value: str | None) -> datetime | None:
    """Parse Cybersource's ``YYYY-MM-DDThh:mm:ssZ`` (or ISO with offset) as an aware UTC time."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:  # Cybersource times without offset are UTC
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def money(amount: Decimal | None, currency: str | None) -> Money | None:
    """A :class:`Money` from a wire amount and currency, or ``None`` if either is missing."""
    if amount is None or not currency:
        return None
    return Money(amount, currency)


# --- status values (documentation, never a closed set; FACTS §3.4) -------------------------
AUTHORIZED: Final = "AUTHORIZED"
PARTIAL_AUTHORIZED: Final = "PARTIAL_AUTHORIZED"
AUTHORIZED_PENDING_REVIEW: Final = "AUTHORIZED_PENDING_REVIEW"
AUTHORIZED_RISK_DECLINED: Final = "AUTHORIZED_RISK_DECLINED"
PENDING_AUTHENTICATION: Final = "PENDING_AUTHENTICATION"
PENDING_REVIEW: Final = "PENDING_REVIEW"
DECLINED: Final = "DECLINED"
INVALID_REQUEST: Final = "INVALID_REQUEST"
PENDING: Final = "PENDING"
TRANSMITTED: Final = "TRANSMITTED"
REVERSED: Final = "REVERSED"
VOIDED: Final = "VOIDED"
CANCELLED: Final = "CANCELLED"
FAILED: Final = "FAILED"
COMPLETED: Final = "COMPLETED"
SERVER_ERROR: Final = "SERVER_ERROR"

#: 201 statuses that mean "the network or the risk rules said no" (FACTS §3.4, §3.6).
DECLINE_STATUSES: Final = frozenset({DECLINED, AUTHORIZED_RISK_DECLINED, INVALID_REQUEST, FAILED})
#: Payment statuses that leave an authorization hold in place (capturable, maybe after review).
AUTHORIZED_STATUSES: Final = frozenset({AUTHORIZED, PARTIAL_AUTHORIZED, AUTHORIZED_PENDING_REVIEW})


class ErrorDetail(Wire):
    field: str | None = None
    reason: str | None = None


class ErrorInformation(Wire):
    """``errorInformation`` of a 201 decline: ``reason`` is e.g. ``INSUFFICIENT_FUND``."""

    reason: str | None = None
    message: str | None = None
    details: list[ErrorDetail] | None = None


class ClientReferenceInformation(Wire):
    """Our references: ``code`` (order number, ≤ 50) and ``transactionId`` (per request, ≤ 30)."""

    code: str | None = None
    transaction_id: str | None = None
    comments: str | None = None
    application_name: str | None = None
    application_version: str | None = None
    application_user: str | None = None


class AmountDetails(Wire):
    """``orderInformation.amountDetails``. Amounts are strings on the wire."""

    total_amount: Decimal | None = None
    currency: str | None = None
    authorized_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    discount_amount: Decimal | None = None
    freight_amount: Decimal | None = None
    settlement_amount: Decimal | None = None
    settlement_currency: str | None = None
    refund_balance: Decimal | None = None


class Address(Wire):
    """``billTo`` / ``shipTo``. ``country`` is ISO 3166 alpha-2."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    locality: str | None = None
    administrative_area: str | None = None
    postal_code: str | None = None
    country: str | None = None
    email: str | None = None
    phone_number: str | None = None


class LineItem(Wire):
    """``orderInformation.lineItems[]``; ``productCode`` other than ``default`` needs name/SKU."""

    product_code: str | None = None
    product_name: str | None = None
    product_sku: str | None = None
    product_description: str | None = None
    quantity: int | None = None
    unit_price: Decimal | None = None
    unit_of_measure: str | None = None
    total_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    discount_amount: Decimal | None = None
    commodity_code: str | None = None


class OrderInformation(Wire):
    amount_details: AmountDetails | None = None
    bill_to: Address | None = None
    ship_to: Address | None = None
    line_items: list[LineItem] | None = None


class MerchantDefinedField(Wire):
    """``merchantDefinedInformation[]``: ``key`` is a number 0..100 sent as a string. No PII."""

    key: str
    value: str | None = None


class Avs(Wire):
    code: str | None = None
    code_raw: str | None = None


class CardVerification(Wire):
    result_code: str | None = None
    result_code_raw: str | None = None


class ProcessorInformation(Wire):
    approval_code: str | None = None
    transaction_id: str | None = None
    network_transaction_id: str | None = None
    response_code: str | None = None
    avs: Avs | None = None
    card_verification: CardVerification | None = None


class IdRef(Wire):
    """A ``{"id": …}`` reference (TMS tokens, default instruments)."""

    id: str | None = None


class Links(Wire):
    """HAL ``_links``: each member is ``{href, method}`` or a list of them."""

    def href(self, name: str) -> str | None:
        value = (self.model_extra or {}).get(name)
        if isinstance(value, dict):
            href = value.get("href")
            return href if isinstance(href, str) else None
        return None


class Score(Wire):
    #: A string in payment responses, an integer in TSS (FACTS §5.1).
    result: str | int | None = None
    factor_codes: list[str] | None = None
    model_used: str | None = None


class RiskProfile(Wire):
    name: str | None = None
    #: Only in TSS GET: ``ACCEPT`` | ``REJECT`` | ``REVIEW``.
    decision: str | None = None
    selector_rule: str | None = None
    desination_queue: str | None = None  # sic, Cybersource's spelling


class RiskRule(Wire):
    name: str | None = None
    decision: str | None = None


class RiskInformation(Wire):
    score: Score | None = None
    profile: RiskProfile | None = None
    rules: list[RiskRule] | None = None
    case_priority: int | None = None
    local_time: str | None = None


class TransactionResponse(Wire):
    """Fields every ``/pts/v2`` 201 carries. ``status`` is a string, never a closed enum."""

    id: str | None = None
    submit_time_utc: str | None = None
    status: str | None = None
    reconciliation_id: str | None = None
    client_reference_information: ClientReferenceInformation | None = None
    processor_information: ProcessorInformation | None = None
    error_information: ErrorInformation | None = None
    links: Links | None = Field(default=None, alias="_links")

    @property
    def submitted_at(self) -> datetime | None:
        """``submitTimeUtc`` as an aware UTC datetime."""
        return parse_utc(self.submit_time_utc)

    @property
    def is_declined(self) -> bool:
        """True when the 201 is a business refusal (decline, risk reject, invalid, failed)."""
        return self.status in DECLINE_STATUSES

    @property
    def decline_reason(self) -> str | None:
        return self.error_information.reason if self.error_information else None

    def raise_for_decline(self, operation: str = "payment") -> None:
        """Raise :class:`slpay.errors.Declined` if this 201 is a decline; otherwise do nothing.

        Client methods *return* declines (the hub records them); call this where a decline
        should stop the flow instead.
        """
        error = decline_error(operation, self.model_dump(by_alias=True, exclude_none=True))
        if error is not None:
            raise error

    #: Set by the client when this result was recovered by transaction search after a timeout
    #: (FACTS §11) rather than read from the operation's own response.
    _resolved_by_search: bool = PrivateAttr(default=False)

    @property
    def resolved_by_search(self) -> bool:
        """True when this result was recovered by transaction search after a timeout."""
        return self._resolved_by_search


def mdd_list(values: Any) -> list[MerchantDefinedField] | None:
    """``{1: "web", 2: "B2B"}`` or a list of pairs → ``merchantDefinedInformation`` entries."""
    if not values:
        return None
    items = values.items() if hasattr(values, "items") else values
    return [MerchantDefinedField(key=str(k), value=str(v)) for k, v in items]
