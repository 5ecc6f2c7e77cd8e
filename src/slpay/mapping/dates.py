"""Dates: Cybersource times → aware UTC → the SL date in the business time zone.

Cybersource writes ``submitTimeUtc`` (payments, searches) and ``submitTimeUTC`` (transaction
details) as ``YYYY-MM-DDThh:mm:ssZ``; order intake may send any ISO 8601 time with an offset.
Which SL date a payment falls on is decided by the business time zone's calendar: 2026-03-01
05:30 UTC is still 28 February in Chicago. SL stores that date as SMALLDATETIME midnight; the
SL connector does that last step from the plain :class:`~datetime.date` returned here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slpay.errors import ValidationError

#: Both spellings Cybersource uses for a transaction's time.
SUBMIT_TIME_KEYS = ("submitTimeUtc", "submitTimeUTC")


def zone(name: str) -> ZoneInfo:
    """An IANA time zone; ValueError (not a crash at first use) for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as UTC)") from exc


def parse_time(value: Any, *, field: str, naive_zone: ZoneInfo | None = None) -> datetime:
    """An ISO 8601 / Cybersource time as an aware UTC datetime.

    A time without an offset is refused unless ``naive_zone`` says where it was written.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a time such as 2026-05-15T14:03:00Z", field=field)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            f"{value!r} is not a time such as 2026-05-15T14:03:00Z", field=field
        ) from None
    if moment.tzinfo is None:
        if naive_zone is None:
            raise ValidationError(
                f"{value!r} has no time zone; add Z or an offset such as +02:00", field=field
            )
        moment = moment.replace(tzinfo=naive_zone)
    return moment.astimezone(UTC)


def submit_time(payload: Mapping[str, Any]) -> datetime:
    """A Cybersource payload's submit time (either spelling), aware UTC."""
    for key in SUBMIT_TIME_KEYS:
        if payload.get(key):
            return parse_time(payload[key], field=key)
    raise ValidationError("missing", field="submitTimeUtc")


def sl_date(moment: datetime, business_zone: ZoneInfo) -> date:
    """The calendar date of ``moment`` in the business time zone."""
    if moment.tzinfo is None:
        raise ValueError("SL dates are taken from aware datetimes only")
    return moment.astimezone(business_zone).date()
