"""Transaction Search Service over everything the sandbox holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from slpay.sandbox.cybersource import SandboxApp, SandboxConfig, create_app
from slpay.sandbox.cybersource.testing import MutableClock, card_payment, signed_async_client

pytestmark = pytest.mark.anyio

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(START)


@pytest.fixture
async def cs(clock: MutableClock) -> AsyncIterator[httpx.AsyncClient]:
    app: SandboxApp = create_app(SandboxConfig(clock=clock))
    async with signed_async_client(app, app.config, clock=clock) as client:
        yield client
    app.close()


async def pay(cs: httpx.AsyncClient, code: str, value: str = "10.00", **kw: Any) -> str:
    resp = await cs.post("/pts/v2/payments", json=card_payment(code, value, **kw))
    assert resp.status_code == 201
    txn_id: str = resp.json()["id"]
    return txn_id


async def search(cs: httpx.AsyncClient, query: str, **extra: Any) -> httpx.Response:
    return await cs.post("/tss/v2/searches", json={"query": query, **extra})


def ids(resp: httpx.Response) -> list[str]:
    return [s["id"] for s in resp.json()["_embedded"]["transactionSummaries"]]


async def test_unknown_transaction_is_404(cs: httpx.AsyncClient) -> None:
    resp = await cs.get("/tss/v2/transactions/1234567890123456789012")
    assert resp.status_code == 404


async def test_details_show_the_chain_and_settlement(cs: httpx.AsyncClient) -> None:
    auth = await pay(cs, "ORD-1", "20.00")
    body = {"orderInformation": {"amountDetails": {"totalAmount": "20.00", "currency": "USD"}}}
    capture = (await cs.post(f"/pts/v2/payments/{auth}/captures", json=body)).json()["id"]
    details = (await cs.get(f"/tss/v2/transactions/{capture}")).json()
    assert details["rootId"] == auth
    assert details["submitTimeUTC"] == "2026-03-10T12:00:00Z"
    assert details["applicationInformation"]["applications"][0]["name"] == "ics_bill"
    related = [link["href"] for link in details["_links"]["relatedTransactions"]]
    assert related == [f"/tss/v2/transactions/{auth}"]
    assert details["status"] == "PENDING"


async def test_search_by_code_transaction_id_status_and_id(cs: httpx.AsyncClient) -> None:
    a = await pay(cs, "ORD-A", transaction_id="tx-a")
    b = await pay(cs, "ORD-B")
    declined = await pay(cs, "ORD-A", "3001.00")
    by_code = await search(cs, "clientReferenceInformation.code:ORD-A", sort="id:asc")
    assert sorted(ids(by_code)) == sorted([a, declined])
    by_tx = await search(cs, 'clientReferenceInformation.transactionId:"tx-a"')
    assert ids(by_tx) == [a]
    by_status = await search(cs, "status:DECLINED")
    assert ids(by_status) == [declined]
    both = await search(cs, f"id:{b} AND clientReferenceInformation.code:ORD-B")
    assert ids(both) == [b]
    prefix = await search(cs, "clientReferenceInformation.code:ORD-*")
    assert prefix.json()["totalCount"] == 3


async def test_search_summary_shape(cs: httpx.AsyncClient) -> None:
    txn = await pay(cs, "ORD-S", "12.34")
    found = (await search(cs, "clientReferenceInformation.code:ORD-S")).json()
    assert found["count"] == found["totalCount"] == 1
    summary = found["_embedded"]["transactionSummaries"][0]
    assert summary["id"] == txn
    assert summary["status"] == "AUTHORIZED"
    assert summary["orderInformation"]["amountDetails"] == {
        "totalAmount": "12.34",
        "currency": "USD",
    }
    assert summary["_links"]["transactionDetail"]["href"] == f"/tss/v2/transactions/{txn}"


async def test_submit_time_ranges_with_date_math(
    cs: httpx.AsyncClient, clock: MutableClock
) -> None:
    old = await pay(cs, "OLD")
    clock.advance(days=10)
    new = await pay(cs, "NEW")
    last_week = await search(cs, "submitTimeUtc:[NOW/DAY-7DAYS TO NOW/DAY+1DAY}")
    assert ids(last_week) == [new]
    everything = await search(cs, "submitTimeUtc:[* TO NOW]", sort="submitTimeUtc:asc")
    assert ids(everything) == [old, new]
    explicit = await search(cs, "submitTimeUtc:[2026-03-10T00:00:00Z TO 2026-03-11T00:00:00Z}")
    assert ids(explicit) == [old]


async def test_limit_offset_and_sort(cs: httpx.AsyncClient, clock: MutableClock) -> None:
    made = []
    for i in range(5):
        made.append(await pay(cs, f"PAGE-{i}"))
        clock.advance(seconds=1)
    page = await search(cs, "clientReferenceInformation.code:PAGE-*", limit=2, offset=1)
    assert page.json()["totalCount"] == 5
    assert ids(page) == [made[3], made[2]]  # newest first by default
    asc = await search(
        cs, "clientReferenceInformation.code:PAGE-*", limit=2, sort="submitTimeUtc:asc"
    )
    assert ids(asc) == made[:2]


@pytest.mark.parametrize(
    "body",
    [
        {"query": "status:AUTHORIZED", "limit": 2501},
        {"query": "status:AUTHORIZED", "limit": 0},
        {"query": "colour:blue"},
        {"query": "submitTimeUtc:yesterday"},
        {},
    ],
)
async def test_bad_searches_are_invalid_requests(
    cs: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    resp = await cs.post("/tss/v2/searches", json=body)
    assert resp.status_code == 400
    assert resp.json()["status"] == "INVALID_REQUEST"


async def test_limit_of_2500_is_allowed(cs: httpx.AsyncClient) -> None:
    assert (await search(cs, "status:AUTHORIZED", limit=2500)).status_code == 201


async def test_saved_search_can_be_run_again(cs: httpx.AsyncClient) -> None:
    first = await pay(cs, "SAVED")
    created = (
        await search(cs, "clientReferenceInformation.code:SAVED", save=True, name="s")
    ).json()
    second = await pay(cs, "SAVED")
    rerun = await cs.get(f"/tss/v2/searches/{created['searchId']}")
    assert rerun.status_code == 201
    assert sorted(ids(rerun)) == sorted([first, second])
    assert (await cs.get("/tss/v2/searches/not-a-search")).status_code == 404
