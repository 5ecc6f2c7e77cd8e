"""A scripted run of every operation slpay uses, through our connector, against the sandbox.

The run goes over real HTTP (the sandbox served on a loopback port) and every exchange is
recorded at the transport: the exact request bytes the client put on the wire and the exact
response bytes the sandbox sent back. ``test_spec_responses.py`` then judges both against the
official spec. Outcomes the connector cannot (or must not) produce itself — a 400 for a bad
body, a 502 — are sent with our signer over plain httpx through the same recorder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx

from slpay.connectors.cybersource import CybersourceClient, build_authorize_request
from slpay.connectors.cybersource.auth import Credentials, HttpSignatureAuth
from slpay.connectors.cybersource.models.common import Address, LineItem
from slpay.connectors.cybersource.requests import build_capture_request, new_transaction_id
from slpay.connectors.cybersource.setup_requests import (
    build_customer_request,
    build_payment_instrument_request,
    build_webhook_request,
)
from slpay.domain.money import Money
from slpay.retry import RetryPolicy
from slpay.sandbox.cybersource.config import SandboxConfig

API_HOST = "apitest.cybersource.com"
TEST_CARD = "4111111111111111"  # FACTS §11; the sandbox's TMS is the only place it is accepted


@dataclass
class Exchange:
    """One request as sent and its answer as received."""

    step: str
    method: str
    target: str
    request_body: bytes | None
    status: int
    content_type: str
    response_body: bytes


class RecordingTransport(httpx.BaseTransport):
    """A real HTTP transport that keeps a copy of every exchange, labelled by the current step."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.exchanges: list[Exchange] = []
        self.step = "?"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        content = response.read()  # cached: the client reads the same bytes afterwards
        self.exchanges.append(
            Exchange(
                step=self.step,
                method=request.method,
                target=request.url.raw_path.decode("ascii"),
                request_body=request.content if request.method != "GET" else None,
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                response_body=content,
            )
        )
        return response

    def close(self) -> None:
        self._inner.close()


def _bill_to(line1: str) -> Address:
    return Address(
        first_name="Ada",
        last_name="Lovelace",
        address1=line1,
        locality="London",
        postal_code="SE1 9RA",
        country="GB",
        email="ada@example.com",
    )


