"""Plays the shopper's browser against the sandbox: a test card in, a transient token out.

In production the card number goes from the browser straight into Cybersource's Microform
iframe and slpay only ever sees the transient token. The sandbox's stand-in for that iframe is
``POST /sandbox/transient-tokens``; this module is the only caller slpay's demo has, so test
card numbers stay inside ``slpay.sandbox``.
"""

from __future__ import annotations

import httpx

#: Network test cards (FACTS §11), by brand.
TEST_CARDS: dict[str, str] = {
    "visa": "4111111111111111",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "discover": "6011111111111117",
}


def transient_token(
    base_url: str, brand: str = "visa", *, client: httpx.Client | None = None
) -> str:
    """Tokenize a test card of ``brand`` in the sandbox's Microform stand-in."""
    body = {"number": TEST_CARDS[brand], "expirationMonth": "12", "expirationYear": "2031"}
    http = client or httpx.Client(timeout=10.0)
    try:
        response = http.post(f"{base_url.rstrip('/')}/sandbox/transient-tokens", json=body)
        response.raise_for_status()
        return str(response.json()["transientTokenJwt"])
    finally:
        if client is None:
            http.close()
