"""Message-level encryption (JWE) for Cybersource webhook payloads (FACTS §8.3).

Cybersource encrypts card-payment notifications with the merchant's asymmetric egress key:
compact JWE, key management ``RSA-OAEP-256``, content encryption ``A256GCM``. slpay decrypts
with the private key from ``cybersource.webhook_decryption_key`` (PEM or JWK JSON); the embedded
sandbox encrypts what it delivers with :func:`encrypt_payload` and the matching public key.

Only these two algorithms are accepted on decryption, so a token that asks for anything else
(``dir``, ``RSA1_5``, ``none`` …) is refused rather than negotiated down. The library is
``joserfc`` (maintained, typed); nothing here re-implements cryptography.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from slpay.errors import ValidationError

#: Key management and content encryption algorithms Cybersource uses for MLE.
KEY_ALGORITHM = "RSA-OAEP-256"
CONTENT_ALGORITHM = "A256GCM"
_ALGORITHMS = (KEY_ALGORITHM, CONTENT_ALGORITHM)


class JweError(ValidationError):
    """A payload could not be decrypted (tampered, wrong key, wrong algorithm, not a JWE)."""


def generate_key(bits: int = 2048) -> RSAKey:
    """A fresh RSA key pair (for tests and the sandbox; production keys come from Cybersource)."""
    return RSAKey.generate_key(bits, private=True)


def load_key(material: str | bytes) -> RSAKey:
    """Load an RSA key from PEM text or JWK JSON (public or private)."""
    text = material.decode("utf-8") if isinstance(material, bytes) else material
    return _load_cached(text.strip())


@lru_cache(maxsize=8)
def _load_cached(text: str) -> RSAKey:
    # Loading a private key validates it (tens of ms for RSA); the webhook hot path reuses it.
    try:
        if text.startswith("{"):
            return RSAKey.import_key(json.loads(text))
        return RSAKey.import_key(text.encode("utf-8"))
    except (JoseError, ValueError, TypeError) as exc:
        raise JweError("not an RSA key in PEM or JWK form", field="webhook_decryption_key") from exc


def public_pem(key: RSAKey) -> str:
    """The public half of ``key`` as PEM text (what a merchant would upload)."""
    return key.as_pem(private=False).decode("ascii")


def private_pem(key: RSAKey) -> str:
    """The private key as PEM text (for configuration files in tests and demos)."""
    return key.as_pem(private=True).decode("ascii")


def encrypt_payload(data: Any, key: RSAKey | str | bytes, *, kid: str | None = None) -> str:
    """Encrypt ``data`` (bytes, text, or a JSON-able value) into a compact JWE string."""
    if isinstance(data, bytes):
        plaintext = data
    elif isinstance(data, str):
        plaintext = data.encode("utf-8")
    else:
        plaintext = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    rsa = key if isinstance(key, RSAKey) else load_key(key)
    header: dict[str, Any] = {"alg": KEY_ALGORITHM, "enc": CONTENT_ALGORITHM}
    if kid:
        header["kid"] = kid
    return jwe.encrypt_compact(header, plaintext, rsa, algorithms=_ALGORITHMS)


def decrypt_payload(token: str | bytes, key: RSAKey | str | bytes) -> bytes:
    """Decrypt a compact JWE; raise :class:`JweError` if it is not authentic for ``key``."""
    rsa = key if isinstance(key, RSAKey) else load_key(key)
    try:
        obj = jwe.decrypt_compact(token, rsa, algorithms=_ALGORITHMS)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        # joserfc raises ValueError for malformed compact strings, JoseError for bad crypto.
        raise JweError(f"cannot decrypt payload: {type(exc).__name__}") from None
    if obj.plaintext is None:  # pragma: no cover - joserfc always sets it on success
        raise JweError("cannot decrypt payload: empty plaintext")
    return obj.plaintext


def decrypt_json(token: str | bytes, key: RSAKey | str | bytes) -> Any:
    """Decrypt a compact JWE whose plaintext is JSON, and parse it."""
    plaintext = decrypt_payload(token, key)
    try:
        return json.loads(plaintext)
    except ValueError:
        raise JweError("decrypted payload is not JSON") from None


def looks_like_jwe(value: object) -> bool:
    """True for a string shaped like a compact JWE (five base64url parts)."""
    if not isinstance(value, str | bytes):
        return False
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    parts = text.strip().split(".")
    return len(parts) == 5 and bool(parts[0]) and parts[0].startswith("ey")
