"""Where a payment's card comes from: a TMS token, a transient token, or (SDK samples) a raw
test card number. Only the card's type, BIN, last four digits, expiry and keyed hash survive
this module; the number itself is dropped here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from sqlalchemy import Connection, select

from slpay.redact import luhn_ok

from .store import (
    customers,
    from_json,
    instrument_identifiers,
    payment_instruments,
    transient_tokens,
    unstamp,
)
from .wire import bad_field, invalid, missing

_BRANDS: list[tuple[tuple[str, ...], str]] = [
    (("4",), "001"),
    (("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27"), "002"),
    (("34", "37"), "003"),
    (("6011", "644", "645", "646", "647", "648", "649", "65"), "004"),
    (("300", "301", "302", "303", "304", "305", "36", "38"), "005"),
    (("35",), "007"),
]


def card_type_for(pan: str) -> str | None:
    for prefixes, code in _BRANDS:
        if pan.startswith(prefixes):
            return code
    return None


@dataclass
class CardRef:
    """A card without its number."""

    card_type: str
    bin: str
    suffix: str
    exp_month: str | None
    exp_year: str | None
    card_hash: str | None = None
    #: TMS ids used or created: customer, paymentInstrument, instrumentIdentifier.
    tokens: dict[str, str] = field(default_factory=dict)
    transient_jti: str | None = None

    def expired(self, now: datetime) -> bool:
        if not (self.exp_month and self.exp_year):
            return False
        try:
            year, month = int(self.exp_year), int(self.exp_month)
        except ValueError:
            return False
        return (year, month) < (now.year, now.month)


def clean_pan(value: Any, field_name: str, now: datetime) -> str:
    """A card number as digits only, or a 400 naming the field."""
    if not isinstance(value, str) or not value.strip():
        raise missing(now, field_name)
    digits = value.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_ok(digits):
        raise invalid(
            now, "INVALID_CARD", "Invalid account number", fields=[(field_name, "INVALID_DATA")]
        )
    return digits


def from_raw_card(card: dict[str, Any], now: datetime, hasher: Any) -> CardRef:
    pan = clean_pan(card.get("number"), "paymentInformation.card.number", now)
    for part in ("expirationMonth", "expirationYear"):
        if not card.get(part):
            raise missing(now, f"paymentInformation.card.{part}")
    ctype = card.get("type") or card_type_for(pan) or "001"
    return CardRef(
        str(ctype),
        pan[:6],
        pan[-4:],
        str(card["expirationMonth"]).zfill(2),
        str(card["expirationYear"]),
        hasher(pan),
    )


def _ii_ref(row: Any, exp: tuple[str | None, str | None]) -> CardRef:
    data = from_json(row.data)
    return CardRef(
        row.card_type,
        row.card_bin,
        row.card_suffix,
        exp[0] or data.get("expirationMonth"),
        exp[1] or data.get("expirationYear"),
        row.card_hash,
        {"instrumentIdentifier": row.id},
    )


def from_tokens(conn: Connection, pay: dict[str, Any], now: datetime) -> CardRef | None:
    """Resolve ``paymentInformation.customer|paymentInstrument|instrumentIdentifier.id``."""
    customer_id = (pay.get("customer") or {}).get("id")
    pi_id = (pay.get("paymentInstrument") or {}).get("id")
    ii_id = (pay.get("instrumentIdentifier") or {}).get("id")
    tokens: dict[str, str] = {}
    if customer_id and not pi_id:
        cust = conn.execute(select(customers).where(customers.c.id == customer_id)).first()
        if cust is None:
            raise bad_field(now, "paymentInformation.customer.id")
        tokens["customer"] = customer_id
        pi_id = cust.default_payment_instrument_id
        if not pi_id:
            raise bad_field(
                now, "paymentInformation.customer.id", "Customer has no payment instrument"
            )
    elif customer_id:
        tokens["customer"] = customer_id
    if pi_id:
        pi = conn.execute(
            select(payment_instruments).where(payment_instruments.c.id == pi_id)
        ).first()
        if pi is None or pi.state != "ACTIVE":
            raise bad_field(now, "paymentInformation.paymentInstrument.id")
        tokens["paymentInstrument"] = pi_id
        card = from_json(pi.data).get("card", {})
        ii_id = pi.instrument_identifier_id
        exp = (card.get("expirationMonth"), card.get("expirationYear"))
    else:
        card = pay.get("card") or {}
        exp = (card.get("expirationMonth"), card.get("expirationYear"))
    if not ii_id:
        return None
    ii = conn.execute(
        select(instrument_identifiers).where(instrument_identifiers.c.id == ii_id)
    ).first()
    if ii is None or ii.state != "ACTIVE":
        raise bad_field(now, "paymentInformation.instrumentIdentifier.id")
    ref = _ii_ref(ii, exp)
    ref.tokens.update(tokens)
    return ref


def decode_transient(token: str, key: RSAKey, now: datetime) -> str:
    """Verify a transient token's signature and return its ``jti`` (or 400)."""
    field_name = "tokenInformation.transientTokenJwt"
    try:
        claims = jwt.decode(token, key, algorithms=["RS256"]).claims
    except (JoseError, ValueError):
        raise bad_field(now, field_name, "Invalid transient token") from None
    jti = claims.get("jti")
    if not isinstance(jti, str):
        raise bad_field(now, field_name, "Invalid transient token")
    return jti


def from_transient(conn: Connection, jti: str, now: datetime) -> CardRef:
    field_name = "tokenInformation.transientTokenJwt"
    row = conn.execute(select(transient_tokens).where(transient_tokens.c.jti == jti)).first()
    if row is None:
        raise bad_field(now, field_name, "Invalid transient token")
    if row.used:
        raise bad_field(now, field_name, "The transient token has already been used")
    if unstamp(row.expires_at) < now:
        raise bad_field(now, field_name, "The transient token has expired")
    return CardRef(
        row.card_type,
        row.card_bin,
        row.card_suffix,
        row.exp_month,
        row.exp_year,
        row.card_hash,
        transient_jti=jti,
    )
