"""Ambiguous money-moving outcomes are settled by search or timeout reversal/void, never resent.

The fake executes-then-hangs (the payment exists but its answer never arrives) or hangs
before executing; in every case exactly one payment request reaches Cybersource.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from test_cybersource_fakes import BASE_URL, HOST, KEY_ID, MERCHANT, SECRET_B64, FakeCybersource

from slpay.connectors.cybersource import AsyncCybersourceClient, CybersourceClient
from slpay.connectors.cybersource.models.payments import PaymentRequest
from slpay.connectors.cybersource.requests import build_authorize_request
from slpay.connectors.cybersource.resolver import OutcomeCancelled, UnresolvedOutcome
from slpay.domain.money import Money
from slpay.retry import RetryPolicy

USD = Money.of("25.00", "USD")
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)
CONNECTION: dict[str, Any] = {
    "base_url": BASE_URL,
    "host": HOST,
    "merchant_id": MERCHANT,
    "key_id": KEY_ID,
    "shared_secret_b64": SECRET_B64,
    "retry": FAST,
    "resolve_search_attempts": 2,
    "resolve_search_interval_s": 0.5,
}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake() -> FakeCybersource:
    return FakeCybersource()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake: FakeCybersource, sleeps: Sleeps) -> Iterator[CybersourceClient]:
    with CybersourceClient(transport=fake.transport(), sleep=sleeps, **CONNECTION) as c:
        yield c


def _auth(tid: str = "tx-1", **kw: Any) -> PaymentRequest:
    return build_authorize_request(USD, code="SO-9", transaction_id=tid, customer_id="C", **kw)


def _tids(bodies: list[dict[str, Any]]) -> list[str]:
    return [b["clientReferenceInformation"]["transactionId"] for b in bodies]


def test_executed_then_hung_authorization_is_found_by_search_and_not_resent(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    fake.fail_next("POST /pts/v2/payments$", "hang_after")
    response = client.authorize(_auth())
    assert response.resolved_by_search
    assert response.status == "AUTHORIZED"
    assert response.id == next(iter(fake.txns))
    assert len(fake.posts_to("/pts/v2/payments")) == 1
    assert fake.posts_to("/pts/v2/reversals") == []
    search = fake.posts_to("/tss/v2/searches")
    assert search[0]["query"] == "clientReferenceInformation.transactionId:tx-1"


def test_never_executed_authorization_gets_a_timeout_reversal_with_the_same_transaction_id(
    client: CybersourceClient, fake: FakeCybersource, sleeps: Sleeps
) -> None:
    fake.fail_next("POST /pts/v2/payments$", "hang_before")
    with pytest.raises(OutcomeCancelled) as info:
        client.authorize(_auth())
    assert info.value.undo == []  # Cybersource had nothing to reverse
    assert info.value.operation == "authorize"
    assert len(fake.posts_to("/pts/v2/payments")) == 1
    assert len(fake.posts_to("/tss/v2/searches")) == 2
    assert sleeps == [0.5]
    (reversal,) = fake.posts_to("/pts/v2/reversals")
    assert reversal == {
        "clientReferenceInformation": {"code": "SO-9", "transactionId": "tx-1"},
        "reversalInformation": {"amountDetails": {"totalAmount": "25.00", "currency": "USD"}},
    }
    assert fake.txns == {}


def test_executed_but_not_yet_searchable_authorization_is_reversed(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    fake.index_delay = 10  # TSS has not indexed it yet
    fake.fail_next("POST /pts/v2/payments$", "hang_after")
    with pytest.raises(OutcomeCancelled) as info:
        client.authorize(_auth())
    assert [r.status for r in info.value.undo] == ["REVERSED"]
    auth = next(t for t in fake.txns.values() if t.kind == "authorization")
    assert auth.status == "REVERSED"
    assert len(fake.posts_to("/pts/v2/payments")) == 1


def test_a_502_on_a_sale_is_voided_then_reversed(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    fake.index_delay = 10
    fake.fail_next("POST /pts/v2/payments$", "drop_after")
    with pytest.raises(OutcomeCancelled):
        client.authorize(_auth("tx-sale", capture=True))
    assert _tids(fake.posts_to("/pts/v2/voids")) == ["tx-sale"]
    assert _tids(fake.posts_to("/pts/v2/reversals")) == ["tx-sale"]
    assert len(fake.posts_to("/pts/v2/payments")) == 1


def test_a_server_error_on_a_capture_is_found_by_search(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    auth = client.authorize(_auth())
    fake.fail_next("POST /pts/v2/payments/.*/captures", "drop_after")
    capture = client.capture(auth.id or "", USD, code="SO-9")
    assert capture.resolved_by_search
    assert capture.status == "PENDING"
    assert len(fake.posts_to(f"/pts/v2/payments/{auth.id}/captures")) == 1


def test_a_lost_capture_gets_a_timeout_void(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    auth = client.authorize(_auth())
    fake.fail_next("POST /pts/v2/payments/.*/captures", (502, {}, {"status": "SERVER_ERROR"}))
    with pytest.raises(OutcomeCancelled):
        client.capture(auth.id or "", USD)
    (void,) = fake.posts_to("/pts/v2/voids")
    assert set(void) == {"clientReferenceInformation"}
    assert fake.posts_to("/pts/v2/reversals") == []


def test_search_matches_by_code_when_the_transaction_id_is_not_echoed(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    fake.echo_transaction_id = False
    fake.fail_next("POST /pts/v2/payments$", "hang_after")
    assert client.authorize(_auth()).resolved_by_search


def test_an_ambiguous_reversal_not_found_is_unresolved_and_not_resent(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    auth = client.authorize(_auth())
    fake.fail_next("POST /pts/v2/payments/.*/reversals", "hang_before")
    with pytest.raises(UnresolvedOutcome) as info:
        client.reverse(auth.id or "", USD)
    assert "re-sending is safe" in str(info.value)
    assert len(fake.posts_to(f"/pts/v2/payments/{auth.id}/reversals")) == 1
    assert fake.posts_to("/pts/v2/reversals") == []


def test_when_search_and_undo_both_fail_the_outcome_stays_unresolved(
    client: CybersourceClient, fake: FakeCybersource
) -> None:
    fake.fail_next("POST /pts/v2/payments$", "hang_before")
    for _ in range(6):  # every search attempt, with its retries
        fake.fail_next("POST /tss/v2/searches", 500)
    fake.fail_next("POST /pts/v2/reversals", "hang_before")
    with pytest.raises(UnresolvedOutcome):
        client.authorize(_auth())
    assert len(fake.posts_to("/pts/v2/payments")) == 1


def test_async_client_resolves_the_same_way(fake: FakeCybersource) -> None:
    async def no_sleep(_: float) -> None:
        return None

    async def run() -> bool:
        async with AsyncCybersourceClient(
            transport=fake.transport(), sleep=no_sleep, **CONNECTION
        ) as c:
            return (await c.authorize(_auth())).resolved_by_search

    fake.fail_next("POST /pts/v2/payments$", "hang_after")
    assert asyncio.run(run())
    assert len(fake.posts_to("/pts/v2/payments")) == 1
