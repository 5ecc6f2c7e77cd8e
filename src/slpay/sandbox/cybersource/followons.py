"""Follow-on operations: captures, refunds, reversals, voids, and the timeout reversal/void
that find their target by ``clientReferenceInformation.transactionId`` (FACTS §3.1, §11).

Rules: captures add up to at most the authorized amount; refunds add up to at most what was
captured (per capture and per chain); a reversal needs an authorization with nothing captured;
a void works on a capture, sale, refund or credit until the day's batch closes (NOT_VOIDABLE
after).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from . import fields, ledger
from .asgi import Request, Response, Router
from .core import Sandbox
from .ledger import Txn
from .payments import emit_txn, json_response
from .shapes import capture_201, refund_201, reversal_201, void_201
from .store import stamp
from .wire import CsError, bad_field, invalid, missing, new_reconciliation_id, new_txn_id


def _bad(now: datetime, reason: str, message: str) -> CsError:
    return invalid(now, reason, message)


class FollowOns:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def register(self, r: Router) -> None:
        r.add("POST", "/pts/v2/payments/{id}/captures", self.capture)
        r.add("POST", "/pts/v2/payments/{id}/refunds", self.refund)
        r.add("POST", "/pts/v2/captures/{id}/refunds", self.refund)
        r.add("POST", "/pts/v2/payments/{id}/reversals", self.reversal)
        r.add("POST", "/pts/v2/reversals", self.timeout_reversal)
        for kind in ("payments", "captures", "refunds", "credits"):
            r.add("POST", f"/pts/v2/{kind}/{{id}}/voids", self.void)
        r.add("POST", "/pts/v2/voids", self.timeout_void)

    def _child(
        self, parent: Txn, kind: str, status: str, amount: Decimal, body: dict[str, Any]
    ) -> Txn:
        now = self.sb.now()
        return Txn(
            id=new_txn_id(now),
            kind=kind,
            root_id=parent.root_id,
            parent_id=parent.id,
            status=status,
            amount=amount,
            currency=parent.currency,
            code=fields.text(body, "clientReferenceInformation.code", now, max_len=50)
            or parent.code,
            client_txn_id=fields.dig(body, "clientReferenceInformation.transactionId"),
            submit_time=stamp(now),
            reconciliation_id=new_reconciliation_id(),
            card_type=parent.card_type,
            card_bin=parent.card_bin,
            card_suffix=parent.card_suffix,
            data={"mdd": fields.mdd(body, now)}
            if fields.dig(body, "merchantDefinedInformation")
            else {},
        )

    def _amount(self, body: dict[str, Any], path: str, txn: Txn) -> Decimal:
        now = self.sb.now()
        given = fields.dig(body, path.rsplit(".", 1)[0] + ".currency")
        if given is not None and str(given).upper() != txn.currency:
            raise bad_field(now, path.rsplit(".", 1)[0] + ".currency")
        value = fields.amount(body, path, txn.currency, now)
        assert value is not None
        return value

    # -- capture -----------------------------------------------------------------------------

    def capture(self, req: Request) -> Response:
        now = self.sb.now()
        body = req.json()
        with self.sb.work() as conn:
            auth = ledger.get(conn, req.params["id"])
            if (
                auth is None
                or auth.kind != "auth"
                or auth.status in ("DECLINED", "AUTHORIZED_RISK_DECLINED")
            ):
                raise _bad(now, "MISSING_AUTH", "No authorization to capture")
            amount = self._amount(body, "orderInformation.amountDetails.totalAmount", auth)
            capture = self.capture_auth(conn, auth, amount, body)
        return json_response(201, capture_201(capture))

    def capture_auth(
        self, conn: Connection, auth: Txn, amount: Decimal, body: dict[str, Any]
    ) -> Txn:
        """Record a capture of ``auth`` (also used by Decision Manager's ACCEPT + CAPTURE)."""
        now = self.sb.now()
        if auth.status == "REVERSED":
            raise _bad(now, "AUTH_ALREADY_REVERSED", "The authorization has been reversed")
        if auth.status == "AUTHORIZED_PENDING_REVIEW":
            raise _bad(now, "NOT_SUPPORTED", "The authorization is pending review")
        if amount <= 0:
            raise bad_field(now, "orderInformation.amountDetails.totalAmount")
        links = ledger.chain(conn, auth.root_id)
        if ledger.captured_total(links, auth) + amount > auth.amount:
            raise _bad(
                now, "EXCEEDS_AUTH_AMOUNT", "The capture amount exceeds the authorized amount"
            )
        capture = ledger.insert(conn, self._child(auth, "capture", "PENDING", amount, body))
        emit_txn(self.sb, "payments.captures.accept", capture)
        return capture

    # -- refund ------------------------------------------------------------------------------

    def refund(self, req: Request) -> Response:
        now = self.sb.now()
        body = req.json()
        via_capture = req.path.startswith("/pts/v2/captures/")
        with self.sb.work() as conn:
            target = ledger.get(conn, req.params["id"])
            kinds = {"capture"} if via_capture else {"auth", "sale"}
            if target is None or target.kind not in kinds:
                raise bad_field(now, "id", "No payment or capture with this id")
            if target.kind in ledger.PURCHASES and target.status == "VOIDED":
                raise _bad(now, "CAPTURE_ALREADY_VOIDED", "The capture has been voided")
            amount = self._amount(body, "orderInformation.amountDetails.totalAmount", target)
            links = ledger.chain(conn, target.root_id)
            if amount <= 0 or amount > ledger.refundable(links, target):
                raise invalid(
                    now,
                    "INVALID_AMOUNT",
                    "The refund amount exceeds the amount captured and not yet refunded",
                    fields=[("orderInformation.amountDetails.totalAmount", "INVALID_DATA")],
                )
            refund = ledger.insert(conn, self._child(target, "refund", "PENDING", amount, body))
            emit_txn(self.sb, "payments.refunds.accept", refund)
        return json_response(201, refund_201(refund))

    # -- reversal ----------------------------------------------------------------------------

    def reversal(self, req: Request) -> Response:
        now = self.sb.now()
        body = req.json()
        with self.sb.work() as conn:
            auth = ledger.get(conn, req.params["id"])
            if auth is None or auth.kind not in ("auth", "sale"):
                raise _bad(now, "MISSING_AUTH", "No authorization with this id")
            txn = self.reverse(conn, auth, body)
        return json_response(201, reversal_201(txn, str(auth.amount)))

    def reverse(self, conn: Connection, auth: Txn, body: dict[str, Any]) -> Txn:
        """Reverse an uncaptured authorization (also used by Decision Manager's REJECT)."""
        now = self.sb.now()
        if auth.status == "REVERSED":
            raise _bad(now, "AUTH_ALREADY_REVERSED", "The authorization has already been reversed")
        if auth.status == "DECLINED":
            raise _bad(now, "MISSING_AUTH", "The authorization was declined")
        links = ledger.chain(conn, auth.root_id)
        if auth.kind == "sale" or ledger.captured_total(links, auth) > 0:
            raise _bad(
                now,
                "TRANSACTION_ALREADY_SETTLED",
                "The authorization has been captured; void or refund",
            )
        path = "reversalInformation.amountDetails.totalAmount"
        amount = (
            self._amount(body, path, auth) if fields.dig(body, path) is not None else auth.amount
        )
        if amount > auth.amount:
            raise invalid(
                now,
                "INVALID_AMOUNT",
                "More than the authorized amount",
                fields=[(path, "INVALID_DATA")],
            )
        txn = ledger.insert(conn, self._child(auth, "reversal", "REVERSED", amount, body))
        ledger.update(conn, auth, status="REVERSED")
        emit_txn(self.sb, "payments.reversals.accept", txn)
        return txn

    def timeout_reversal(self, req: Request) -> Response:
        now = self.sb.now()
        body = req.json()
        ref = fields.text(body, "clientReferenceInformation.transactionId", now, required=True)
        with self.sb.work() as conn:
            auth = ledger.by_client_txn_id(conn, str(ref), {"auth", "sale"})
            if auth is None:
                raise invalid(
                    now,
                    "MISSING_AUTH",
                    "No authorization was sent with this transactionId",
                    fields=[("clientReferenceInformation.transactionId", "INVALID_DATA")],
                )
            txn = self.reverse(conn, auth, body)
        return json_response(201, reversal_201(txn, str(auth.amount)))

    # -- void --------------------------------------------------------------------------------

    def void(self, req: Request) -> Response:
        now = self.sb.now()
        body = req.json()
        kind = req.path.split("/")[3]
        allowed = {
            "payments": {"sale", "auth"},
            "captures": {"capture"},
            "refunds": {"refund"},
            "credits": {"credit"},
        }
        with self.sb.work() as conn:
            target = ledger.get(conn, req.params["id"])
            if target is None or target.kind not in allowed[kind]:
                raise bad_field(now, "id", "No transaction with this id")
            txn = self.void_txn(conn, target, body)
        return json_response(201, void_201(txn, str(target.amount)))

    def void_txn(self, conn: Connection, target: Txn, body: dict[str, Any]) -> Txn:
        now = self.sb.now()
        if target.kind not in ledger.SETTLING or target.status != "PENDING":
            reason = "already voided" if target.status == "VOIDED" else "settled or not voidable"
            raise _bad(now, "NOT_VOIDABLE", f"The transaction cannot be voided ({reason})")
        if target.kind in ledger.PURCHASES:
            links = ledger.chain(conn, target.root_id)
            if any(t.kind == "refund" and t.parent_id == target.id and t.live for t in links):
                raise _bad(now, "NOT_VOIDABLE", "The capture has refunds; void them first")
        txn = ledger.insert(conn, self._child(target, "void", "VOIDED", target.amount, body))
        ledger.update(conn, target, status="VOIDED")
        emit_txn(self.sb, "payments.voids.accept", txn)
        return txn

    def timeout_void(self, req: Request) -> Response:
        now = self.sb.now()
        body = req.json()
        ref = fields.text(body, "clientReferenceInformation.transactionId", now, required=True)
        with self.sb.work() as conn:
            target = ledger.by_client_txn_id(conn, str(ref), set(ledger.SETTLING))
            if target is None:
                raise bad_field(
                    now,
                    "clientReferenceInformation.transactionId",
                    "No capture, refund or credit was sent with this transactionId",
                )
            txn = self.void_txn(conn, target, body)
        return json_response(201, void_201(txn, str(target.amount)))


__all__ = ["FollowOns", "missing"]
