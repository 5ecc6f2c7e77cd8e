"""An in-memory Cybersource behind ``httpx.MockTransport``, shared by the connector's unit tests.

It checks every request's HTTP Signature over the bytes it received (so a client that signs
anything other than what it sends fails), keeps transactions by id and by
``clientReferenceInformation.transactionId``, answers transaction search, timeout reversal and
timeout void, and can be told to misbehave for the next matching request:

- ``hang_after``: execute the operation, then never answer (``httpx.ReadTimeout``), the
  execute-then-hang case that makes an outcome ambiguous;
- ``hang_before``: never answer and never execute;
- ``drop_after``: execute, then close the connection (``RemoteProtocolError``);
- an int status (with optional headers/body): answer that without executing.

The tests at the bottom pin the fake itself, so the connector tests can rely on it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from slpay.connectors.cybersource.auth import (
    Credentials,
    body_digest,
    hmac_b64,
    parse_signature_header,
    signing_string,
)

MERCHANT = "fake_merchant"
KEY_ID = "11111111-2222-3333-4444-555555555555"
SECRET_B64 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
HOST = "apitest.cybersource.com"
BASE_URL = "http://cybersource.test"
CREDS = Credentials.from_base64(MERCHANT, KEY_ID, SECRET_B64)

Fault = str | int | tuple[int, dict[str, str], Any]


@dataclass
class Txn:
    id: str
    kind: str
    status: str
    amount: str | None
    currency: str | None
    code: str | None
    transaction_id: str | None
    parent: str | None = None


@dataclass
class FakeCybersource:
    """Cybersource's payment paths, held in memory; see the module docstring."""

    echo_transaction_id: bool = True
    #: Searches that find nothing before a new transaction is indexed (TSS indexing delay).
    index_delay: int = 0
    requests: list[httpx.Request] = field(default_factory=list)
    txns: dict[str, Txn] = field(default_factory=dict)
    faults: list[tuple[re.Pattern[str], Fault]] = field(default_factory=list)
    extra_routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = field(
        default_factory=dict
    )
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _searches: int = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail_next(self, path_pattern: str, fault: Fault) -> None:
        """Misbehave on the next request whose ``METHOD path`` matches ``path_pattern``."""
        self.faults.append((re.compile(path_pattern), fault))

    def posts_to(self, path: str) -> list[dict[str, Any]]:
        """Bodies of every POST received on exactly ``path``."""
        return [
            json.loads(r.content)
            for r in self.requests
            if r.method == "POST" and r.url.raw_path.decode() == path
        ]

    # --- the fake service -------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self._signed(request):
            return httpx.Response(401, json={"response": {"rmsg": "Authentication Failed"}})
        target = f"{request.method} {request.url.raw_path.decode()}"
        fault = self._take_fault(target)
        if isinstance(fault, int | tuple):
            status, headers, body = fault if isinstance(fault, tuple) else (fault, {}, None)
            return httpx.Response(status, headers=headers, json=body)
        if fault == "hang_before":
            raise httpx.ReadTimeout("no answer", request=request)
        response = self._route(request)
        if fault == "hang_after":
            raise httpx.ReadTimeout("executed, then no answer", request=request)
        if fault == "drop_after":
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        return response

    def _take_fault(self, target: str) -> Fault | None:
        for i, (pattern, fault) in enumerate(self.faults):
            if pattern.search(target):
                del self.faults[i]
                return fault
        return None

    def _signed(self, request: httpx.Request) -> bool:
        sig = parse_signature_header(request.headers.get("signature", ""))
        digest = request.headers.get("digest")
        if request.method in ("POST", "PUT", "PATCH") and digest != body_digest(request.content):
            return False
        expected = hmac_b64(
            CREDS.secret,
            signing_string(
                method=request.method,
                target=request.url.raw_path.decode("ascii"),
                host=request.headers.get("host", ""),
                date=request.headers.get("date", ""),
                merchant_id=request.headers.get("v-c-merchant-id", ""),
                digest=digest,
            ),
        )
        return (
            sig.get("keyid") == KEY_ID
            and request.headers.get("host") == HOST
            and sig.get("signature") == expected
        )

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        extra = self.extra_routes.get((request.method, path))
        if extra is not None:
            return extra(request)
        data = json.loads(request.content) if request.content else {}
        if request.method == "POST" and path == "/pts/v2/payments":
            return self._authorize(data)
        if request.method == "POST" and path == "/tss/v2/searches":
            return self._search(data)
        if request.method == "POST" and path == "/pts/v2/reversals":
            return self._timeout_undo(data, "authorization", "REVERSED")
        if request.method == "POST" and path == "/pts/v2/voids":
            return self._timeout_undo(data, None, "VOIDED")
        m = re.fullmatch(r"/pts/v2/(payments|captures|refunds)/(\w+)/(\w+)", path)
        if request.method == "POST" and m:
            return self._follow_on(m.group(1), m.group(2), m.group(3), data)
        m = re.fullmatch(r"/tss/v2/transactions/(\w+)", path)
        if request.method == "GET" and m and m.group(1) in self.txns:
            return httpx.Response(200, json=self._details(self.txns[m.group(1)]))
        return httpx.Response(404, json={"message": "not found"})

    def _new(
        self, kind: str, status: str, data: dict[str, Any], amount: Any, parent: str | None
    ) -> Txn:
        ref = data.get("clientReferenceInformation", {})
        txn = Txn(
            id=f"{7000000000000000000000 + next(self._ids)}",
            kind=kind,
            status=status,
            amount=(amount or {}).get("totalAmount"),
            currency=(amount or {}).get("currency"),
            code=ref.get("code"),
            transaction_id=ref.get("transactionId"),
            parent=parent,
        )
        self.txns[txn.id] = txn
        return txn

    def _authorize(self, data: dict[str, Any]) -> httpx.Response:
        order = data.get("orderInformation", {})
        declined = order.get("billTo", {}).get("address1") == "decline"
        status = "DECLINED" if declined else "AUTHORIZED"
        txn = self._new("authorization", status, data, order.get("amountDetails"), None)
        body = self._reply(txn)
        body["orderInformation"] = {
            "amountDetails": {"authorizedAmount": txn.amount, "currency": txn.currency}
        }
        if declined:
            body["errorInformation"] = {"reason": "INSUFFICIENT_FUND", "message": "Declined"}
        else:
            body["processorInformation"] = {"approvalCode": "123456"}
        return httpx.Response(201, json=body)

    def _follow_on(
        self, kind: str, parent: str, action: str, data: dict[str, Any]
    ) -> httpx.Response:
        if parent not in self.txns:
            return httpx.Response(404, json={"message": "unknown id"})
        statuses = {
            "captures": "PENDING",
            "refunds": "PENDING",
            "reversals": "REVERSED",
            "voids": "VOIDED",
        }
        amount = data.get("orderInformation", {}).get("amountDetails") or data.get(
            "reversalInformation", {}
        ).get("amountDetails")
        txn = self._new(action.rstrip("s"), statuses[action], data, amount, parent)
        body = self._reply(txn)
        echo = {"totalAmount": txn.amount, "currency": txn.currency}
        if action == "captures":
            body["orderInformation"] = {"amountDetails": echo}
        elif action == "refunds":
            body["refundAmountDetails"] = {"refundAmount": txn.amount, "currency": txn.currency}
        return httpx.Response(201, json=body)

    def _timeout_undo(self, data: dict[str, Any], kind: str | None, status: str) -> httpx.Response:
        tid = data.get("clientReferenceInformation", {}).get("transactionId")
        targets = [
            t
            for t in self.txns.values()
            if t.transaction_id == tid and (kind is None or t.kind == kind)
        ]
        if not targets:
            return httpx.Response(404, json={"message": "no transaction with that transactionId"})
        for t in targets:
            t.status = status
        txn = self._new(f"timeout_{status.lower()}", status, data, None, targets[0].id)
        return httpx.Response(201, json=self._reply(txn))

    def _search(self, data: dict[str, Any]) -> httpx.Response:
        self._searches += 1
        terms = dict(t.split(":", 1) for t in re.split(r"\s+AND\s+", data["query"]))
        tid = terms.get("clientReferenceInformation.transactionId", "").strip('"')
        hits = (
            []
            if self._searches <= self.index_delay
            else [t for t in self.txns.values() if t.transaction_id == tid]
        )
        summaries = []
        for t in hits:
            ref: dict[str, Any] = {"code": t.code}
            if self.echo_transaction_id:
                ref["transactionId"] = t.transaction_id
            summaries.append(
                {
                    "id": t.id,
                    "submitTimeUtc": "2026-01-01T00:00:00Z",
                    "status": t.status,
                    "clientReferenceInformation": ref,
                    "orderInformation": {
                        "amountDetails": {"totalAmount": t.amount, "currency": t.currency}
                    },
                }
            )
        return httpx.Response(
            201,
            json={
                "searchId": "s1",
                "query": data["query"],
                "count": len(summaries),
                "totalCount": len(summaries),
                "_embedded": {"transactionSummaries": summaries},
            },
        )

    def _reply(self, txn: Txn) -> dict[str, Any]:
        return {
            "id": txn.id,
            "submitTimeUtc": "2026-01-01T00:00:00Z",
            "status": txn.status,
            "clientReferenceInformation": {"code": txn.code, "transactionId": txn.transaction_id},
            "_links": {"self": {"href": f"/pts/v2/x/{txn.id}", "method": "GET"}},
        }

    def _details(self, txn: Txn) -> dict[str, Any]:
        return {
            "id": txn.id,
            "rootId": txn.parent or txn.id,
            "submitTimeUTC": "2026-01-01T00:00:00Z",
            "status": txn.status,
            "clientReferenceInformation": {"code": txn.code},
            "orderInformation": {
                "amountDetails": {"totalAmount": txn.amount, "currency": txn.currency}
            },
            "applicationInformation": {"applications": [{"name": "ics_auth", "rCode": "1"}]},
        }


