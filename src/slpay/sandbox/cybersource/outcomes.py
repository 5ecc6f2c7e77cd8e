"""How the sandbox decides an authorization's outcome, and the codes that go with it.

Order of precedence: a forced outcome (``/sandbox/force``), an amount trigger, an expired
card, Decision Manager's London Bridge convention (FACTS §11), otherwise approved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

APPROVAL_CODE = "123456"  # what classic sandbox documentation shows for approved auths

#: Amount triggers (any currency): totalAmount → (status, errorInformation.reason).
AMOUNT_TRIGGERS: dict[Decimal, tuple[str, str]] = {
    Decimal("3001.00"): ("DECLINED", "INSUFFICIENT_FUND"),
    Decimal("3002.00"): ("DECLINED", "EXPIRED_CARD"),
    Decimal("3003.00"): ("DECLINED", "STOLEN_LOST_CARD"),
    Decimal("3004.00"): ("DECLINED", "PROCESSOR_DECLINED"),
    Decimal("3005.00"): ("AUTHORIZED_PENDING_REVIEW", "AVS_FAILED"),
    Decimal("3006.00"): ("AUTHORIZED_PENDING_REVIEW", "CVN_NOT_MATCH"),
}
#: 502 before anything happens / 502 after the authorization was recorded (ambiguous).
AMOUNT_502_BEFORE = Decimal("3007.00")
AMOUNT_502_AFTER = Decimal("3008.00")

MESSAGES: dict[str, str] = {
    "INSUFFICIENT_FUND": "Decline - Insufficient funds in the account.",
    "EXPIRED_CARD": "Decline - Expired card.",
    "STOLEN_LOST_CARD": "Decline - Stolen or lost card.",
    "PROCESSOR_DECLINED": "Decline - General decline of the card.",
    "AVS_FAILED": "Soft Decline - The authorization did not pass the Address Verification check.",
    "CVN_NOT_MATCH": "Soft Decline - The card verification number did not match.",
    "DECISION_PROFILE_REVIEW": "Decision Profile review.",
    "DECISION_PROFILE_REJECT": "Decision Profile reject.",
}

#: Classic numeric reason codes and rFlags, shown by TSS (FACTS §3.5 last bullet).
REASON_CODES: dict[str, tuple[str, str]] = {
    "INSUFFICIENT_FUND": ("204", "DINSUFFICIENTFUNDS"),
    "EXPIRED_CARD": ("202", "DCARDEXPIRED"),
    "STOLEN_LOST_CARD": ("205", "DCARDREFUSED"),
    "PROCESSOR_DECLINED": ("203", "DCARDREFUSED"),
    "AVS_FAILED": ("200", "DAVSNO"),
    "CVN_NOT_MATCH": ("230", "DCV"),
    "DECISION_PROFILE_REVIEW": ("480", "DREVIEW"),
    "DECISION_PROFILE_REJECT": ("481", "DREJECT"),
}

#: paymentInsightsInformation.responseInsights for declines.
INSIGHTS: dict[str, tuple[str, str]] = {
    "STOLEN_LOST_CARD": ("01", "ISSUER_WILL_NEVER_APPROVE"),
    "INSUFFICIENT_FUND": ("02", "ISSUER_CANNOT_APPROVE_AT_THIS_TIME"),
    "EXPIRED_CARD": ("03", "ISSUER_CANNOT_APPROVE_WITH_THESE_DETAILS"),
}

DM_ADDRESSES = {
    "1 london bridge": "ACCEPT",
    "2 london bridge": "REVIEW",
    "3 london bridge": "REJECT",
}


def message_for(reason: str) -> str:
    return MESSAGES.get(reason, f"Decline - {reason.replace('_', ' ').capitalize()}.")


@dataclass
class Outcome:
    status: str = "AUTHORIZED"
    reason: str | None = None
    #: Decision Manager's decision when it ran: ACCEPT, REVIEW, REJECT.
    decision: str | None = None
    avs: str | None = None
    cvn: str | None = None
    risk: dict[str, Any] = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        """The issuer approved (the money is held), whatever risk thinks of it."""
        return self.status.startswith("AUTHORIZED")


def _risk(decision: str) -> dict[str, Any]:
    score, factors = {
        "ACCEPT": (12, ["H"]),
        "REVIEW": (78, ["F", "V"]),
        "REJECT": (99, ["F", "V", "N"]),
    }[decision]
    rules = (
        []
        if decision == "ACCEPT"
        else [{"name": "London Bridge test address", "decision": decision}]
    )
    return {
        "profile": {"name": "slpay sandbox profile", "selectorRule": "Default Active Profile"},
        "score": {"result": score, "factorCodes": factors, "modelUsed": "default"},
        "rules": rules,
        "casePriority": 3,
    }


def decide(
    *,
    amount: Decimal,
    forced: dict[str, Any] | None,
    expired: bool,
    bill_to: dict[str, Any] | None,
    action_list: list[str],
    has_cvn: bool,
) -> Outcome:
    run_dm = bool(bill_to) and "DECISION_SKIP" not in action_list
    out = Outcome(avs="Y" if bill_to else None, cvn="M" if has_cvn else None)
    kind = (forced or {}).get("outcome")
    if kind == "decline":
        out.status, out.reason = "DECLINED", str(forced.get("reason") or "PROCESSOR_DECLINED")  # type: ignore[union-attr]
    elif kind in ("review", "reject"):
        out.decision = "REVIEW" if kind == "review" else "REJECT"
    elif amount in AMOUNT_TRIGGERS:
        out.status, out.reason = AMOUNT_TRIGGERS[amount]
        if out.reason == "AVS_FAILED":
            out.avs = "N"
        if out.reason == "CVN_NOT_MATCH":
            out.cvn = "N"
    elif expired:
        out.status, out.reason = "DECLINED", "EXPIRED_CARD"
    elif run_dm:
        address = " ".join(str((bill_to or {}).get("address1", "")).lower().split())
        out.decision = DM_ADDRESSES.get(address, "ACCEPT")
    if out.decision is None and run_dm and out.status == "AUTHORIZED":
        out.decision = "ACCEPT"
    if out.decision:
        out.risk = _risk(out.decision)
        if out.decision == "REVIEW":
            out.status, out.reason = "AUTHORIZED_PENDING_REVIEW", "DECISION_PROFILE_REVIEW"
        elif out.decision == "REJECT":
            out.status, out.reason = "AUTHORIZED_RISK_DECLINED", "DECISION_PROFILE_REJECT"
    return out
