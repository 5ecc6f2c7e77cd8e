"""Our HTTP Signature signer reproduces FACTS §2.1's test vector byte for byte."""

from datetime import UTC, datetime

import httpx

from slpay.connectors.cybersource.auth import (
    Credentials,
    HttpSignatureAuth,
    http_date,
    parse_signature_header,
    sign,
)

CREDS = Credentials.from_base64(
    "demo_merchant",
    "11111111-2222-3333-4444-555555555555",
    "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
)
HOST = "apitest.cybersource.com"
DATE = "Thu, 01 Jan 2026 00:00:00 GMT"
BODY = (
    b'{"clientReferenceInformation":{"code":"ORDER-1"},'
    b'"orderInformation":{"amountDetails":{"totalAmount":"10.00","currency":"USD"}}}'
)


def test_post_headers_match_facts_vector_exactly() -> None:
    headers = sign(CREDS, method="POST", target="/pts/v2/payments", host=HOST, date=DATE, body=BODY)
    assert headers == {
        "v-c-merchant-id": "demo_merchant",
        "Date": DATE,
        "Host": HOST,
        "Digest": "SHA-256=YKd+0OXMwI6NucvF/B44dYm/GED6EwWsfeFSqccwPIQ=",
        "Signature": 'keyid="11111111-2222-3333-4444-555555555555", algorithm="HmacSHA256", '
        'headers="host date request-target digest v-c-merchant-id", '
        'signature="PzvAXT0RA8T3/M9/ZjLyv/+jIwPC+hDs8lEHBlBgCOU="',
    }


def test_get_signature_matches_facts_vector_and_has_no_digest() -> None:
    headers = sign(
        CREDS,
        method="GET",
        target="/tss/v2/transactions/1234567890",
        host=HOST,
        date=DATE,
        body=None,
    )
    assert "Digest" not in headers
    sig = parse_signature_header(headers["Signature"])
    assert sig["headers"] == "host date request-target v-c-merchant-id"
    assert sig["signature"] == "Kk7v8jitlJumv5rE0LM+p/OK/tdFSLZd0G+gsEqZ5H4="


def test_date_header_is_rfc7231_gmt() -> None:
    assert http_date(datetime(2026, 1, 1, tzinfo=UTC)) == DATE


def test_httpx_auth_signs_exact_bytes_sent_and_query_string() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    auth = HttpSignatureAuth(CREDS, HOST, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://127.0.0.1:9") as c:
        c.post("/pts/v2/payments", content=BODY, auth=auth)
        c.get("/reporting/v3/net-fundings", params={"startTime": "a b"}, auth=auth)
    post, get = seen
    assert post.headers["Host"] == HOST
    assert post.headers["Digest"] == "SHA-256=YKd+0OXMwI6NucvF/B44dYm/GED6EwWsfeFSqccwPIQ="
    assert 'signature="PzvAXT0RA8T3/M9/ZjLyv/+jIwPC+hDs8lEHBlBgCOU="' in post.headers["Signature"]
    expected = sign(
        CREDS,
        method="GET",
        target="/reporting/v3/net-fundings?startTime=a+b",
        host=HOST,
        date=DATE,
        body=None,
    )
    assert get.headers["Signature"] == expected["Signature"]


def test_credentials_repr_never_shows_the_secret() -> None:
    assert "MDEy" not in repr(CREDS)
    assert "0123" not in repr(CREDS)
