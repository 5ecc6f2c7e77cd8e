"""Transaction Search Service bodies (FACTS §4): transaction details and search summaries.

TSS spells the time ``submitTimeUTC`` in details (``submitTimeUtc`` in summaries) and gives
the risk score as an integer; ``applications[]`` carry the classic ``ics_*`` service names.
Objects copied from requests are filtered to the fields the TSS schemas know.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from .ledger import Txn
from .outcomes import APPROVAL_CODE, REASON_CODES, message_for
from .store import unstamp
from .wire import utc_z

BILL_TO = (
    "firstName", "lastName", "middleName", "nameSuffix", "address1", "address2", "locality",
    "administrativeArea", "postalCode", "company", "email", "country", "title", "phoneNumber",
)  # fmt: skip
SHIP_TO = (
    "firstName", "lastName", "address1", "address2", "locality", "administrativeArea",
    "postalCode", "company", "country", "phoneNumber",
)  # fmt: skip
LINE_ITEM = (
    "productCode",
    "productName",
    "productSku",
    "taxAmount",
    "unitPrice",
    "fulfillmentType",
)
SUMMARY_BILL_TO = ("firstName", "lastName", "email", "country", "phoneNumber")
SUMMARY_SHIP_TO = ("firstName", "lastName", "address1", "country", "phoneNumber")

SERVICE = {
    "capture": "ics_bill",
    "refund": "ics_credit",
    "credit": "ics_credit",
    "reversal": "ics_auth_reversal",
    "void": "ics_void",
}
OK_MESSAGE = "Request was processed successfully."


def _pick(doc: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(doc, dict):
        return {}
    return {k: str(doc[k]) for k in keys if doc.get(k) not in (None, "")}


def _app(name: str, ok: bool, reason: str | None, recon: str | None) -> dict[str, Any]:
    code, flag = ("100", "SOK") if ok else REASON_CODES.get(reason or "", ("203", "DCARDREFUSED"))
    app: dict[str, Any] = {
        "name": name,
        "reasonCode": code,
        "rCode": "1" if ok else "0",
        "rFlag": flag,
        "rMessage": OK_MESSAGE if ok else message_for(reason or "PROCESSOR_DECLINED"),
        "returnCode": 1010000 if ok else 1020000,
    }
    if recon:
        app["reconciliationId"] = recon
    return app


def applications(txn: Txn) -> list[dict[str, Any]]:
    if txn.kind in SERVICE:
        return [_app(SERVICE[txn.kind], True, None, txn.reconciliation_id)]
    approved = txn.status != "DECLINED"
    apps = [_app("ics_auth", approved, None if approved else txn.reason, txn.reconciliation_id)]
    if txn.decision:
        dm_ok = txn.decision == "ACCEPT"
        apps.append(_app("ics_score", True, None, None))
        apps.append(_app("ics_decision", dm_ok, None if dm_ok else txn.reason, None))
    if txn.kind == "sale":
        apps.append(_app("ics_bill", True, None, txn.reconciliation_id))
    return apps


def application_information(txn: Txn) -> dict[str, Any]:
    ok = txn.reason is None
    code, flag = (
        ("100", "SOK") if ok else REASON_CODES.get(txn.reason or "", ("203", "DCARDREFUSED"))
    )
    return {
        "status": txn.status,
        "reasonCode": code,
        "rCode": "1" if ok else "0",
        "rFlag": flag,
        "applications": applications(txn),
    }


def _card(txn: Txn, *, with_expiry: bool) -> dict[str, Any]:
    card: dict[str, Any] = {}
    if txn.card_suffix:
        card = {"suffix": txn.card_suffix, "prefix": txn.card_bin, "type": txn.card_type}
        exp = txn.data.get("exp") or [None, None]
        if with_expiry and exp[0] and exp[1]:
            card["expirationMonth"], card["expirationYear"] = exp[0], exp[1]
    return card


def transaction_details(
    txn: Txn, merchant_id: str, related: list[str], refund_balance: Decimal | None = None
) -> dict[str, Any]:
    d = txn.data
    amounts: dict[str, Any] = {"totalAmount": str(txn.amount), "currency": txn.currency}
    if txn.kind in ("auth", "sale") and txn.status != "DECLINED":
        amounts["authorizedAmount"] = str(txn.amount)
    if refund_balance is not None:
        amounts["refundBalance"] = str(refund_balance)
    order: dict[str, Any] = {"amountDetails": amounts}
    if d.get("billTo"):
        order["billTo"] = _pick(d["billTo"], BILL_TO)
    if d.get("shipTo"):
        order["shipTo"] = _pick(d["shipTo"], SHIP_TO)
    if isinstance(d.get("lineItems"), list):
        order["lineItems"] = [_line_item(li) for li in d["lineItems"] if isinstance(li, dict)]
    body: dict[str, Any] = {
        "id": txn.id,
        "rootId": txn.root_id,
        "merchantId": merchant_id,
        "status": txn.status,
        "submitTimeUTC": utc_z(unstamp(txn.submit_time)),
        "applicationInformation": application_information(txn),
        "clientReferenceInformation": {"code": txn.code or "", "applicationName": "REST API"},
        "orderInformation": order,
        "_links": {
            "self": {"href": f"/tss/v2/transactions/{txn.id}", "method": "GET"},
        },
    }
    if txn.reconciliation_id:
        body["reconciliationId"] = txn.reconciliation_id
    if related:
        body["_links"]["relatedTransactions"] = [
            {"href": f"/tss/v2/transactions/{r}", "method": "GET"} for r in related
        ]
    pay: dict[str, Any] = {}
    card = _card(txn, with_expiry=True)
    if card:
        pay["card"] = card
    tokens = d.get("tokens") or {}
    if tokens:
        # TMS ids (32 characters) go in tokenInformation; paymentInformation.customer.customerId
        # is the legacy 26-character subscription id.
        body["tokenInformation"] = {k: {"id": v} for k, v in tokens.items()}
    if pay:
        body["paymentInformation"] = pay
    if d.get("mdd"):
        body["merchantDefinedInformation"] = d["mdd"]
    if txn.reason:
        body["errorInformation"] = {"reason": txn.reason, "message": message_for(txn.reason)}
    if txn.kind in ("auth", "sale") and txn.status != "DECLINED":
        proc: dict[str, Any] = {
            "processor": {"name": "sandbox"},
            "approvalCode": APPROVAL_CODE,
            "responseCode": "100",
            "transactionId": d.get("processorTransactionId", ""),
            "networkTransactionId": d.get("networkTransactionId", ""),
        }
        if d.get("avs"):
            proc["avs"] = {"code": d["avs"], "codeRaw": d["avs"]}
        if d.get("cvn"):
            proc["cardVerification"] = {"resultCode": d["cvn"]}
        body["processorInformation"] = proc
    if d.get("commerceIndicator"):
        body["processingInformation"] = {"commerceIndicator": str(d["commerceIndicator"])}
    if d.get("ipAddress"):
        body["deviceInformation"] = {"ipAddress": str(d["ipAddress"])}
    if d.get("merchantCustomerId"):
        body["buyerInformation"] = {"merchantCustomerId": str(d["merchantCustomerId"])}
    if d.get("risk") and txn.decision:
        risk = d["risk"]
        body["riskInformation"] = {
            "profile": {"name": risk["profile"]["name"], "decision": txn.decision},
            "rules": risk.get("rules", []),
            "score": {
                "result": int(risk["score"]["result"]),
                "factorCodes": risk["score"]["factorCodes"],
            },
        }
    return body


def _line_item(li: dict[str, Any]) -> dict[str, Any]:
    out = _pick(li, LINE_ITEM)
    if li.get("quantity") is not None:
        with contextlib.suppress(TypeError, ValueError):
            out["quantity"] = int(li["quantity"])
    return out


def summary(txn: Txn, merchant_id: str) -> dict[str, Any]:
    d = txn.data
    order: dict[str, Any] = {
        "amountDetails": {"totalAmount": str(txn.amount), "currency": txn.currency}
    }
    if d.get("billTo"):
        order["billTo"] = _pick(d["billTo"], SUMMARY_BILL_TO)
    if d.get("shipTo"):
        order["shipTo"] = _pick(d["shipTo"], SUMMARY_SHIP_TO)
    info = application_information(txn)
    info.pop("status")
    body: dict[str, Any] = {
        "id": txn.id,
        "submitTimeUtc": utc_z(unstamp(txn.submit_time)),
        "merchantId": merchant_id,
        "status": txn.status,
        "applicationInformation": info,
        "clientReferenceInformation": {"code": txn.code or "", "applicationName": "REST API"},
        "orderInformation": order,
        "_links": {
            "transactionDetail": {"href": f"/tss/v2/transactions/{txn.id}", "method": "GET"}
        },
    }
    card = _card(txn, with_expiry=False)
    if card:
        body["paymentInformation"] = {"card": card}
    if d.get("mdd"):
        body["merchantDefinedInformation"] = d["mdd"]
    if txn.kind in ("auth", "sale") and txn.status != "DECLINED":
        body["processorInformation"] = {
            "processor": {"name": "sandbox"},
            "approvalCode": APPROVAL_CODE,
        }
    return body
