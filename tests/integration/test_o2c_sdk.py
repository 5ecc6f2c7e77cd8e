"""Payments made with the official Cybersource SDK flow through the hub into SL (issue 4).

The merchant's own SDK code (0.0.80, in its own virtualenv, run as a subprocess) sells, and
authorizes then captures, on the Cybersource sandbox; the sandbox's webhooks reach the hub;
SL ends with one order and one prepayment per captured payment, and once SL invoices and
everything is released every invoice is paid and the trial balance is the predicted one.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import test_o2c_flow
from test_o2c_flow import Env, ord_nbrs, settle_webhooks, sl_count

from slpay.connectors.dynamics_sl import schema as sl
from slpay.sandbox.cybersource import SandboxConfig
from slpay.sandbox.cybersource.shopper import TEST_CARDS
from slpay.sandbox.sl import users
from slpay.sandbox.sl.ledger import trial_balance
from slpay.sandbox.sl.moneymap import (
    CapturedBeforeInvoice,
    Event,
    Invoiced,
    PrepaymentApplied,
    predict_trial_balance,
)
from slpay.sandbox.sl.release import release_all

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from _sdk_runner import run_sdk_steps, sdk_config, sdk_missing_reason

pytestmark = [
    pytest.mark.sdk,
    pytest.mark.skipif(sdk_missing_reason() is not None, reason=sdk_missing_reason() or ""),
]
env = test_o2c_flow.env  # both sandboxes, the served hub, the SL company
CARD = {"number": TEST_CARDS["visa"], "expirationMonth": "12", "expirationYear": "2031"}
AMOUNTS = {"SDK-O1": "21.00", "SDK-O2": "32.50", "SDK-O3": "43.99", "SDK-O4": "54.10"}


def _payment(order: str, *, capture: bool) -> dict[str, Any]:
    amount = AMOUNTS[order]
    return {
        "name": order.replace("-", "_"), "api": "PaymentsApi", "call": "create_payment",
        "args": ["$body"], "model": "CreatePaymentRequest",
        "body": {
            "clientReferenceInformation": {"code": order, "transactionId": f"sdk-{order}"},
            "processingInformation": {"capture": capture},
            "paymentInformation": {"card": CARD},
            "orderInformation": {
                "amountDetails": {"totalAmount": amount, "currency": "USD"},
                "billTo": {
                    "firstName": "Grace", "lastName": "Hopper", "address1": "1 Main St",
                    "locality": "Arlington", "administrativeArea": "VA", "postalCode": "22201",
                    "country": "US", "email": f"{order.lower()}@example.com",
                },
                "lineItems": [{"productSku": "SKU-1", "productName": "Widget",
                               "quantity": 1, "unitPrice": amount}],
            },
        },
    }  # fmt: skip


def test_sdk_sales_and_captures_post_once_and_invoices_end_paid(env: Env, tmp_path: Path) -> None:
    steps = [_payment(order, capture=True) for order in ("SDK-O1", "SDK-O2", "SDK-O3")]
    steps.append(_payment("SDK-O4", capture=False))
    steps.append({
        "name": "capture", "api": "CaptureApi", "call": "capture_payment",
        "args": ["$body", "${SDK_O4.id}"], "model": "CapturePaymentRequest",
        "body": {
            "clientReferenceInformation": {"code": "SDK-O4", "transactionId": "sdk-cap-O4"},
            "orderInformation": {"amountDetails": {"totalAmount": AMOUNTS["SDK-O4"],
                                                   "currency": "USD"}},
        },
    })  # fmt: skip
    results = run_sdk_steps(sdk_config(env.cs_url, SandboxConfig()), steps, tmp_path)
    for name, result in results.items():
        assert "error" not in result, (name, result.get("error"))
    assert results["capture"]["status"] == "PENDING"
    settle_webhooks(env)

    assert sl_count(env.sl, sl.SOHeader) == 4
    assert sl_count(env.sl, sl.ARDoc, sl.ARDoc.c.DocType == "PP") == 4
    summary = env.hub.summary()
    assert (summary["captured"], summary["posted"], summary["parked"]) == (4, 4, 0)
    assert release_all(env.sl).refused == []

    numbers = ord_nbrs(env.sl)
    for order in AMOUNTS:
        users.ship(env.sl, numbers[order])
        users.invoice(env.sl, numbers[order])
    assert release_all(env.sl).refused == []
    assert env.hub.apply_prepayments() == {"applied": 4}
    assert release_all(env.sl).refused == []

    d = sl.ARDoc.c
    assert sl_count(env.sl, sl.ARDoc, d.DocType == "IN", d.CuryDocBal != 0) == 0
    events: list[Event] = []
    for amount in AMOUNTS.values():
        value = Decimal(amount)
        events += [CapturedBeforeInvoice(value), Invoiced(value), PrepaymentApplied(value)]
    assert trial_balance(env.sl) == predict_trial_balance(events)
