"""``POST /api/orders`` over real HTTP: API key, input errors naming the field, a payment id,
a Microform transient token authorized through the connector on the Cybersource sandbox, a
repeated order number, a declined card."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import select, text

from slpay.api.server import uvicorn_config
from slpay.bootstrap import build_app, build_hub
from slpay.config import Settings
from slpay.sandbox.cybersource import SandboxConfig, run_in_thread
from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.engine import open_engine
from slpay.store.inbox import InboxEvent
from slpay.store.schema import inbox
from slpay.workflows.hub import Hub
from slpay.workflows.o2c import plan_event

pytestmark = pytest.mark.timeout(120)
KEY = "intake-key-for-tests-0001"


@dataclass
class Api:
    http: httpx.Client
    cs_url: str
    hub: Hub

    def post(self, body: Any, key: str | None = KEY) -> httpx.Response:
        headers = {"X-API-Key": key} if key is not None else {}
        return self.http.post("/api/orders", json=body, headers=headers)

    def inbox_rows(self) -> list[Any]:
        with self.hub.deps.hub.connect() as conn:
            return list(conn.execute(select(inbox).where(inbox.c.source == "api")))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp: Path = tmp_path_factory.mktemp("orders")
    sl_url = f"sqlite:///{tmp / 'sl.db'}"
    sl_engine = open_engine(sl_url)
    init_company(sl_engine)
    sl_engine.dispose()
    with run_in_thread(SandboxConfig(db_url=f"sqlite:///{tmp / 'cs.db'}")) as sandbox:
        settings = Settings(
            cybersource={"base_url": sandbox.base_url},
            sl={"db_url": sl_url},
            hub={"db_url": f"sqlite:///{tmp / 'hub.db'}"},
            api={"api_keys": {"shop": SecretStr(KEY)}},
        )
        hub = build_hub(settings, loops=False)  # the intake route needs no running workflows
        app = build_app(settings, hub)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", sock.getsockname()[1]))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as http:
                yield Api(http, sandbox.base_url, hub)
        finally:
            server.should_exit = True
            thread.join(10)
            hub.deps.cs.close()
            hub.deps.notifier.close()


def order(number: str, **extra: Any) -> dict[str, Any]:
    return {
        "order_number": number,
        "currency": "USD",
        "total": "29.97",
        "customer": {"email": "ann@example.com"},
        "bill_to": {"first_name": "Ann", "last_name": "Buyer", "address1": "1 Main St",
                    "city": "Springfield", "country": "US", "email": "ann@example.com"},
        "lines": [{"sku": "SKU-100", "name": "Widget", "quantity": "3", "unit_price": "9.99"}],
        **extra,
    }  # fmt: skip


def transient_token(api: Api) -> str:
    with httpx.Client(base_url=api.cs_url) as c:
        resp = c.post(
            "/sandbox/transient-tokens",
            json={"number": "4111111111111111", "expirationMonth": "12", "expirationYear": "2031"},
        )
    assert resp.status_code == 201
    return str(resp.json()["transientTokenJwt"])


def test_an_order_without_a_valid_api_key_is_refused(api: Api) -> None:
    assert api.post(order("KEY-1", payment_id="7"), key=None).status_code == 401
    assert api.post(order("KEY-1", payment_id="7"), key="not-the-key").status_code == 401
    assert [r for r in api.inbox_rows() if r.resource_id == "KEY-1"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"order_number": ""}, "order_number"),
        ({"currency": "DOLLARS"}, "currency"),
        ({"total": 29.97}, "total"),  # a binary float cannot hold cents exactly
        ({"lines": [{"sku": "X", "quantity": "0", "unit_price": "1.00"}]}, "lines[0].quantity"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    api: Api, change: dict[str, Any], field: str
) -> None:
    response = api.post(order("BAD-1", payment_id="7459402919376283904951") | change)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["field"] == field


def test_a_body_that_is_not_json_is_a_400(api: Api) -> None:
    response = api.http.post("/api/orders", content=b"{not json", headers={"X-API-Key": KEY})
    assert response.status_code == 400
    assert response.json()["detail"]["field"] == "body"


def test_an_order_with_a_payment_id_is_stored_for_the_hub(api: Api) -> None:
    response = api.post(order("PAY-1", payment_id="7459402919376283904951"))
    assert response.status_code == 201
    assert response.json() == {
        "order_number": "PAY-1", "payment_id": "7459402919376283904951", "status": "ACCEPTED",
    }  # fmt: skip
    (row,) = [r for r in api.inbox_rows() if r.resource_id == "PAY-1"]
    assert (row.event_type, row.status) == ("order.created", "new")
    assert row.payload["payment_id"] == "7459402919376283904951"


def test_a_transient_token_is_authorized_through_cybersource_and_never_stored(api: Api) -> None:
    token = transient_token(api)
    response = api.post(order("TOK-1", transient_token=token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "AUTHORIZED"
    tx = api.hub.deps.cs.get_transaction(body["payment_id"])
    assert tx.client_reference_information is not None
    assert tx.client_reference_information.code == "TOK-1"
    assert str(tx.amount) == "29.97 USD"
    (row,) = [r for r in api.inbox_rows() if r.resource_id == "TOK-1"]
    assert row.payload["payment_id"] == body["payment_id"]
    assert "transient_token" not in row.payload
    assert token not in str(row.payload)


def test_a_repeated_order_number_is_a_duplicate_stored_once(api: Api) -> None:
    first = api.post(order("DUP-1", payment_id="7459402919376283900001"))
    again = api.post(order("DUP-1", payment_id="7459402919376283900001"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "duplicate"
    assert len([r for r in api.inbox_rows() if r.resource_id == "DUP-1"]) == 1


def test_a_declined_card_is_a_402_and_the_order_is_stored_for_the_reject_webhook(
    api: Api,
) -> None:
    token = transient_token(api)
    response = api.post(order("DEC-1", total="3001.00", transient_token=token))
    assert response.status_code == 402
    assert response.json()["status"] == "DECLINED"
    payment_id = response.json()["payment_id"]
    assert payment_id
    (row,) = [r for r in api.inbox_rows() if r.resource_id == "DEC-1"]
    assert row.payload["payment_id"] == payment_id
    assert token not in str(row.payload)
    # The authorization carried the shop's billing address and lines.
    details = api.hub.deps.cs.get_transaction(payment_id).model_dump(by_alias=True, mode="json")
    assert details["orderInformation"]["billTo"]["email"] == "ann@example.com"
    assert [li["productSku"] for li in details["orderInformation"]["lineItems"]] == ["SKU-100"]


def test_the_reject_webhook_of_a_declined_api_order_writes_a_cancelled_so_for_the_customer(
    api: Api,
) -> None:
    token = transient_token(api)
    lines = [{"sku": "SKU-900", "name": "Big widget", "quantity": "1", "unit_price": "3001.00"}]
    response = api.post(order("DEC-2", total="3001.00", lines=lines, transient_token=token))
    assert response.status_code == 402
    payment_id = response.json()["payment_id"]
    reject = InboxEvent(
        id=0, dedupe_key=f"org|payments.payments.reject|{payment_id}", organization_id="org",
        event_type="payments.payments.reject", resource_id=payment_id, source="webhook",
        received_at=datetime.now(UTC), payload={}, status="claimed", attempts=1,
        next_attempt_at=None, last_error=None, claimed_by=None, claimed_at=None,
    )  # fmt: skip
    d = api.hub.deps
    plan = plan_event(d, reject)  # the batch's planning: raises (→ parked) without a customer
    assert plan.order is not None
    assert plan.order.cancelled
    assert plan.order.customer.email == "ann@example.com"
    so = d.writer.write_order(plan.order)
    with d.writer.engine.connect() as conn:
        header = conn.execute(
            text("SELECT Cancelled, CustID FROM SOHeader WHERE OrdNbr = :n"), {"n": so.ord_nbr}
        ).one()
        email = conn.execute(
            text("SELECT EMailAddr FROM Customer WHERE CustId = :c"), {"c": header.CustID}
        ).scalar_one()
    assert header.Cancelled == 1
    assert email.strip() == "ann@example.com"
