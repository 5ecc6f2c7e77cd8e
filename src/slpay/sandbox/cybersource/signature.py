"""Check a request's HTTP Signature the way Cybersource does (FACTS §2.1).

The same primitives sign requests in the connector (``connectors.cybersource.auth``), so the
sandbox and the client cannot drift apart silently: a change to one breaks the other's tests.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from slpay.connectors.cybersource.auth import (
    BODY_METHODS,
    body_digest,
    hmac_b64,
    parse_http_date,
    parse_signature_header,
    signed_header_names,
    signing_string,
)

from .asgi import Request


@dataclass(frozen=True)
class Verdict:
    ok: bool
    #: Why a request was refused (logged by the sandbox, never sent to the client).
    reason: str = ""


REFUSED_NO_HEADERS = Verdict(False, "missing Signature, Date, Host or v-c-merchant-id")


def verify_request(
    req: Request,
    *,
    merchant_id: str,
    key_id: str,
    secret: bytes,
    now: datetime,
    skew_s: int,
) -> Verdict:
    """Accept only a request signed with our key over exactly what was sent."""
    h = req.headers
    sig_header, date, host, mid = (
        h.get("signature"),
        h.get("date"),
        h.get("host"),
        h.get("v-c-merchant-id"),
    )
    if not (sig_header and date and host and mid):
        return REFUSED_NO_HEADERS
    params = parse_signature_header(sig_header)
    if not hmac.compare_digest(params.get("keyid", "").encode(), key_id.encode()):
        return Verdict(False, "unknown keyid")
    if mid != merchant_id:
        return Verdict(False, "unknown merchant")
    if params.get("algorithm", "").lower() != "hmacsha256":
        return Verdict(False, "unsupported algorithm")
    sent = parse_http_date(date)
    if sent is None:
        return Verdict(False, "malformed Date")
    if abs((now - sent).total_seconds()) > skew_s:
        return Verdict(False, "Date outside the allowed clock skew")
    names = params.get("headers", "").split()
    if [n.strip("()") for n in names] != signed_header_names(req.method):
        return Verdict(False, "wrong list of signed headers")
    digest: str | None = None
    if req.method in BODY_METHODS:
        digest = h.get("digest")
        if digest is None:
            return Verdict(False, "missing Digest")
        if not hmac.compare_digest(digest.encode(), body_digest(req.body).encode()):
            return Verdict(False, "Digest does not match the body")
    text = signing_string(
        method=req.method,
        target=req.target,
        host=host,
        date=date,
        merchant_id=mid,
        digest=digest,
    )
    if "(request-target)" in names:
        # Older docs spell the pseudo-header with parentheses in both places.
        text = text.replace("request-target: ", "(request-target): ", 1)
    expected = hmac_b64(secret, text)
    if not hmac.compare_digest(expected.encode(), params.get("signature", "").encode()):
        return Verdict(False, "signature mismatch")
    return Verdict(True)
