"""Token Management Service (FACTS §6): customers, payment instruments, instrument identifiers.

An instrument identifier is created from a card number (one per number: a second POST with
the same number answers 200 with the existing token); only its keyed hash, BIN, last four
digits and length are stored. Responses show the number masked, as TMS does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy import update as sa_update

from . import cards, fields
from .asgi import Request, Response, Router
from .cards import CardRef
from .core import Sandbox
from .secrets_store import SandboxSecrets
from .store import customers, from_json, instrument_identifiers, payment_instruments
from .tms_tokens import insert_customer, insert_ii, insert_pi, pi_card
from .wire import CsError, dumps, tms_error

NOT_FOUND = ("notFound", "Token not found")


def _ii_body(row: Any, merchant_id: str) -> dict[str, Any]:
    data = from_json(row.data)
    masked = row.card_bin + "X" * (int(data.get("length", 16)) - 10) + row.card_suffix
    return {
        "_links": {
            "self": {"href": f"/tms/v1/instrumentidentifiers/{row.id}"},
            "paymentInstruments": {
                "href": f"/tms/v1/instrumentidentifiers/{row.id}/paymentinstruments"
            },
        },
        "id": row.id,
        "object": "instrumentIdentifier",
        "state": row.state,
        "type": "enrollable card",
        "card": {"number": masked},
        "metadata": {"creator": merchant_id},
    }


class Tms:
    def __init__(self, sb: Sandbox, secrets: SandboxSecrets) -> None:
        self.sb = sb
        self.secrets = secrets

    def register(self, r: Router) -> None:
        r.add("POST", "/tms/v1/instrumentidentifiers", self.create_ii)
        r.add("GET", "/tms/v1/instrumentidentifiers/{ii}", self.get_ii)
        r.add("DELETE", "/tms/v1/instrumentidentifiers/{ii}", self.delete_ii)
        r.add("GET", "/tms/v1/instrumentidentifiers/{ii}/paymentinstruments", self.list_ii_pis)
        r.add("POST", "/tms/v1/paymentinstruments", self.create_pi)
        r.add("GET", "/tms/v1/paymentinstruments/{pi}", self.get_pi)
        r.add("DELETE", "/tms/v1/paymentinstruments/{pi}", self.delete_pi)
        r.add("POST", "/tms/v2/customers", self.create_customer)
        r.add("GET", "/tms/v2/customers/{cid}", self.get_customer)
        r.add("DELETE", "/tms/v2/customers/{cid}", self.delete_customer)
        r.add("POST", "/tms/v2/customers/{cid}/payment-instruments", self.create_pi)
        r.add("GET", "/tms/v2/customers/{cid}/payment-instruments", self.list_customer_pis)
        r.add("GET", "/tms/v2/customers/{cid}/payment-instruments/{pi}", self.get_pi)
        r.add("DELETE", "/tms/v2/customers/{cid}/payment-instruments/{pi}", self.delete_pi)

    def _json(self, status: int, body: dict[str, Any]) -> Response:
        return Response(status, dumps(body), "application/json;charset=utf-8")

    # -- instrument identifiers -------------------------------------------------------------

    def create_ii(self, req: Request) -> Response:
        body = req.json()
        number = fields.dig(body, "card.number")
        if number is None:
            raise tms_error(400, "missingField", "card.number is required", "card.number")
        try:
            pan = cards.clean_pan(number, "card.number", self.sb.now())
        except CsError:
            raise tms_error(400, "invalidRequest", "Invalid card number", "card.number") from None
        with self.sb.work() as conn:
            row, new = self._ii_for_pan(conn, pan, body.get("card") or {})
            return self._json(201 if new else 200, _ii_body(row, self.sb.config.merchant_id))

    def _ii_for_pan(self, conn: Connection, pan: str, card: dict[str, Any]) -> tuple[Any, bool]:
        digest = self.secrets.card_hash(pan)
        row = conn.execute(
            select(instrument_identifiers).where(instrument_identifiers.c.card_hash == digest)
        ).first()
        if row is not None:
            return row, False
        ref = CardRef(
            str(card.get("type") or cards.card_type_for(pan) or "001"),
            pan[:6],
            pan[-4:],
            card.get("expirationMonth"),
            card.get("expirationYear"),
            digest,
        )
        return insert_ii(conn, ref, len(pan)), True

    def _get_ii(self, conn: Connection, ii_id: str) -> Any:
        row = conn.execute(
            select(instrument_identifiers).where(instrument_identifiers.c.id == ii_id)
        ).first()
        if row is None:
            raise tms_error(404, *NOT_FOUND)
        return row

    def get_ii(self, req: Request) -> Response:
        with self.sb.work() as conn:
            row = self._get_ii(conn, req.params["ii"])
        return self._json(200, _ii_body(row, self.sb.config.merchant_id))

    def delete_ii(self, req: Request) -> Response:
        with self.sb.work() as conn:
            row = self._get_ii(conn, req.params["ii"])
            used = conn.execute(
                select(func.count())
                .select_from(payment_instruments)
                .where(payment_instruments.c.instrument_identifier_id == row.id)
            ).scalar_one()
            if used:
                raise tms_error(409, "instrumentIdentifierDeletionError", "Token is in use")
            conn.execute(
                delete(instrument_identifiers).where(instrument_identifiers.c.id == row.id)
            )
        return Response(204, b"", "application/json;charset=utf-8")

    def list_ii_pis(self, req: Request) -> Response:
        with self.sb.work() as conn:
            row = self._get_ii(conn, req.params["ii"])
            pis = conn.execute(
                select(payment_instruments).where(
                    payment_instruments.c.instrument_identifier_id == row.id
                )
            ).all()
            items = [self._pi_body(conn, p) for p in pis]
        return self._json(
            200, _page(req, f"/tms/v1/instrumentidentifiers/{row.id}/paymentinstruments", items)
        )

    # -- payment instruments ----------------------------------------------------------------

    def _pi_body(self, conn: Connection, row: Any) -> dict[str, Any]:
        data = from_json(row.data)
        ii = self._get_ii(conn, row.instrument_identifier_id)
        href = (
            f"/tms/v2/customers/{row.customer_id}/payment-instruments/{row.id}"
            if row.customer_id
            else f"/tms/v1/paymentinstruments/{row.id}"
        )
        links: dict[str, Any] = {"self": {"href": href}}
        if row.customer_id:
            links["customer"] = {"href": f"/tms/v2/customers/{row.customer_id}"}
        body: dict[str, Any] = {
            "_links": links,
            "id": row.id,
            "object": "paymentInstrument",
            "default": bool(data.get("default")),
            "state": row.state,
            "type": "cardHash",
            "card": data.get("card", {}),
            "instrumentIdentifier": {"id": row.instrument_identifier_id},
            "metadata": {"creator": self.sb.config.merchant_id},
            "_embedded": {"instrumentIdentifier": _ii_body(ii, self.sb.config.merchant_id)},
        }
        if data.get("billTo"):
            body["billTo"] = data["billTo"]
        return body

    def create_pi(self, req: Request) -> Response:
        body = req.json()
        now = self.sb.now()
        cid = req.params.get("cid")
        card: dict[str, Any] = body["card"] if isinstance(body.get("card"), dict) else {}
        for part in ("expirationMonth", "expirationYear"):
            if not card.get(part):
                raise tms_error(400, "missingField", f"card.{part} is required", f"card.{part}")
        ii_id = fields.dig(body, "instrumentIdentifier.id")
        number = fields.dig(body, "_embedded.instrumentIdentifier.card.number")
        if not ii_id and number is None:
            raise tms_error(
                400,
                "missingField",
                "instrumentIdentifier.id is required",
                "instrumentIdentifier.id",
            )
        with self.sb.work() as conn:
            if cid:
                self._get_customer(conn, cid)
            if ii_id:
                ii = self._get_ii(conn, ii_id)
            else:
                try:
                    pan = cards.clean_pan(number, "card.number", now)
                except CsError:
                    raise tms_error(
                        400, "invalidRequest", "Invalid card number", "card.number"
                    ) from None
                ii, _ = self._ii_for_pan(conn, pan, card)
            pi_id = insert_pi(conn, ii.id, cid, pi_card(card, ii.card_type), body.get("billTo"))
            row = conn.execute(
                select(payment_instruments).where(payment_instruments.c.id == pi_id)
            ).one()
            return self._json(201, self._pi_body(conn, row))

    def _get_pi(self, conn: Connection, req: Request) -> Any:
        row = conn.execute(
            select(payment_instruments).where(payment_instruments.c.id == req.params["pi"])
        ).first()
        cid = req.params.get("cid")
        if row is None or (cid is not None and row.customer_id != cid):
            raise tms_error(404, *NOT_FOUND)
        return row

    def get_pi(self, req: Request) -> Response:
        with self.sb.work() as conn:
            return self._json(200, self._pi_body(conn, self._get_pi(conn, req)))

    def delete_pi(self, req: Request) -> Response:
        with self.sb.work() as conn:
            row = self._get_pi(conn, req)
            conn.execute(delete(payment_instruments).where(payment_instruments.c.id == row.id))
            conn.execute(
                sa_update(customers)
                .where(customers.c.default_payment_instrument_id == row.id)
                .values(default_payment_instrument_id=None)
            )
        return Response(204, b"", "application/json;charset=utf-8")

    # -- customers --------------------------------------------------------------------------

    def _get_customer(self, conn: Connection, cid: str) -> Any:
        row = conn.execute(select(customers).where(customers.c.id == cid)).first()
        if row is None:
            raise tms_error(404, *NOT_FOUND)
        return row

    def _customer_body(self, conn: Connection, row: Any) -> dict[str, Any]:
        base = f"/tms/v2/customers/{row.id}"
        body: dict[str, Any] = {
            "_links": {
                "self": {"href": base},
                "paymentInstruments": {"href": f"{base}/payment-instruments"},
                "shippingAddress": {"href": f"{base}/shipping-addresses"},
            },
            "id": row.id,
            **from_json(row.data),
            "metadata": {"creator": self.sb.config.merchant_id},
        }
        if row.default_payment_instrument_id:
            body["defaultPaymentInstrument"] = {"id": row.default_payment_instrument_id}
            pi = conn.execute(
                select(payment_instruments).where(
                    payment_instruments.c.id == row.default_payment_instrument_id
                )
            ).first()
            if pi is not None:
                body["_embedded"] = {"defaultPaymentInstrument": self._pi_body(conn, pi)}
        return body

    def create_customer(self, req: Request) -> Response:
        body = req.json()
        with self.sb.work() as conn:
            cid = insert_customer(conn, body)
            return self._json(201, self._customer_body(conn, self._get_customer(conn, cid)))

    def get_customer(self, req: Request) -> Response:
        with self.sb.work() as conn:
            row = self._get_customer(conn, req.params["cid"])
            return self._json(200, self._customer_body(conn, row))

    def delete_customer(self, req: Request) -> Response:
        with self.sb.work() as conn:
            row = self._get_customer(conn, req.params["cid"])
            conn.execute(
                delete(payment_instruments).where(payment_instruments.c.customer_id == row.id)
            )
            conn.execute(delete(customers).where(customers.c.id == row.id))
        return Response(204, b"", "application/json;charset=utf-8")

    def list_customer_pis(self, req: Request) -> Response:
        with self.sb.work() as conn:
            row = self._get_customer(conn, req.params["cid"])
            pis = conn.execute(
                select(payment_instruments).where(payment_instruments.c.customer_id == row.id)
            ).all()
            items = [self._pi_body(conn, p) for p in pis]
        return self._json(200, _page(req, f"/tms/v2/customers/{row.id}/payment-instruments", items))


def _page(req: Request, href: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        offset = max(0, int(req.query.get("offset", "0")))
        limit = min(100, max(1, int(req.query.get("limit", "20"))))
    except ValueError:
        raise tms_error(400, "invalidRequest", "offset and limit must be integers") from None
    page = items[offset : offset + limit]
    return {
        "_links": {"self": {"href": f"{href}?offset={offset}&limit={limit}"}},
        "offset": offset,
        "limit": limit,
        "count": len(page),
        "total": len(items),
        "_embedded": {"paymentInstruments": page},
    }