class Script:
    """The steps, each recorded under its own label (``self.step("…")``)."""

    def __init__(self, base_url: str, config: SandboxConfig, recorder: RecordingTransport):
        self.base_url = base_url
        self.rec = recorder
        self.cs = CybersourceClient(
            base_url=base_url,
            host=API_HOST,
            merchant_id=config.merchant_id,
            key_id=config.key_id,
            shared_secret_b64=config.shared_secret,
            transport=recorder,
            retry=RetryPolicy(attempts=1),
        )
        creds = Credentials.from_base64(config.merchant_id, config.key_id, config.shared_secret)
        self.raw = httpx.Client(
            base_url=base_url, auth=HttpSignatureAuth(creds, API_HOST), transport=recorder
        )
        self.control = httpx.Client(base_url=base_url, timeout=10.0)
        self.org = config.merchant_id
        self.sale_id = ""
        self.day = datetime.now(UTC).date()

    def step(self, label: str) -> None:
        self.rec.step = label

    def close(self) -> None:
        self.cs.close()
        self.raw.close()
        self.control.close()

    # --- the run -------------------------------------------------------------------------

    def run(self) -> None:
        customer_id = self.tokens()
        self.payments(customer_id)
        self.risk(customer_id)
        self.errors(customer_id)
        self.lookups()
        self.settlement()
        self.subscriptions()

    def _pay(self, customer_id: str, amount: str, order: str, **kw: Any) -> Any:
        kw.setdefault("bill_to", _bill_to("1 London Bridge"))
        request = build_authorize_request(
            Money.of(amount, "USD"), code=order, customer_id=customer_id, **kw
        )
        return self.cs.authorize(request)

    def tokens(self) -> str:
        self.step("TMS instrument identifier")
        ii = self.cs.create_instrument_identifier(TEST_CARD)
        self.step("TMS get instrument identifier")
        self.cs.get_instrument_identifier(ii.id or "")
        self.step("TMS customer")
        customer = self.cs.create_customer(
            build_customer_request(merchant_customer_id="CUST-1", email="ada@example.com")
        )
        cid = customer.id or ""
        self.step("TMS customer payment instrument")
        pi = build_payment_instrument_request(
            instrument_identifier_id=ii.id or "",
            expiration_month="12",
            expiration_year="2031",
            bill_to=_bill_to("1 London Bridge"),
            default=True,
        )
        created = self.cs.create_customer_payment_instrument(cid, pi)
        self.step("TMS get customer")
        self.cs.get_customer(cid)
        self.step("TMS list customer payment instruments")
        self.cs.list_customer_payment_instruments(cid)
        self.step("TMS get customer payment instrument")
        self.cs.get_customer_payment_instrument(cid, created.id or "")
        self.step("TMS stand-alone payment instrument")
        alone = self.cs.create_payment_instrument(pi)
        self.step("TMS get payment instrument")
        self.cs.get_payment_instrument(alone.id or "")
        return cid

    def payments(self, cid: str) -> None:
        self.step("authorize")
        lines = [LineItem(product_name="Widget", product_sku="W-1", quantity=1)]
        auth = self._pay(cid, "25.00", "SO-1", line_items=lines, merchant_defined={1: "web"})
        self.step("partial capture")
        part = build_capture_request(Money.of("10.00", "USD"), code="SO-1", sequence=(1, 2))
        cap = self.cs.capture(auth.id or "", part)
        self.step("capture")
        self.cs.capture(auth.id or "", Money.of("15.00", "USD"), code="SO-1")
        self.step("refund of a capture")
        refund = self.cs.refund_capture(cap.id or "", Money.of("4.00", "USD"), code="SO-1")
        self.step("void of a refund")
        self.cs.void_refund(refund.id or "", code="SO-1")
        self.step("sale")
        sale = self._pay(cid, "30.00", "SO-2", capture=True)
        self.sale_id = sale.id or ""
        self.step("refund of a payment")
        self.cs.refund_payment(sale.id or "", Money.of("5.00", "USD"), code="SO-2")
        self.step("void of a capture")
        auth3 = self._pay(cid, "12.00", "SO-3")
        cap3 = self.cs.capture(auth3.id or "", Money.of("12.00", "USD"), code="SO-3")
        self.cs.void_capture(cap3.id or "", code="SO-3")
        self.step("reversal")
        auth4 = self._pay(cid, "8.00", "SO-4")
        self.cs.reverse(auth4.id or "", Money.of("8.00", "USD"), code="SO-4")
        self.step("void of a payment")
        sale5 = self._pay(cid, "9.00", "SO-5", capture=True)
        self.cs.void_payment(sale5.id or "", code="SO-5")
        self.step("timeout reversal")
        tid = new_transaction_id()
        self._pay(cid, "7.00", "SO-6", transaction_id=tid)
        self.cs.timeout_reversal(tid, Money.of("7.00", "USD"), code="SO-6")
        self.step("timeout void")
        auth7 = self._pay(cid, "6.00", "SO-7")
        tid7 = new_transaction_id()
        capture7 = build_capture_request(Money.of("6.00", "USD"), code="SO-7", transaction_id=tid7)
        self.cs.capture(auth7.id or "", capture7)
        self.cs.timeout_void(tid7, code="SO-7")
        self.step("transaction details")
        self.cs.get_transaction(auth.id or "")
        self.cs.get_transaction(cap.id or "")
        self.cs.get_transaction(refund.id or "")
        self.step("transaction search")
        self.cs.search("clientReferenceInformation.code:SO-1")

    def risk(self, cid: str) -> None:
        self.step("decline")
        self._pay(cid, "3001.00", "SO-8")
        self.step("review")
        review = self._pay(cid, "40.00", "SO-9", bill_to=_bill_to("2 London Bridge"))
        self.step("DM accept")
        self.cs.decision_action(review.id or "", accept=True, comments="ok")
        self.step("DM reject")
        review2 = self._pay(cid, "41.00", "SO-10", bill_to=_bill_to("2 London Bridge"))
        self.cs.decision_action(review2.id or "", accept=False)
        self.step("risk declined")
        self._pay(cid, "42.00", "SO-11", bill_to=_bill_to("3 London Bridge"))

    def errors(self, cid: str) -> None:
        self.step("400 missing field")
        body = {"clientReferenceInformation": {"code": "SO-12", "transactionId": "t-12"}}
        self.raw.post("/pts/v2/payments", json=body)
        self.step("400 malformed JSON")
        self.raw.post("/pts/v2/payments", content=b'{"clientReferenceInformation": ')
        self.step("502 server error")
        force = {"outcome": "server_error", "path": "/pts/v2/payments"}
        self.control.post("/sandbox/force", json=force).raise_for_status()
        self.raw.post(
            "/pts/v2/payments",
            json={
                "clientReferenceInformation": {"code": "SO-13", "transactionId": "t-13"},
                "paymentInformation": {"customer": {"id": cid}},
                "orderInformation": {"amountDetails": {"totalAmount": "1.00", "currency": "USD"}},
            },
        )

    def lookups(self) -> None:
        self.step("transaction search (none found)")
        self.cs.search("clientReferenceInformation.code:NO-SUCH-ORDER")

    def settlement(self) -> None:
        self.step("close the day")
        closing = {"date": self.day.isoformat()}
        self.control.post("/sandbox/close-day", json=closing).raise_for_status()
        start = datetime.combine(self.day, time.min, tzinfo=UTC)
        end = start + timedelta(days=1)
        self.step("net fundings")
        self.cs.net_fundings(start, end)
        self.step("payment batch summaries")
        self.cs.payment_batch_summaries(start, end)
        self.step("chargeback details")
        chargeback = {"transactionId": self.sale_id, "amount": "5.00"}
        self.control.post("/sandbox/chargebacks", json=chargeback).raise_for_status()
        self.cs.chargeback_details(start, end)
        self.step("report download")
        self.cs.download_report(self.day + timedelta(days=1), "PaymentBatchDetailReport")

    def subscriptions(self) -> None:
        self.step("webhook key")
        self.cs.create_webhook_key(self.org)
        self.step("webhook subscription")
        request = build_webhook_request(
            webhook_url="https://hub.example.com/webhooks/cybersource",
            products={"cardProcessing": ["payments.captures.accept"]},
            organization_id=self.org,
            name="slpay contract test",
        )
        hook = self.cs.create_webhook(request)
        self.step("webhook list")
        self.cs.list_webhooks(self.org)
        self.step("webhook get")
        self.cs.get_webhook(hook.webhook_id or "")


@dataclass
class RunResult:
    exchanges: list[Exchange]
    #: The step that raised and the error, when the run stopped early.
    failure: str | None


def run_script(base_url: str, config: SandboxConfig) -> RunResult:
    """Run the script once; keep what was recorded even when a step failed midway."""
    recorder = RecordingTransport()
    script = Script(base_url, config, recorder)
    failure = None
    try:
        script.run()
    except Exception as exc:  # reported by a test, with everything recorded up to here
        failure = f"step {recorder.step!r}: {type(exc).__name__}: {exc}"
    finally:
        script.close()
    return RunResult(recorder.exchanges, failure)
