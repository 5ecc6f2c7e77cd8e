"""Response bodies of the payments family (FACTS §3.3), built from stored transactions.

Only field names that the official spec or SDK 0.0.80 know are emitted; amounts are strings.
``_links`` hrefs are relative paths, as Cybersource returns them.
"""

from __future__ import annotations

from typing import Any

from .ledger import Txn
from .outcomes import APPROVAL_CODE, INSIGHTS, message_for
from .store import unstamp
from .wire import utc_z

#: Where a transaction of each kind lives (for ``_links``).
RESOURCE = {
    "auth": "payments",
    "sale": "payments",
    "capture": "captures",
    "refund": "refunds",
    "credit": "credits",
    "reversal": "reversals",
    "void": "voids",
}


def link(path: str, method: str = "GET") -> dict[str, str]:
    return {"href": path, "method": method}


def self_link(txn: Txn) -> dict[str, str]:
    return link(f"/pts/v2/{RESOURCE[txn.kind]}/{txn.id}")


def _common(txn: Txn) -> dict[str, Any]:
    body: dict[str, Any] = {
        "_links": {"self": self_link(txn)},
        "id": txn.id,
        "submitTimeUtc": utc_z(unstamp(txn.submit_time)),
        "status": txn.status,
    }
    if txn.code:
        body["clientReferenceInformation"] = {"code": txn.code}
    return body


def payment_201(
    txn: Txn, *, created_tokens: dict[str, str] | None = None, ii_new: bool = False
) -> dict[str, Any]:
    body = _common(txn)
    d = txn.data
    if txn.reason:
        body["errorInformation"] = {"reason": txn.reason, "message": message_for(txn.reason)}
    if txn.status == "DECLINED":
        body["processorInformation"] = {"responseCode": d.get("responseCode", "05")}
        if txn.reason in INSIGHTS:
            code, category = INSIGHTS[txn.reason]
            body["paymentInsightsInformation"] = {
                "responseInsights": {"category": category, "categoryCode": code}
            }
        return body
    body["reconciliationId"] = txn.reconciliation_id
    if txn.kind == "auth" and txn.status == "AUTHORIZED":
        body["_links"]["capture"] = link(f"/pts/v2/payments/{txn.id}/captures", "POST")
    if txn.kind == "auth" and txn.status.startswith("AUTHORIZED"):
        body["_links"]["reversal"] = link(f"/pts/v2/payments/{txn.id}/reversals", "POST")
    amount = str(txn.amount)
    body["orderInformation"] = {
        "amountDetails": {
            "totalAmount": amount,
            "authorizedAmount": amount,
            "currency": txn.currency,
        }
    }
    proc: dict[str, Any] = {
        "approvalCode": APPROVAL_CODE,
        "responseCode": "100",
        "transactionId": d.get("processorTransactionId", ""),
        "networkTransactionId": d.get("networkTransactionId", ""),
    }
    if d.get("avs"):
        proc["avs"] = {"code": d["avs"], "codeRaw": d["avs"]}
    if d.get("cvn"):
        proc["cardVerification"] = {"resultCode": d["cvn"], "resultCodeRaw": d["cvn"]}
    body["processorInformation"] = proc
    pay: dict[str, Any] = {}
    if txn.card_suffix:
        pay["card"] = {"suffix": txn.card_suffix, "type": txn.card_type or "001"}
    tokens = d.get("tokens", {})
    if created_tokens:
        body["tokenInformation"] = _token_info(created_tokens, ii_new)
        for name in ("customer", "paymentInstrument", "instrumentIdentifier"):
            if name in created_tokens:
                body["_links"][name] = link(_tms_href(name, created_tokens[name]))
    elif tokens:
        for name in ("customer", "paymentInstrument", "instrumentIdentifier"):
            if name in tokens:
                pay[name] = {"id": tokens[name]}
        if "instrumentIdentifier" in pay:
            pay["instrumentIdentifier"]["state"] = "ACTIVE"
    if pay:
        body["paymentInformation"] = pay
    if d.get("risk"):
        risk = dict(d["risk"])
        risk["score"] = {**risk["score"], "result": str(risk["score"]["result"])}
        body["riskInformation"] = risk
    return body


def _token_info(tokens: dict[str, str], ii_new: bool) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for name in ("customer", "paymentInstrument", "instrumentIdentifier"):
        if name in tokens:
            info[name] = {"id": tokens[name]}
    if "instrumentIdentifier" in info:
        info["instrumentIdentifier"]["state"] = "ACTIVE"
        info["instrumentidentifierNew"] = ii_new
    return info


def _tms_href(name: str, token: str) -> str:
    return {
        "customer": f"/tms/v2/customers/{token}",
        "paymentInstrument": f"/tms/v1/paymentinstruments/{token}",
        "instrumentIdentifier": f"/tms/v1/instrumentidentifiers/{token}",
    }[name]


def capture_201(txn: Txn) -> dict[str, Any]:
    body = _common(txn)
    body["_links"]["void"] = link(f"/pts/v2/captures/{txn.id}/voids", "POST")
    body["_links"]["refund"] = link(f"/pts/v2/captures/{txn.id}/refunds", "POST")
    body["reconciliationId"] = txn.reconciliation_id
    body["orderInformation"] = {
        "amountDetails": {"totalAmount": str(txn.amount), "currency": txn.currency}
    }
    return body


def refund_201(txn: Txn) -> dict[str, Any]:
    body = _common(txn)
    body["_links"]["void"] = link(f"/pts/v2/refunds/{txn.id}/voids", "POST")
    body["reconciliationId"] = txn.reconciliation_id
    body["refundAmountDetails"] = {"refundAmount": str(txn.amount), "currency": txn.currency}
    body["processorInformation"] = {"responseCode": "100"}
    return body


def credit_201(txn: Txn) -> dict[str, Any]:
    body = _common(txn)
    body["_links"]["void"] = link(f"/pts/v2/credits/{txn.id}/voids", "POST")
    body["reconciliationId"] = txn.reconciliation_id
    body["creditAmountDetails"] = {"creditAmount": str(txn.amount), "currency": txn.currency}
    return body


def reversal_201(txn: Txn, original_amount: str) -> dict[str, Any]:
    body = _common(txn)
    body["reconciliationId"] = txn.reconciliation_id
    body["reversalAmountDetails"] = {
        "reversedAmount": str(txn.amount),
        "originalTransactionAmount": original_amount,
        "currency": txn.currency,
    }
    body["processorInformation"] = {"responseCode": "100"}
    body["authorizationInformation"] = {"approvalCode": APPROVAL_CODE, "reasonCode": "100"}
    return body


def void_201(txn: Txn, original_amount: str) -> dict[str, Any]:
    body = _common(txn)
    body["voidAmountDetails"] = {
        "voidAmount": str(txn.amount),
        "originalTransactionAmount": original_amount,
        "currency": txn.currency,
    }
    return body
