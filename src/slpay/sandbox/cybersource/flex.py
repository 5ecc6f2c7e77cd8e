"""Microform stand-in (FACTS §7): capture contexts and transient tokens.

``POST /microform/v2/sessions`` answers the capture context as a bare signed JWT, as
Cybersource does. In a browser, Microform would take the card number and hand back a
transient token; here ``POST /sandbox/transient-tokens`` plays the browser: it takes a test
card number and answers a transient token JWT (RS256, 15 minutes, single use after one
successful authorization). The card number is kept only as a keyed hash, BIN and last four.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from joserfc import jwt

from . import cards, fields
from .asgi import Request, Response, Router
from .core import Sandbox
from .secrets_store import SandboxSecrets
from .store import stamp, transient_tokens
from .wire import dumps, missing

TOKEN_LIFETIME = timedelta(minutes=15)


class Flex:
    def __init__(self, sb: Sandbox, secrets_: SandboxSecrets) -> None:
        self.sb = sb
        self.secrets = secrets_

    def register(self, r: Router) -> None:
        r.add("POST", "/microform/v2/sessions", self.capture_context)
        r.add("POST", "/sandbox/transient-tokens", self.transient_token, signed=False)

    def capture_context(self, req: Request) -> Response:
        body = req.json()
        now = self.sb.now()
        origins = fields.str_list(body, "targetOrigins", now)
        if not origins:
            raise missing(now, "targetOrigins")
        key = self.secrets.flex_key
        public = key.as_dict(private=False)
        claims = {
            "flx": {
                "path": "/flex/v2/tokens",
                "data": secrets.token_urlsafe(24),
                "origin": "https://testflex.cybersource.com",
                "jwk": public,
            },
            "ctx": [
                {
                    "data": {
                        "clientLibrary": "https://testflex.cybersource.com/microform/bundle/v2/flex-microform.min.js",
                        "targetOrigins": origins,
                        "allowedCardNetworks": fields.str_list(body, "allowedCardNetworks", now)
                        or ["VISA", "MASTERCARD", "AMEX"],
                        "allowedPaymentTypes": fields.str_list(body, "allowedPaymentTypes", now)
                        or ["CARD"],
                        "mfOrigin": "https://testflex.cybersource.com",
                    },
                    "type": "mf-2.0.0",
                }
            ],
            "iss": "Flex API",
            "iat": int(now.timestamp()),
            "exp": int((now + TOKEN_LIFETIME).timestamp()),
            "jti": secrets.token_hex(16),
        }
        token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key, algorithms=["RS256"])
        return Response(201, token.encode("ascii"), "application/jwt;charset=utf-8")

    def transient_token(self, req: Request) -> Response:
        """Sandbox only: ``{"number", "expirationMonth", "expirationYear"}`` → a transient token."""
        body = req.json()
        now = self.sb.now()
        card: dict[str, Any] = body["card"] if isinstance(body.get("card"), dict) else body
        pan = cards.clean_pan(card.get("number"), "number", now)
        for part in ("expirationMonth", "expirationYear"):
            if not card.get(part):
                raise missing(now, part)
        ctype = str(card.get("type") or cards.card_type_for(pan) or "001")
        month, year = str(card["expirationMonth"]).zfill(2), str(card["expirationYear"])
        key = self.secrets.flex_key
        digest = self.secrets.card_hash(pan)
        jti = secrets.token_hex(16).upper()
        expires = now + TOKEN_LIFETIME
        claims: dict[str, Any] = {
            "iss": "Flex/08",
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": jti,
            "content": {
                "paymentInformation": {
                    "card": {
                        "number": {
                            "detectedCardTypes": [ctype],
                            "maskedValue": "X" * (len(pan) - 4) + pan[-4:],
                            "bin": pan[:6],
                        },
                        "expirationMonth": {"value": month},
                        "expirationYear": {"value": year},
                    }
                }
            },
            "type": "mf-2.0.0",
        }
        token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key, algorithms=["RS256"])
        with self.sb.work() as conn:
            conn.execute(
                transient_tokens.insert().values(
                    jti=jti,
                    card_hash=digest,
                    card_bin=pan[:6],
                    card_suffix=pan[-4:],
                    card_type=ctype,
                    exp_month=month,
                    exp_year=year,
                    expires_at=stamp(expires),
                    used=0,
                )
            )
        body_out = {"transientTokenJwt": token, "jti": jti, "expiresAt": stamp(expires)}
        return Response(201, dumps(body_out), "application/json")