# --- the fake's own behaviour -----------------------------------------------------------


def _signed_post(path: str, body: bytes, secret_b64: str = SECRET_B64) -> httpx.Request:
    from slpay.connectors.cybersource.auth import sign

    creds = Credentials.from_base64(MERCHANT, KEY_ID, secret_b64)
    headers = sign(creds, method="POST", target=path, host=HOST, date="x", body=body)
    return httpx.Request("POST", BASE_URL + path, headers=headers, content=body)


def test_fake_refuses_a_request_signed_with_another_secret() -> None:
    fake = FakeCybersource()
    body = b'{"orderInformation":{}}'
    good = fake.handle(_signed_post("/pts/v2/payments", body))
    bad = fake.handle(_signed_post("/pts/v2/payments", body, "c2VjcmV0LXRoYXQtaXMtd3Jvbmc="))
    assert good.status_code == 201
    assert bad.status_code == 401


def test_fake_hang_after_executes_then_times_out() -> None:
    fake = FakeCybersource()
    fake.fail_next("POST /pts/v2/payments$", "hang_after")
    body = b'{"clientReferenceInformation":{"transactionId":"t1"},"orderInformation":{}}'
    try:
        fake.handle(_signed_post("/pts/v2/payments", body))
    except httpx.ReadTimeout:
        pass
    else:  # pragma: no cover - the fake must hang
        raise AssertionError("expected a timeout")
    assert [t.transaction_id for t in fake.txns.values()] == ["t1"]
