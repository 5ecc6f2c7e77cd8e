"""Batch close and reports: the Payment Batch Detail CSV, net funding (and its identity),
payment batch summaries, chargebacks, and report tampering."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from slpay.sandbox.cybersource import FeeRule, SandboxApp, SandboxConfig, create_app
from slpay.sandbox.cybersource.testing import MutableClock, card_payment, signed_async_client

pytestmark = pytest.mark.anyio

DAY = "2026-04-01"
REPORT_DATE = "2026-04-02"
WINDOW = {"startTime": "2026-04-01T00:00:00.000Z", "endTime": "2026-04-02T00:00:00.000Z"}
FEES = {
    "*": FeeRule(Decimal("2.00"), Decimal("0.10")),
    "USD:AX": FeeRule(Decimal("3.00"), Decimal("0.00")),
    "JPY": FeeRule(Decimal("1.00"), Decimal("5")),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(datetime(2026, 4, 1, 15, 30, tzinfo=UTC))


@pytest.fixture
async def cs(clock: MutableClock) -> AsyncIterator[httpx.AsyncClient]:
    app: SandboxApp = create_app(SandboxConfig(clock=clock, fees=FEES))
    async with signed_async_client(app, app.config, clock=clock) as client:
        yield client
    app.close()


def amount(value: str, currency: str = "USD") -> dict[str, Any]:
    return {"orderInformation": {"amountDetails": {"totalAmount": value, "currency": currency}}}


async def sale(
    cs: httpx.AsyncClient, code: str, value: str, currency: str = "USD", **kw: Any
) -> str:
    resp = await cs.post(
        "/pts/v2/payments", json=card_payment(code, value, currency, capture=True, **kw)
    )
    assert resp.json()["status"] == "AUTHORIZED"
    txn_id: str = resp.json()["id"]
    return txn_id


async def refund(cs: httpx.AsyncClient, txn_id: str, value: str, currency: str = "USD") -> str:
    resp = await cs.post(f"/pts/v2/payments/{txn_id}/refunds", json=amount(value, currency))
    assert resp.status_code == 201
    refund_id: str = resp.json()["id"]
    return refund_id


async def close(cs: httpx.AsyncClient, day: str = DAY) -> dict[str, Any]:
    resp = await cs.post("/sandbox/close-day", json={"date": day})
    assert resp.status_code == 200
    body: dict[str, Any] = resp.json()
    return body


async def report(cs: httpx.AsyncClient, report_date: str = REPORT_DATE) -> httpx.Response:
    params = {"reportDate": report_date, "reportName": "PaymentBatchDetailReport"}
    return await cs.get("/reporting/v3/report-downloads", params=params)


def rows(resp: httpx.Response) -> list[dict[str, str]]:
    lines = resp.text.splitlines()
    return list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))


async def funding(cs: httpx.AsyncClient, **window: str) -> dict[str, Any]:
    resp = await cs.get("/reporting/v3/net-fundings", params=window or WINDOW)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def total(body: dict[str, Any], key: str, currency: str = "USD") -> Decimal:
    return Decimal(next(x["value"] for x in body[key] if x["currency"] == currency))


async def test_report_is_404_until_the_day_is_closed(cs: httpx.AsyncClient) -> None:
    await sale(cs, "R-1", "10.00")
    before = await report(cs)
    assert before.status_code == 404
    assert set(before.json()) == {"submitTimeUtc", "reason", "message", "details"}
    closed = await close(cs)
    assert (closed["batchDate"], closed["reportDate"], closed["transactions"]) == (
        DAY,
        REPORT_DATE,
        1,
    )
    assert (await report(cs)).status_code == 200
    assert (await report(cs, DAY)).status_code == 404  # reportDate is the day after


async def test_batch_detail_csv_format(cs: httpx.AsyncClient) -> None:
    s = await sale(cs, "ORDER-100", "100.00")
    r = await refund(cs, s, "30.00")
    a = await sale(cs, "ORDER-200", "50.00", number="378282246310005")
    closed = await close(cs)
    resp = await report(cs)
    assert resp.headers["content-type"].startswith("text/csv")
    lines = resp.text.splitlines()
    assert lines[0].startswith(f"Payment Batch Detail Report,1.0,{DAY} to {DAY}")
    assert lines[1] == (
        "batch_id,merchant_id,batch_date,request_id,merchant_ref_number,trans_ref_no,"
        "payment_method,currency,amount,transaction_type"
    )
    got = {row["request_id"]: row for row in rows(resp)}
    assert set(got) == {s, r, a}
    assert (got[s]["amount"], got[s]["transaction_type"]) == ("100.00", "ics_bill")
    assert (got[r]["amount"], got[r]["transaction_type"]) == ("-30.00", "ics_credit")
    assert got[a]["payment_method"] == "American Express"
    assert got[s]["merchant_ref_number"] == "ORDER-100"
    assert {row["batch_id"] for row in got.values()} == {closed["batchId"]}
    details = (await cs.get(f"/tss/v2/transactions/{s}")).json()
    assert got[s]["trans_ref_no"] == details["reconciliationId"]
    assert details["status"] == "TRANSMITTED"


async def test_only_what_was_pending_before_the_close_is_in_the_batch(
    cs: httpx.AsyncClient, clock: MutableClock
) -> None:
    first = await sale(cs, "B-1", "10.00")
    await close(cs)
    clock.advance(days=1)
    second = await sale(cs, "B-2", "20.00")
    await close(cs, "2026-04-02")
    assert [row["request_id"] for row in rows(await report(cs))] == [first]
    assert [row["request_id"] for row in rows(await report(cs, "2026-04-03"))] == [second]


async def test_net_funding_identity_and_fee_schedule(cs: httpx.AsyncClient) -> None:
    s1 = await sale(cs, "N-1", "100.00")  # Visa: 2% + 0.10 = 2.10
    await sale(cs, "N-2", "200.00", number="378282246310005")  # Amex USD: 3% = 6.00
    await refund(cs, s1, "40.00")
    await sale(cs, "N-3", "1000", "JPY")  # JPY: 1% + 5 = 15
    await close(cs)
    body = await funding(cs)
    assert total(body, "totalPurchases") == Decimal("300.00")
    assert total(body, "totalRefunds") == Decimal("40.00")
    assert total(body, "totalFees") == Decimal("8.10")
    assert total(body, "totalChargebacks") == Decimal("0.00")
    assert total(body, "netTotal") == Decimal("251.90")
    for cur in ("USD", "JPY"):
        assert total(body, "netTotal", cur) == (
            total(body, "totalPurchases", cur)
            - total(body, "totalRefunds", cur)
            - total(body, "totalChargebacks", cur)
            - total(body, "totalFees", cur)
        )
    assert total(body, "totalFees", "JPY") == Decimal("15")
    kinds = {
        (s["type"], s["paymentSubType"], s["currencyCode"]) for s in body["netFundingSummaries"]
    }
    assert {("PURCHASES", "AX", "USD"), ("REFUNDS", "VI", "USD")} <= kinds


async def test_net_funding_is_404_for_a_day_without_batches(cs: httpx.AsyncClient) -> None:
    resp = await cs.get("/reporting/v3/net-fundings", params=WINDOW)
    assert resp.status_code == 404


async def test_payment_batch_summaries_add_up_sales_and_credits(cs: httpx.AsyncClient) -> None:
    s = await sale(cs, "P-1", "10.00")
    await sale(cs, "P-2", "15.00")
    await refund(cs, s, "4.00")
    await close(cs)
    body = (await cs.get("/reporting/v3/payment-batch-summaries", params=WINDOW)).json()
    [visa] = body["paymentBatchSummaries"]
    assert (visa["salesCount"], visa["salesAmount"]) == (2, "25.00")
    assert (visa["creditCount"], visa["creditAmount"]) == (1, "4.00")
    assert visa["paymentSubTypeDescription"] == "Visa"


async def test_chargeback_and_won_outcome_move_net_funding(
    cs: httpx.AsyncClient, clock: MutableClock
) -> None:
    s = await sale(cs, "CB-1", "80.00")
    unsettled = await cs.post("/sandbox/chargebacks", json={"transactionId": s})
    assert unsettled.status_code == 400  # only settled captures can be disputed
    await close(cs)
    cb = await cs.post(
        "/sandbox/chargebacks",
        json={"transactionId": s, "amount": "80.00", "reasonCode": "10.4", "date": "2026-04-03"},
    )
    assert cb.status_code == 201
    day3 = {"startTime": "2026-04-03T00:00:00Z", "endTime": "2026-04-04T00:00:00Z"}
    body = await funding(cs, **day3)
    assert total(body, "totalChargebacks") == Decimal("80.00")
    assert total(body, "netTotal") == Decimal("-80.00")
    details = (await cs.get("/reporting/v3/chargeback-details", params=day3)).json()
    [row] = details["chargebackDetails"]
    assert (row["requestId"], row["amount"], row["merchantReferenceNumber"]) == (s, "80.00", "CB-1")
    won = await cs.post(
        f"/sandbox/chargebacks/{cb.json()['chargebackId']}/outcome",
        json={"outcome": "won", "date": "2026-04-05"},
    )
    assert won.status_code == 200
    day5 = {"startTime": "2026-04-05T00:00:00Z", "endTime": "2026-04-06T00:00:00Z"}
    assert total(await funding(cs, **day5), "totalChargebacks") == Decimal("-80.00")
    actions = [
        r["action"]
        for r in (await cs.get("/reporting/v3/chargeback-details", params=day5)).json()[
            "chargebackDetails"
        ]
    ]
    assert actions == ["Representment Won"]


async def tamper(cs: httpx.AsyncClient, **spec: Any) -> None:
    resp = await cs.post("/sandbox/reports/tamper", json={"date": DAY, **spec})
    assert resp.status_code == 201, resp.text


async def test_tampering_drops_duplicates_and_alters_report_rows(cs: httpx.AsyncClient) -> None:
    a = await sale(cs, "T-1", "10.00")
    b = await sale(cs, "T-2", "20.00")
    c = await sale(cs, "T-3", "30.00")
    await close(cs)
    await tamper(cs, action="drop", requestId=a)
    await tamper(cs, action="duplicate", requestId=b)
    await tamper(cs, action="alter_amount", requestId=c, amount="31.00")
    got = [(r["request_id"], r["amount"]) for r in rows(await report(cs))]
    assert got == [(b, "20.00"), (b, "20.00"), (c, "31.00")]
    # Net funding still reflects what really settled: the report is what was doctored.
    assert total(await funding(cs), "totalPurchases") == Decimal("60.00")


async def test_delayed_row_appears_in_a_later_report(cs: httpx.AsyncClient) -> None:
    a = await sale(cs, "D-1", "10.00")
    b = await sale(cs, "D-2", "20.00")
    await close(cs)
    await close(cs, "2026-04-02")
    await tamper(cs, action="delay", requestId=a, days=1)
    assert [r["request_id"] for r in rows(await report(cs))] == [b]
    assert [r["request_id"] for r in rows(await report(cs, "2026-04-03"))] == [a]


async def test_delayed_report_is_unavailable_until_released(cs: httpx.AsyncClient) -> None:
    await sale(cs, "D-3", "10.00")
    await close(cs)
    await tamper(cs, action="delay")
    assert (await report(cs)).status_code == 404
    await cs.delete("/sandbox/reports/tamper", params={"date": DAY})
    assert (await report(cs)).status_code == 200


async def test_fee_change_keeps_the_identity_and_net_total_change_breaks_it(
    cs: httpx.AsyncClient,
) -> None:
    await sale(cs, "F-1", "100.00")
    await close(cs)
    await tamper(cs, action="fees", currency="USD", value="5.00")
    body = await funding(cs)
    assert (total(body, "totalFees"), total(body, "netTotal")) == (
        Decimal("5.00"),
        Decimal("95.00"),
    )
    await tamper(cs, action="net_total", currency="USD", delta="-1.00")
    body = await funding(cs)
    assert total(body, "netTotal") == Decimal("94.00")
    assert total(body, "netTotal") != total(body, "totalPurchases") - total(body, "totalFees")


async def test_missing_net_funding(cs: httpx.AsyncClient) -> None:
    await sale(cs, "M-1", "100.00")
    await close(cs)
    await tamper(cs, action="missing_net_funding")
    assert (await cs.get("/reporting/v3/net-fundings", params=WINDOW)).status_code == 404
    assert (await report(cs)).status_code == 200


async def test_unknown_report_name_and_bad_dates(cs: httpx.AsyncClient) -> None:
    await close(cs)
    other = await cs.get(
        "/reporting/v3/report-downloads", params={"reportDate": REPORT_DATE, "reportName": "Other"}
    )
    assert other.status_code == 404
    bad = await cs.get(
        "/reporting/v3/report-downloads", params={"reportDate": "tomorrow", "reportName": "x"}
    )
    assert bad.status_code == 400
    no_window = await cs.get("/reporting/v3/net-fundings")
    assert no_window.status_code == 400
