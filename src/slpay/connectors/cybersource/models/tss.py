"""Transaction details and search (``/tss/v2/…``, FACTS §4).

Search queries are Lucene-like: ``field:value`` terms joined by ``AND``, ranges as
``submitTimeUtc:[NOW/DAY-7DAYS TO NOW/DAY+1DAY}``. :func:`query` builds the common ones and
quotes a value only when it holds characters outside ``[A-Za-z0-9_.-]``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import Field

from slpay.connectors.cybersource.models.common import (
    AmountDetails,
    ClientReferenceInformation,
    ErrorInformation,
    Links,
    MerchantDefinedField,
    ProcessorInformation,
    RiskInformation,
    Wire,
    money,
    parse_utc,
)
from slpay.domain.money import Money

_PLAIN = re.compile(r"^[A-Za-z0-9_.\-]+$")

#: Fields the resolver and the sweep search on (the sandbox supports exactly these and ``status``).
CODE_FIELD = "clientReferenceInformation.code"
TRANSACTION_ID_FIELD = "clientReferenceInformation.transactionId"
ID_FIELD = "id"
SUBMIT_TIME_FIELD = "submitTimeUtc"


def term(field: str, value: str) -> str:
    """One ``field:value`` term, the value double-quoted if it needs it."""
    if _PLAIN.match(value):
        return f"{field}:{value}"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{field}:"{escaped}"'


def time_range(start: datetime | str, end: datetime | str) -> str:
    """``submitTimeUtc:[start TO end]`` (inclusive). Datetimes must be aware."""
    return f"{SUBMIT_TIME_FIELD}:[{_instant(start)} TO {_instant(end)}]"


def query(
    *,
    code: str | None = None,
    transaction_id: str | None = None,
    id: str | None = None,
    submitted: tuple[datetime | str, datetime | str] | None = None,
) -> str:
    """A search query ANDing the given terms, e.g. ``query(transaction_id="abc")``."""
    terms: list[str] = []
    if code is not None:
        terms.append(term(CODE_FIELD, code))
    if transaction_id is not None:
        terms.append(term(TRANSACTION_ID_FIELD, transaction_id))
    if id is not None:
        terms.append(term(ID_FIELD, id))
    if submitted is not None:
        terms.append(time_range(*submitted))
    if not terms:
        raise ValueError("a search needs at least one term")
    return " AND ".join(terms)


def _instant(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("search times must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Application(Wire):
    """One classic service in a transaction (``ics_auth``, ``ics_bill``, ``ics_credit`` …)."""

    name: str | None = None
    status: str | None = None
    reason_code: str | int | None = None
    r_code: str | int | None = None
    r_flag: str | None = None
    reconciliation_id: str | None = None
    r_message: str | None = None
    return_code: int | str | None = None


class ApplicationInformation(Wire):
    status: str | None = None
    reason_code: str | int | None = None
    r_code: str | int | None = None
    r_flag: str | None = None
    applications: list[Application] | None = None


class TssOrderInformation(Wire):
    amount_details: AmountDetails | None = None


class TransactionDetails(Wire):
    """200 of GET ``/tss/v2/transactions/{id}``. Note ``submitTimeUTC`` (capital UTC)."""

    id: str | None = None
    root_id: str | None = None
    reconciliation_id: str | None = None
    merchant_id: str | None = None
    submit_time_utc: str | None = Field(default=None, alias="submitTimeUTC")
    status: str | None = None
    application_information: ApplicationInformation | None = None
    client_reference_information: ClientReferenceInformation | None = None
    error_information: ErrorInformation | None = None
    merchant_defined_information: list[MerchantDefinedField] | None = None
    order_information: TssOrderInformation | None = None
    processor_information: ProcessorInformation | None = None
    risk_information: RiskInformation | None = None
    links: Links | None = Field(default=None, alias="_links")

    @property
    def submitted_at(self) -> datetime | None:
        return parse_utc(self.submit_time_utc)

    @property
    def amount(self) -> Money | None:
        d = self.order_information.amount_details if self.order_information else None
        return money(d.total_amount, d.currency) if d else None

    @property
    def application_names(self) -> list[str]:
        apps = self.application_information.applications if self.application_information else None
        return [a.name for a in apps or [] if a.name]


class SearchRequest(Wire):
    """POST ``/tss/v2/searches``. ``limit`` defaults to 20, at most 2500."""

    save: bool = False
    name: str | None = None
    timezone: str | None = None
    query: str
    offset: int | None = None
    limit: int | None = None
    sort: str | None = None


class TransactionSummary(Wire):
    """One hit of a search (``_embedded.transactionSummaries[]``)."""

    id: str | None = None
    submit_time_utc: str | None = None
    merchant_id: str | None = None
    #: Present in current API versions (SDK 0.0.80), absent from the 2020 spec.
    status: str | None = None
    application_information: ApplicationInformation | None = None
    client_reference_information: ClientReferenceInformation | None = None
    merchant_defined_information: list[MerchantDefinedField] | None = None
    order_information: TssOrderInformation | None = None
    processor_information: ProcessorInformation | None = None
    links: Links | None = Field(default=None, alias="_links")

    @property
    def submitted_at(self) -> datetime | None:
        return parse_utc(self.submit_time_utc)

    @property
    def amount(self) -> Money | None:
        d = self.order_information.amount_details if self.order_information else None
        return money(d.total_amount, d.currency) if d else None


class SearchEmbedded(Wire):
    transaction_summaries: list[TransactionSummary] | None = None


class SearchResponse(Wire):
    """201 of POST ``/tss/v2/searches``."""

    search_id: str | None = None
    save: bool | None = None
    name: str | None = None
    timezone: str | None = None
    query: str | None = None
    offset: int | None = None
    limit: int | None = None
    sort: str | None = None
    count: int | None = None
    total_count: int | None = None
    submit_time_utc: str | None = None
    embedded: SearchEmbedded | None = Field(default=None, alias="_embedded")
    links: Links | None = Field(default=None, alias="_links")

    @property
    def transactions(self) -> list[TransactionSummary]:
        """The hits (empty list when there are none)."""
        if self.embedded is None or self.embedded.transaction_summaries is None:
            return []
        return self.embedded.transaction_summaries
