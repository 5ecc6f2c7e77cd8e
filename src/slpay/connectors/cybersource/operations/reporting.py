"""Reporting operations (FACTS §9): times are UTC ``…T00:00:00.000Z``."""

from __future__ import annotations

from datetime import date, datetime

from slpay.connectors.cybersource.models.reporting import (
    ChargebackDetails,
    NetFundings,
    PaymentBatchSummaries,
)
from slpay.connectors.cybersource.operations.calls import (
    CSV_ACCEPT,
    Call,
    parse_bytes,
    parse_model,
    with_query,
)


def net_fundings(
    start: datetime,
    end: datetime,
    *,
    organization_id: str | None = None,
    group_name: str | None = None,
) -> Call[NetFundings]:
    path = with_query(
        "/reporting/v3/net-fundings",
        {
            "startTime": start,
            "endTime": end,
            "organizationId": organization_id,
            "groupName": group_name,
        },
    )
    return Call("net_fundings", "GET", path, parse_model(NetFundings))


def payment_batch_summaries(
    start: datetime,
    end: datetime,
    *,
    organization_id: str | None = None,
    roll_up: str | None = None,
    breakdown: str | None = None,
    start_day_of_week: int | None = None,
) -> Call[PaymentBatchSummaries]:
    path = with_query(
        "/reporting/v3/payment-batch-summaries",
        {
            "startTime": start,
            "endTime": end,
            "organizationId": organization_id,
            "rollUp": roll_up,
            "breakdown": breakdown,
            "startDayOfWeek": start_day_of_week,
        },
    )
    return Call("payment_batch_summaries", "GET", path, parse_model(PaymentBatchSummaries))


def download_report(
    report_date: date,
    report_name: str,
    *,
    organization_id: str | None = None,
    accept: str = CSV_ACCEPT,
) -> Call[bytes]:
    """GET ``/reporting/v3/report-downloads``: the file itself (``reportDate`` = the day after)."""
    path = with_query(
        "/reporting/v3/report-downloads",
        {"organizationId": organization_id, "reportDate": report_date, "reportName": report_name},
    )
    return Call("download_report", "GET", path, parse_bytes, accept=accept)


def chargeback_details(
    start: datetime, end: datetime, *, organization_id: str | None = None
) -> Call[ChargebackDetails]:
    path = with_query(
        "/reporting/v3/chargeback-details",
        {"startTime": start, "endTime": end, "organizationId": organization_id},
    )
    return Call("chargeback_details", "GET", path, parse_model(ChargebackDetails))
