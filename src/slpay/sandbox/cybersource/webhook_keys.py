"""Webhook keys (FACTS §8.1, §8.4): the symmetric signing key from /kms/egress/v2/keys-sym
and the public key for message-level encryption from /kms/egress/v2/keys-asym.

Notifications are signed with the newest keys-sym key (else the configured default,
``slpay.config.SANDBOX_WEBHOOK_KEY*``), and sealed as JWE (RSA-OAEP-256 + A256GCM) when a public
key is registered or configured.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import timedelta
from typing import Any

from joserfc import jwe
from joserfc.jwk import RSAKey
from sqlalchemy import delete, select

from . import fields
from .asgi import Request, Response, Router
from .core import Sandbox
from .store import meta, stamp, webhook_keys
from .wire import bad_field, dumps, utc_z

JWE_ALGORITHMS = ["RSA-OAEP-256", "A256GCM"]


class WebhookKeys:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def register(self, r: Router) -> None:
        r.add("POST", "/kms/egress/v2/keys-sym", self.create_key)
        r.add("POST", "/kms/egress/v2/keys-asym", self.register_mle_key)

    def create_key(self, req: Request) -> Response:
        body = req.json()
        now = self.sb.now()
        info = fields.obj(body, "keyInformation", now)
        key_id, key = str(uuid.uuid4()), base64.b64encode(secrets.token_bytes(32)).decode()
        with self.sb.work() as conn:
            conn.execute(webhook_keys.insert().values(key_id=key_id, key=key, created=stamp(now)))
        org = self.sb.config.merchant_id
        out = {
            "submitTimeUtc": utc_z(now),
            "status": "SUCCESS",
            "keyInformation": {
                "provider": str(info.get("provider", "nrtd")),
                "tenant": str(info.get("tenant", org)),
                "organizationId": str(info.get("organizationId", org)),
                "keyId": key_id,
                "key": key,
                "keyType": str(info.get("keyType", "sharedSecret")),
                "status": "ACTIVE",
                "expirationDate": utc_z(now + timedelta(days=int(info.get("expiryDuration", 365)))),
            },
        }
        return Response(201, dumps(out), "application/json;charset=utf-8")

    def signing_key(self) -> tuple[str, str]:
        """The newest key from /kms/egress/v2/keys-sym, else the configured default."""
        with self.sb.store.begin() as conn:
            row = conn.execute(
                select(webhook_keys).order_by(webhook_keys.c.created.desc()).limit(1)
            ).first()
        if row is None:
            return self.sb.config.webhook_key_id, self.sb.config.webhook_key
        return str(row.key_id), str(row.key)

    def register_mle_key(self, req: Request) -> Response:
        body = req.json()
        now = self.sb.now()
        pub = fields.text(body, "keyInformation.pub", now, required=True, max_len=20000) or ""
        try:
            _import_public_key(pub)
        except ValueError:
            raise bad_field(
                now, "keyInformation.pub", "Not a public RSA key (PEM or JWK)"
            ) from None
        with self.sb.work() as conn:
            conn.execute(delete(meta).where(meta.c.name == "mle_public_key"))
            conn.execute(meta.insert().values(name="mle_public_key", value=pub))
        return Response(201, dumps({"submitTimeUtc": utc_z(now), "status": "SUCCESS"}))

    def encrypt(self, body: bytes) -> bytes | None:
        """Seal a notification for the registered (or configured) public key, if there is one."""
        with self.sb.store.begin() as conn:
            pub = conn.execute(select(meta.c.value).where(meta.c.name == "mle_public_key")).scalar()
        pub = pub or self.sb.config.webhook_encryption_key
        if not pub:
            return None
        key = _import_public_key(pub)
        header = {"alg": "RSA-OAEP-256", "enc": "A256GCM"}
        if key.kid:
            header["kid"] = key.kid
        return jwe.encrypt_compact(header, body, key, algorithms=JWE_ALGORITHMS).encode("ascii")


def _import_public_key(text: str) -> RSAKey:
    value: Any = text.strip()
    if value.startswith("{"):
        value = json.loads(value)
    try:
        key = RSAKey.import_key(value)
    except Exception as exc:  # joserfc raises several types for unreadable keys
        raise ValueError("not an RSA key") from exc
    return key
