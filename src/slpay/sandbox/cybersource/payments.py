"""POST /pts/v2/payments (authorize, or authorize + capture) and POST /pts/v2/credits.

A raw ``paymentInformation.card.number`` is accepted here only because the official SDK's
samples send test cards; it is reduced to type/BIN/last four/keyed hash by ``cards`` before
anything is stored or logged. Tokens (TMS ids, transient tokens) are the normal route.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import update as sa_update

from . import cards, fields, ledger, tms_tokens
from .asgi import Request, Response, Router
from .core import Sandbox
from .ledger import Txn
from .outcomes import AMOUNT_502_AFTER, AMOUNT_502_BEFORE, Outcome, decide
from .secrets_store import SandboxSecrets
from .shapes import credit_201, payment_201
from .store import stamp, transient_tokens
from .wire import (
    CsError,
    dumps,
    missing,
    new_numeric,
    new_reconciliation_id,
    new_txn_id,
    server_error,
)

PAYMENT_EVENTS = {
    "AUTHORIZED": "payments.payments.accept",
    "AUTHORIZED_PENDING_REVIEW": "payments.payments.review",
    "AUTHORIZED_RISK_DECLINED": "payments.payments.reject",
    "DECLINED": "payments.payments.reject",
}


def json_response(status: int, body: dict[str, Any]) -> Response:
    return Response(status, dumps(body))


def txn_payload(txn: Txn) -> dict[str, Any]:
    """``payload.data`` of a card-processing webhook about ``txn``."""
    from .shapes import self_link

    data: dict[str, Any] = {
        "_links": {"self": self_link(txn)},
        "id": txn.id,
        "type": {"auth": "payments", "sale": "payments"}.get(txn.kind, txn.kind + "s"),
        "status": txn.status,
    }
    if txn.code:
        data["clientReferenceInformation"] = {"code": txn.code}
    return data


def emit_txn(sb: Sandbox, event_type: str, txn: Txn) -> None:
    sb.emit(event_type, "cardProcessing", txn.id, txn_payload(txn))


class Payments:
    def __init__(self, sb: Sandbox, secrets: SandboxSecrets) -> None:
        self.sb = sb
        self.secrets = secrets

    def register(self, router: Router) -> None:
        router.add("POST", "/pts/v2/payments", self.authorize)
        router.add("POST", "/pts/v2/credits", self.credit)

    def _source(self, body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The paymentInformation object and a verified transient token's jti (before any
        unit of work: verifying needs the signing key, which may have to be created)."""
        now = self.sb.now()
        pay = fields.obj(body, "paymentInformation", now)
        jwt_text = fields.text(body, "tokenInformation.transientTokenJwt", now, max_len=20000)
        jti = cards.decode_transient(jwt_text, self.secrets.flex_key, now) if jwt_text else None
        if not pay and jti is None:
            raise missing(now, "paymentInformation.card.number")
        return pay, jti

    def _card(self, conn: Any, pay: dict[str, Any], jti: str | None) -> cards.CardRef:
        now = self.sb.now()
        if jti is not None:
            return cards.from_transient(conn, jti, now)
        ref = cards.from_tokens(conn, pay, now)
        if ref is not None:
            return ref
        card = pay.get("card")
        if not isinstance(card, dict) or "number" not in card:
            raise missing(now, "paymentInformation.card.number")
        return cards.from_raw_card(card, now, self.secrets.card_hash)

    def authorize(self, req: Request) -> Response:
        now = self.sb.now()
        body = req.json()
        code = fields.text(body, "clientReferenceInformation.code", now, required=True, max_len=50)
        cur = fields.currency(body, "orderInformation.amountDetails.currency", now)
        total = fields.amount(body, "orderInformation.amountDetails.totalAmount", cur, now)
        assert total is not None
        actions = fields.str_list(body, "processingInformation.actionList", now)
        pay, jti = self._source(body)
        bill_to = fields.obj(body, "orderInformation.billTo", now)
        if total == AMOUNT_502_BEFORE:
            raise server_error(now)
        with self.sb.work() as conn:
            card = self._card(conn, pay, jti)
            has_cvn = bool(fields.dig(pay, "card.securityCode"))
            outcome = decide(
                amount=total,
                forced=req.forced,
                expired=card.expired(now),
                bill_to=bill_to,
                action_list=actions,
                has_cvn=has_cvn,
            )
            capture = bool(fields.dig(body, "processingInformation.capture"))
            txn = self._record(conn, body, now, code, total, cur, card, outcome, capture)
            created: dict[str, str] = {}
            ii_new = False
            if outcome.approved:
                created, ii_new = self._approved(conn, body, card, actions)
            emit_txn(self.sb, PAYMENT_EVENTS[txn.status], txn)
            if txn.kind == "sale":
                emit_txn(self.sb, "payments.captures.accept", txn)
        if total == AMOUNT_502_AFTER:
            raise server_error(now)
        return json_response(201, payment_201(txn, created_tokens=created, ii_new=ii_new))

    def _approved(
        self, conn: Any, body: dict[str, Any], card: cards.CardRef, actions: list[str]
    ) -> tuple[dict[str, str], bool]:
        """After an approval: use up the transient token, create tokens if asked (TOKEN_CREATE)."""
        if card.transient_jti:
            conn.execute(
                sa_update(transient_tokens)
                .where(transient_tokens.c.jti == card.transient_jti)
                .values(used=1)
            )
        if "TOKEN_CREATE" not in actions or not card.card_hash:
            return {}, False
        types = fields.str_list(body, "processingInformation.actionTokenTypes", self.sb.now())
        return tms_tokens.create_from_payment(conn, body, card, types or ["instrumentIdentifier"])

    def _record(
        self,
        conn: Any,
        body: dict[str, Any],
        now: Any,
        code: str | None,
        total: Decimal,
        cur: str,
        card: cards.CardRef,
        outcome: Outcome,
        capture: bool,
    ) -> Txn:
        held = capture and outcome.status == "AUTHORIZED_PENDING_REVIEW"
        kind = "sale" if capture and outcome.status == "AUTHORIZED" else "auth"
        tid = new_txn_id(now)
        data: dict[str, Any] = {
            "billTo": fields.obj(body, "orderInformation.billTo", now) or None,
            "shipTo": fields.obj(body, "orderInformation.shipTo", now) or None,
            "lineItems": fields.dig(body, "orderInformation.lineItems") or None,
            "mdd": fields.mdd(body, now) or None,
            "tokens": card.tokens or None,
            "risk": outcome.risk or None,
            "avs": outcome.avs if outcome.approved else None,
            "cvn": outcome.cvn if outcome.approved else None,
            "exp": [card.exp_month, card.exp_year],
            "processorTransactionId": new_numeric(15),
            "networkTransactionId": new_numeric(15),
            "commerceIndicator": fields.dig(body, "processingInformation.commerceIndicator"),
            "captureHeld": held or None,
            "ipAddress": fields.dig(body, "deviceInformation.ipAddress"),
            "merchantCustomerId": fields.dig(body, "buyerInformation.merchantCustomerId"),
        }
        txn = Txn(
            id=tid,
            kind=kind,
            root_id=tid,
            parent_id=None,
            status="PENDING" if kind == "sale" else outcome.status,
            amount=total,
            currency=cur,
            code=code,
            client_txn_id=fields.dig(body, "clientReferenceInformation.transactionId"),
            submit_time=stamp(now),
            reconciliation_id=new_reconciliation_id(),
            reason=outcome.reason,
            decision=outcome.decision,
            card_type=card.card_type,
            card_bin=card.bin,
            card_suffix=card.suffix,
            data={k: v for k, v in data.items() if v is not None},
        )
        ledger.insert(conn, txn)
        if kind == "sale":
            # The payment response of a sale reports the authorization's status.
            txn.status = "AUTHORIZED"
        return txn

    def credit(self, req: Request) -> Response:
        now = self.sb.now()
        body = req.json()
        code = fields.text(body, "clientReferenceInformation.code", now, max_len=50)
        cur = fields.currency(body, "orderInformation.amountDetails.currency", now)
        total = fields.amount(body, "orderInformation.amountDetails.totalAmount", cur, now)
        assert total is not None
        pay, jti = self._source(body)
        with self.sb.work() as conn:
            card = self._card(conn, pay, jti)
            tid = new_txn_id(now)
            txn = ledger.insert(
                conn,
                Txn(
                    id=tid,
                    kind="credit",
                    root_id=tid,
                    parent_id=None,
                    status="PENDING",
                    amount=total,
                    currency=cur,
                    code=code,
                    client_txn_id=fields.dig(body, "clientReferenceInformation.transactionId"),
                    submit_time=stamp(now),
                    reconciliation_id=new_reconciliation_id(),
                    card_type=card.card_type,
                    card_bin=card.bin,
                    card_suffix=card.suffix,
                    data={"tokens": card.tokens} if card.tokens else {},
                ),
            )
            emit_txn(self.sb, "payments.credits.accept", txn)
        return json_response(201, credit_201(txn))


__all__ = ["CsError", "Payments", "emit_txn", "json_response", "txn_payload"]
