"""Sandbox-own secrets kept in the ``cs_meta`` table so they survive restarts.

- the salt of the keyed card hash (instrument identifiers are one per card number, so the
  sandbox must recognise a number it has seen without keeping it);
- the RSA key that signs capture contexts and transient tokens (Microform stand-in).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from functools import cached_property

from joserfc.jwk import RSAKey
from sqlalchemy import select

from .store import Store, meta


class SandboxSecrets:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()

    def _get_or_create(self, name: str, make: object) -> str:
        with self._lock, self._store.begin() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.name == name)).first()
            if row is not None:
                return str(row[0])
            value = make() if callable(make) else str(make)
            conn.execute(meta.insert().values(name=name, value=value))
            return str(value)

    @cached_property
    def _salt(self) -> bytes:
        return bytes.fromhex(self._get_or_create("card_hash_salt", lambda: secrets.token_hex(32)))

    def card_hash(self, pan: str) -> str:
        """Keyed hash of a card number: equal numbers give equal hashes; the number is not kept."""
        return hmac.new(self._salt, pan.encode("ascii"), hashlib.sha256).hexdigest()

    @cached_property
    def flex_key(self) -> RSAKey:
        """RS256 key of the Microform stand-in (generated once, on first use)."""

        def make() -> str:
            key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8)})
            return key.as_pem(private=True).decode("ascii") + "\n#kid=" + str(key.kid)

        text = self._get_or_create("flex_rsa_key", make)
        pem, _, kid = text.rpartition("\n#kid=")
        return RSAKey.import_key(pem, parameters={"kid": kid})
