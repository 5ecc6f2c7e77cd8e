"""Cybersource HTTP Signature authentication (FACTS §2.1), as an ``httpx.Auth``.

The signing string is one ``name: value`` line per signed header, joined by ``\\n`` with no
trailing newline, in this order: ``host date request-target [digest] v-c-merchant-id``
(``digest`` for POST/PUT/PATCH only). ``request-target`` is the lower-case method, a space and
the path *with* its query string. ``Digest`` is a plain SHA-256 of the exact body bytes sent.
The shared secret is base64-decoded before the HMAC-SHA256.

The same functions serve the embedded sandbox when it checks a request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import httpx

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def http_date(now: datetime | None = None) -> str:
    """RFC 7231 date, e.g. ``Thu, 01 Jan 2026 00:00:00 GMT``."""
    return format_datetime(now or datetime.now(UTC), usegmt=True)


def parse_http_date(value: str) -> datetime | None:
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None or dt.tzinfo is None:
        return None
    return dt


def body_digest(body: bytes) -> str:
    """``SHA-256=`` + base64 of the SHA-256 of the body bytes."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def signed_header_names(method: str) -> list[str]:
    if method.upper() in BODY_METHODS:
        return ["host", "date", "request-target", "digest", "v-c-merchant-id"]
    return ["host", "date", "request-target", "v-c-merchant-id"]


def signing_string(
    *, method: str, target: str, host: str, date: str, merchant_id: str, digest: str | None
) -> str:
    values = {
        "host": host,
        "date": date,
        "request-target": f"{method.lower()} {target}",
        "digest": digest or "",
        "v-c-merchant-id": merchant_id,
    }
    return "\n".join(f"{name}: {values[name]}" for name in signed_header_names(method))


def hmac_b64(secret: bytes, message: str) -> str:
    return base64.b64encode(
        hmac.new(secret, message.encode("utf-8"), hashlib.sha256).digest()
    ).decode("ascii")


@dataclass(frozen=True)
class Credentials:
    """HTTP Signature credentials. ``secret`` is the *decoded* shared secret."""

    merchant_id: str
    key_id: str
    secret: bytes

    @classmethod
    def from_base64(cls, merchant_id: str, key_id: str, shared_secret_b64: str) -> Credentials:
        return cls(merchant_id, key_id, base64.b64decode(shared_secret_b64))

    def __repr__(self) -> str:  # never print the secret
        return f"Credentials(merchant_id={self.merchant_id!r}, key_id={self.key_id!r})"


def sign(
    creds: Credentials, *, method: str, target: str, host: str, date: str, body: bytes | None
) -> dict[str, str]:
    """The headers Cybersource expects for one request (FACTS §2.1)."""
    method = method.upper()
    digest = body_digest(body or b"") if method in BODY_METHODS else None
    names = signed_header_names(method)
    sig = hmac_b64(
        creds.secret,
        signing_string(
            method=method,
            target=target,
            host=host,
            date=date,
            merchant_id=creds.merchant_id,
            digest=digest,
        ),
    )
    headers = {
        "v-c-merchant-id": creds.merchant_id,
        "Date": date,
        "Host": host,
        "Signature": (
            f'keyid="{creds.key_id}", algorithm="HmacSHA256", '
            f'headers="{" ".join(names)}", signature="{sig}"'
        ),
    }
    if digest is not None:
        headers["Digest"] = digest
    return headers


def parse_signature_header(value: str) -> dict[str, str]:
    """``keyid="…", algorithm="…", headers="…", signature="…"`` → dict (split on first ``=``)."""
    out: dict[str, str] = {}
    for part in value.split(","):
        name, sep, raw = part.strip().partition("=")
        if not sep:
            continue
        out[name.strip().lower()] = raw.strip().strip('"')
    return out


class HttpSignatureAuth(httpx.Auth):
    """Signs every request; the Host header carries ``host`` even when sent elsewhere."""

    requires_request_body = True

    def __init__(
        self, creds: Credentials, host: str, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.creds = creds
        self.host = host
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        date = http_date(self._clock() if self._clock else None)
        target = request.url.raw_path.decode("ascii")
        headers = sign(
            self.creds,
            method=request.method,
            target=target,
            host=self.host,
            date=date,
            body=request.content if request.method in BODY_METHODS else None,
        )
        request.headers.update(headers)
        yield request
