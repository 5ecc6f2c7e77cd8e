"""What FACTS.md says must be there, per operation: essential fields and allowed values.

The official spec marks almost nothing as required and lists statuses/reasons only in
description text, so a schema built from it alone would let ``{}`` through. These rules make
the contract tests bite. Each choice cites FACTS.md (../shared/reference/cybersource):

- every payments-family 201 carries ``id``, ``submitTimeUtc`` (``YYYY-MM-DDThh:mm:ssZ``),
  ``status`` and ``clientReferenceInformation.code`` (§3.3 "common to all 201s"); when the
  operation succeeded, its amount echo (named differently per operation, §3.3's table) is
  required too, and so is ``reconciliationId`` for what settles (authorizations, captures,
  refunds: the reports' ``trans_ref_no``, §9; voids have no such field);
- declines and reviews carry ``errorInformation.reason`` and ``.message`` (§3.6);
- every 400 and 502 has ``status``/``reason``/``message`` at the top level (§3.6);
- ``status``/``reason`` values come from FACTS' lists (§3.4, §3.5), not the spec's text;
- TSS GET: ``id``, ``submitTimeUTC`` (sic), ``status``, ``merchantId``, the MRN, the
  applications and the currency (§4); its ``status`` is the described transaction's own, so
  any payments-family status of §3.4 is accepted; ``rCode`` is ``-1``/``0``/``1``;
- requests: an authorization carries the MRN (§3.2 "required for authorization"); every
  payments-family POST carries a ``clientReferenceInformation.transactionId`` (§11 and
  DESIGN.md convention 5: the only safe way to resolve a timeout is a timeout reversal/void
  with the same id); amounts are non-negative decimal strings (§3.2, §12 item 7);
- TMS, DM actions, reporting and webhooks: the ids, states and totals §5.2, §6, §8.1, §9 name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from _closed_schema import Schema, require, restrict, when_status
from _facts_values import (
    AMOUNT,
    CAPTURE_STATUSES,
    PAYMENT_ERROR_REASONS,
    PAYMENT_STATUSES,
    REASONS_400,
    REASONS_502,
    REFUND_STATUSES,
    REVERSAL_STATUSES,
    TRANSACTION_STATUSES,
    UTC_SECONDS,
    VOID_STATUSES,
)


@dataclass
class Rules:
    """Required dotted paths, allowed values, string patterns, status-dependent needs."""

    required: list[str] = field(default_factory=list)
    enums: dict[str, list[str]] = field(default_factory=dict)
    patterns: dict[str, str] = field(default_factory=dict)
    #: (statuses, paths): when ``status`` is one of the statuses, the paths are required too.
    when: list[tuple[list[str], list[str]]] = field(default_factory=list)


_MRN = "clientReferenceInformation.code"
_TXN = "clientReferenceInformation.transactionId"
_TOTAL = ["orderInformation.amountDetails.totalAmount", "orderInformation.amountDetails.currency"]
ECHO = {
    "capture": _TOTAL,
    "refund": ["refundAmountDetails.refundAmount", "refundAmountDetails.currency"],
    "reversal": ["reversalAmountDetails.reversedAmount", "reversalAmountDetails.currency"],
    "void": ["voidAmountDetails.voidAmount", "voidAmountDetails.currency"],
}
STATUSES = {
    "capture": CAPTURE_STATUSES,
    "refund": REFUND_STATUSES,
    "reversal": REVERSAL_STATUSES,
    "void": VOID_STATUSES,
}
SUCCESS = {"capture": CAPTURE_STATUSES, "refund": ["PENDING"], "reversal": ["REVERSED"]}
SUCCESS["void"] = ["VOIDED"]
#: What reaches the settlement reports carries reconciliationId (their ``trans_ref_no``, §9).
SETTLES = {"capture": ["reconciliationId"], "refund": ["reconciliationId"]}


def _amounts(paths: list[str]) -> dict[str, str]:
    return {p: AMOUNT for p in paths if p.lower().endswith("amount")}


def _payment_201() -> Rules:
    authorized = ["AUTHORIZED", "PARTIAL_AUTHORIZED", "AUTHORIZED_PENDING_REVIEW"]
    flagged = ["DECLINED", "AUTHORIZED_PENDING_REVIEW", "AUTHORIZED_RISK_DECLINED"]
    amount = "orderInformation.amountDetails."
    return Rules(
        required=["id", "submitTimeUtc", "status", _MRN],
        enums={
            "status": PAYMENT_STATUSES,
            "errorInformation.reason": PAYMENT_ERROR_REASONS,
            "riskInformation.rules[].decision": ["IGNORE", "REVIEW", "REJECT", "ACCEPT"],
        },
        patterns={"submitTimeUtc": UTC_SECONDS}
        | _amounts([amount + "authorizedAmount", amount + "totalAmount"]),
        when=[
            (authorized, ["reconciliationId", amount + "authorizedAmount", amount + "currency"]),
            ([*flagged, "PENDING_REVIEW"], ["errorInformation.reason", "errorInformation.message"]),
        ],
    )


def _family_201(family: str, *, by_id: bool) -> Rules:
    """Capture/refund/reversal/void 201; a timeout reversal/void (no id) echoes no amount."""
    echo = ECHO[family] if by_id else []
    return Rules(
        required=["id", "submitTimeUtc", "status", _MRN],
        enums={"status": STATUSES[family]},
        patterns={"submitTimeUtc": UTC_SECONDS} | _amounts(echo),
        when=[(SUCCESS[family], [*echo, *SETTLES.get(family, [])])] if by_id else [],
    )


def _error(status: str, reasons: list[str]) -> Rules:
    enums = {"status": [status], "reason": reasons}
    if status == "INVALID_REQUEST":
        enums["details[].reason"] = ["MISSING_FIELD", "INVALID_DATA"]
    return Rules(
        required=["status", "reason", "message"],
        enums=enums,
        patterns={"submitTimeUtc": UTC_SECONDS},
    )


def _family(template: str) -> str | None:
    """Which payments-family operation a ``/pts/v2/…`` template is."""
    last = template.rstrip("/").rsplit("/", 1)[-1]
    return {
        "payments": "payment",
        "captures": "capture",
        "refunds": "refund",
        "reversals": "reversal",
        "voids": "void",
    }.get(last)


def _pts_request(family: str, by_id: bool) -> Rules:
    if family == "payment":  # the MRN is required for an authorization (§3.2)
        return Rules(required=[_MRN, _TXN, *_TOTAL], patterns=_amounts(_TOTAL))
    if family in ("capture", "refund"):
        return Rules(required=[_TXN, *_TOTAL], patterns=_amounts(_TOTAL))
    if family == "reversal" and by_id:
        total = "reversalInformation.amountDetails.totalAmount"
        return Rules(required=[_TXN, total], patterns=_amounts([total]))
    # Voids and the timeout reversal/void (found by the transactionId of the lost request).
    return Rules(required=[_TXN])


def _pts_rules(template: str, kind: str) -> Rules | None:
    family = _family(template)
    if family is None:
        return None
    by_id = "{id}" in template
    if kind == "request":
        return _pts_request(family, by_id)
    if kind == "201":
        return _payment_201() if family == "payment" else _family_201(family, by_id=by_id)
    if kind == "400":
        return _error("INVALID_REQUEST", REASONS_400[family])
    if kind == "502":
        return _error("SERVER_ERROR", REASONS_502)
    return None


def _net_funding() -> Rules:
    totals = ["totalPurchases", "totalRefunds", "totalFees", "totalChargebacks", "netTotal"]
    return Rules(
        required=["startTime", "endTime"]
        + [f"{name}[].{leaf}" for name in totals for leaf in ("currency", "value")],
        enums={"netFundingSummaries[].type": ["PURCHASES", "REFUNDS", "FEES", "CHARGEBACKS"]},
    )


_ACTIVE_CLOSED = ["ACTIVE", "CLOSED"]
#: Everything that is not the payments family: (method, template, kind) → rules.
OTHER_RULES: dict[tuple[str, str, str], Rules] = {
    ("post", "/tss/v2/searches", "request"): Rules(required=["query"]),
    ("get", "/tss/v2/transactions/{id}", "200"): Rules(
        required=[
            "id",
            "submitTimeUTC",
            "status",
            "merchantId",
            _MRN,
            "applicationInformation.applications[].name",
            "applicationInformation.applications[].rCode",
            "orderInformation.amountDetails.currency",
        ],
        enums={
            "status": TRANSACTION_STATUSES,
            "applicationInformation.rCode": ["-1", "0", "1"],
            "applicationInformation.applications[].rCode": ["-1", "0", "1"],
        },
        patterns={"submitTimeUTC": UTC_SECONDS},
    ),
    ("post", "/tss/v2/searches", "201"): Rules(
        required=[
            "searchId",
            "count",
            "totalCount",
            "submitTimeUtc",
            "query",
            "_embedded?.transactionSummaries[].id",
            "_embedded?.transactionSummaries[].submitTimeUtc",
        ],
        patterns={"submitTimeUtc": UTC_SECONDS},
    ),
    ("post", "/risk/v1/decisions/{id}/actions", "request"): Rules(
        required=["decisionInformation.decision"],
        enums={"decisionInformation.decision": ["ACCEPT", "REJECT"]},
    ),
    ("post", "/risk/v1/decisions/{id}/actions", "201"): Rules(
        required=["id", "submitTimeUtc", "status"],
        enums={"status": ["ACCEPTED", "REJECTED"]},
        patterns={"submitTimeUtc": UTC_SECONDS},
    ),
    ("get", "/reporting/v3/net-fundings", "200"): _net_funding(),
    ("get", "/reporting/v3/payment-batch-summaries", "200"): Rules(
        required=["startTime", "endTime", "paymentBatchSummaries[].currencyCode"]
    ),
    ("get", "/reporting/v3/chargeback-details", "200"): Rules(
        required=["startTime", "endTime"]
        + [f"chargebackDetails[].{f}" for f in ("requestId", "amount", "currencyCode")]
    ),
    ("post", "/kms/egress/v2/keys-sym", "request"): Rules(
        required=["clientRequestAction", "keyInformation.organizationId"],
        enums={"clientRequestAction": ["CREATE"]},
    ),
    ("post", "/kms/egress/v2/keys-sym", "201"): Rules(
        required=["keyInformation.keyId", "keyInformation.key", "keyInformation.status"]
    ),
    ("post", "/notification-subscriptions/v2/webhooks", "request"): Rules(
        required=[
            "name",
            "organizationId",
            "webhookUrl",
            "products[].productId",
            "products[].eventTypes",
        ]
    ),
    ("post", "/notification-subscriptions/v2/webhooks", "201"): Rules(
        required=["webhookId", "organizationId", "webhookUrl", "status", "products[].productId"]
    ),
    ("get", "/notification-subscriptions/v2/webhooks", "200"): Rules(
        required=["[].webhookId", "[].webhookUrl", "[].status"]
    ),
}
_TMS_ID_RESPONSE = re.compile(r"^/tms/v[12]/(customers|paymentinstruments|instrumentidentifiers)")


def rules_for(method: str, template: str, kind: str) -> Rules:
    """The rules for one request body or response status of one operation (may be empty)."""
    if template.startswith("/pts/v2/"):
        found = _pts_rules(template, kind)
        if found is not None:
            return found
    if (method, template, kind) in OTHER_RULES:
        return OTHER_RULES[(method, template, kind)]
    single = method == "post" or (method in ("get", "patch") and template.endswith("}"))
    if _TMS_ID_RESPONSE.match(template) and kind in ("200", "201") and single:
        # Every TMS resource (customer, payment instrument…) is known by its token id (§6);
        # instruments and instrument identifiers are ACTIVE or CLOSED.
        instrument = "instrument" in template.lower()
        return Rules(required=["id"], enums={"state": _ACTIVE_CLOSED} if instrument else {})
    return Rules()


def apply_rules(schema: Schema, method: str, template: str, kind: str) -> None:
    """Add the rules for (method, template, kind) to a closed schema, in place."""
    rules = rules_for(method, template, kind)
    for path in rules.required:
        require(schema, path)
    for path, values in rules.enums.items():
        restrict(schema, path, "enum", sorted(set(values)))
    for path, pattern in rules.patterns.items():
        restrict(schema, path, "pattern", pattern)
    for statuses, paths in rules.when:
        for path in paths:  # a rule must name fields the schema has, or it can never pass
            restrict(schema, path, "description", f"needed when status is one of {statuses}")
        when_status(schema, statuses, paths)
