"""Creating TMS tokens (shared by the TMS endpoints and ``TOKEN_CREATE`` on a payment)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy import update as sa_update

from . import fields
from .cards import CardRef
from .store import customers, instrument_identifiers, payment_instruments, to_json
from .wire import new_token_id


def pi_card(card: dict[str, Any], card_type: str) -> dict[str, str]:
    return {
        "expirationMonth": str(card.get("expirationMonth", "")).zfill(2),
        "expirationYear": str(card.get("expirationYear", "")),
        "type": str(card.get("type") or card_type),
    }


def insert_ii(conn: Connection, ref: CardRef, length: int) -> Any:
    ii_id = new_token_id()
    conn.execute(
        instrument_identifiers.insert().values(
            id=ii_id,
            card_hash=ref.card_hash,
            card_bin=ref.bin,
            card_suffix=ref.suffix,
            card_type=ref.card_type,
            state="ACTIVE",
            data=to_json({"length": length}),
        )
    )
    return conn.execute(
        select(instrument_identifiers).where(instrument_identifiers.c.id == ii_id)
    ).one()


def insert_pi(
    conn: Connection, ii_id: str, cid: str | None, card: dict[str, str], bill_to: Any
) -> str:
    pi_id = new_token_id()
    default = False
    if cid:
        cust = conn.execute(select(customers).where(customers.c.id == cid)).one()
        default = cust.default_payment_instrument_id is None
        if default:
            conn.execute(
                sa_update(customers)
                .where(customers.c.id == cid)
                .values(default_payment_instrument_id=pi_id)
            )
    data: dict[str, Any] = {"card": card, "default": default}
    if isinstance(bill_to, dict) and bill_to:
        data["billTo"] = bill_to
    conn.execute(
        payment_instruments.insert().values(
            id=pi_id,
            customer_id=cid,
            instrument_identifier_id=ii_id,
            state="ACTIVE",
            data=to_json(data),
        )
    )
    return pi_id


def insert_customer(conn: Connection, body: dict[str, Any]) -> str:
    keep = (
        "buyerInformation",
        "clientReferenceInformation",
        "merchantDefinedInformation",
        "objectInformation",
    )
    cid = new_token_id()
    data = {k: body[k] for k in keep if body.get(k)}
    conn.execute(customers.insert().values(id=cid, data=to_json(data)))
    return cid


def create_from_payment(
    conn: Connection, body: dict[str, Any], card: CardRef, types: list[str]
) -> tuple[dict[str, str], bool]:
    """``actionList: [TOKEN_CREATE]`` on a payment: the tokens asked for in ``actionTokenTypes``."""
    created: dict[str, str] = {}
    row = conn.execute(
        select(instrument_identifiers).where(instrument_identifiers.c.card_hash == card.card_hash)
    ).first()
    ii_new = row is None
    if row is None:
        row = insert_ii(conn, card, 16)
    created["instrumentIdentifier"] = row.id
    cid = None
    if "customer" in types:
        buyer = {"merchantCustomerID": fields.dig(body, "buyerInformation.merchantCustomerId")}
        email = fields.dig(body, "orderInformation.billTo.email")
        if email:
            buyer["email"] = email
        cid = insert_customer(conn, {"buyerInformation": {k: v for k, v in buyer.items() if v}})
        created["customer"] = cid
    if "paymentInstrument" in types or "customer" in types:
        expiry = {"expirationMonth": card.exp_month or "", "expirationYear": card.exp_year or ""}
        created["paymentInstrument"] = insert_pi(
            conn,
            row.id,
            cid,
            pi_card(expiry, card.card_type),
            fields.dig(body, "orderInformation.billTo"),
        )
    return created, ii_new
