"""The callback notifier against a real local HTTP receiver: the eCommerce platform gets the
payment failure with its reason; transient answers are retried, refusals are not."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from slpay.retry import RetryPolicy
from slpay.sandbox.cybersource.testing import WebhookReceiver
from slpay.workflows.notify import Notifier

pytestmark = pytest.mark.timeout(60)
NOTICE = {
    "order_number": "WEB-7",
    "transaction_id": "7642912345678901234567",
    "status": "DECLINED",
    "reason": "INSUFFICIENT_FUND",
}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def notifier(receiver: WebhookReceiver) -> Iterator[Notifier]:
    n = Notifier(receiver.url, policy=RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05))
    yield n
    n.close()


def test_the_platform_receives_the_failure_with_its_reason(
    receiver: WebhookReceiver, notifier: Notifier
) -> None:
    assert notifier.payment_failed(NOTICE) is True
    (got,) = receiver.wait_for(1)
    assert got.headers["content-type"] == "application/json"
    assert json.loads(got.body) == {"event": "payment.failed", **NOTICE}


def test_a_card_number_in_a_reason_never_reaches_the_callback(
    receiver: WebhookReceiver, notifier: Notifier
) -> None:
    notifier.payment_failed(NOTICE | {"reason": "card 4111 1111 1111 1111 declined"})
    (got,) = receiver.wait_for(1)
    assert b"4111 1111 1111 1111" not in got.body
    assert b"1111" in got.body  # the masked form keeps the last four digits


def test_transient_callback_failures_are_retried_until_accepted(
    receiver: WebhookReceiver, notifier: Notifier
) -> None:
    receiver.statuses.extend([503, 429])
    assert notifier.payment_failed(NOTICE) is True
    assert [r.status for r in receiver.wait_for(3)] == [503, 429, 200]
    assert len({r.body for r in receiver.received}) == 1  # the same notice each time


def test_a_refused_callback_is_not_retried(receiver: WebhookReceiver, notifier: Notifier) -> None:
    receiver.statuses.append(400)
    assert notifier.payment_failed(NOTICE) is False
    assert [r.status for r in receiver.wait_for(1)] == [400]


def test_a_platform_down_for_good_gives_up_after_the_policys_attempts(
    receiver: WebhookReceiver, notifier: Notifier
) -> None:
    receiver.default_status = 502
    assert notifier.payment_failed(NOTICE) is False
    assert len(receiver.wait_for(4)) == 4


def test_no_callback_url_sends_nothing() -> None:
    quiet = Notifier(None)
    assert quiet.payment_failed(NOTICE) is False
    quiet.close()
