"""POST /risk/v1/decisions/{id}/actions: a reviewer accepts or rejects a case (FACTS §5.2).

ACCEPT makes the authorization AUTHORIZED (and captures it in full with ``actionList:
["CAPTURE"]``); REJECT makes it AUTHORIZED_RISK_DECLINED (and reverses it with ``["REVERSE"]``).
Both send a ``decisionManager`` webhook ``risk.casemanagement.decision.accept|reject``.
"""

from __future__ import annotations

from typing import Any

from . import fields, ledger
from .asgi import Request, Response, Router
from .core import Sandbox
from .followons import FollowOns
from .payments import json_response
from .shapes import self_link
from .wire import bad_field, invalid, new_txn_id, utc_z


class Risk:
    def __init__(self, sb: Sandbox, followons: FollowOns) -> None:
        self.sb = sb
        self.followons = followons

    def register(self, r: Router) -> None:
        r.add("POST", "/risk/v1/decisions/{id}/actions", self.action)

    def action(self, req: Request) -> Response:
        now = self.sb.now()
        body = req.json()
        decision = (
            fields.text(body, "decisionInformation.decision", now, required=True) or ""
        ).upper()
        if decision not in ("ACCEPT", "REJECT"):
            raise bad_field(now, "decisionInformation.decision")
        actions = [
            a.upper() for a in fields.str_list(body, "processingInformation.actionList", now)
        ]
        embedded: dict[str, Any] = {}
        with self.sb.work() as conn:
            auth = ledger.get(conn, req.params["id"])
            if auth is None or auth.kind != "auth":
                raise bad_field(now, "id", "No case for this transaction")
            if auth.status != "AUTHORIZED_PENDING_REVIEW":
                raise invalid(now, "NOT_SUPPORTED", "The transaction is not in review")
            risk = dict(auth.data.get("risk") or {})
            data = {**auth.data, "risk": risk, "reviewerDecision": decision}
            data.pop("captureHeld", None)
            if decision == "ACCEPT":
                ledger.update(
                    conn, auth, status="AUTHORIZED", reason=None, decision="ACCEPT", data=data
                )
                if "CAPTURE" in actions:
                    capture = self.followons.capture_auth(conn, auth, auth.amount, {})
                    embedded["capture"] = {
                        "status": capture.status,
                        "_links": {"self": self_link(capture)},
                    }
            else:
                ledger.update(
                    conn,
                    auth,
                    status="AUTHORIZED_RISK_DECLINED",
                    reason="DECISION_PROFILE_REJECT",
                    decision="REJECT",
                    data=data,
                )
                if "REVERSE" in actions:
                    reversal = self.followons.reverse(conn, auth, {})
                    embedded["reversal"] = {
                        "status": reversal.status,
                        "_links": {"self": self_link(reversal)},
                    }
            payload: dict[str, Any] = {
                "id": auth.id,
                "type": "decisions",
                "decision": decision,
                "clientReferenceInformation": {"code": auth.code or ""},
                "_links": {"self": {"href": f"/tss/v2/transactions/{auth.id}", "method": "GET"}},
            }
            if embedded:
                payload["_embedded"] = embedded
            event = "risk.casemanagement.decision." + decision.lower()
            self.sb.emit(event, "decisionManager", auth.id, payload)
        out: dict[str, Any] = {
            "id": new_txn_id(now),
            "submitTimeUtc": utc_z(now),
            "status": "ACCEPTED" if decision == "ACCEPT" else "REJECTED",
        }
        if embedded:
            out["_embedded"] = embedded
        return json_response(201, out)
