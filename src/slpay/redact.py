"""PAN and CVV redaction for everything slpay writes down.

Every log line and every stored payload (inbox, dead letters, retry payloads, audit) passes
through here (PCI DSS v4.0 3.3.1, 3.5.1). Two entry points:

- :func:`redact_text` masks card numbers inside free text: a *whole* run of 13-19 digits,
  optionally grouped by single spaces or dashes, bounded by non-digits, that starts with a
  card-brand prefix and passes the Luhn check, becomes first 6 + ``*`` + last 4. A digit run
  inside a longer number (a 22-digit Cybersource transaction id, a 13-digit millisecond
  timestamp that happens to pass Luhn but carries no brand prefix) is left alone.
- :func:`redact_data` walks JSON-like structures: values under CVV-like keys are dropped,
  values under id/timestamp keys are kept verbatim, every other string goes through
  :func:`redact_text`, and bare integers that look like a card number are masked too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Keys whose values are dropped entirely (card security codes).
CVV_KEYS = frozenset({"securitycode", "cvv", "cvv2", "cvc", "cvn", "cid", "cardsecuritycode"})

#: Keys that hold identifiers or timestamps: never rewritten by the text redactor.
_ID_KEY = re.compile(
    r"(^id$|Id$|_id$|ID$|^rootId$|TraceId$|^reconciliationId$|^keyId$|^t$|Time(Utc|UTC)?$"
    r"|Date$|^timestamp$|^requestId$|^searchId$|^webhookId$)"
)

# A maximal run of digit groups joined by single spaces or dashes, bounded by non-digits.
_RUN = re.compile(r"\d+(?:[ -]\d+)*")
_SEP = re.compile(r"[ -]")

# Issuer identification ranges of the major brands (Visa, Mastercard incl. 2-series,
# Amex, Discover, Diners, JCB, UnionPay, Maestro).
_BRAND = re.compile(
    r"^(4|5[1-5]|2(2[2-9][1-9]|2[3-9]|[3-6]|7[01]|720)|3[47]|6011|64[4-9]|65|3(0[0-5]|[689])"
    r"|35(2[89]|[3-8])|62|5[06-9]|6[0-9])"
)


def luhn_ok(digits: str) -> bool:
    """True if ``digits`` (only 0-9) passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def looks_like_pan(digits: str) -> bool:
    """True if a bare digit string is shaped like a card number of a known brand."""
    return 13 <= len(digits) <= 19 and bool(_BRAND.match(digits)) and luhn_ok(digits)


def mask_pan(digits: str) -> str:
    """First 6 and last 4 digits kept, the middle replaced by ``*``."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _mask_run(run: str) -> str:
    groups = _SEP.split(run)
    digits = "".join(groups)
    if 13 <= len(digits) <= 19 and looks_like_pan(digits):
        return mask_pan(digits)
    if len(groups) == 1:
        # One ungrouped run of the wrong length or shape: part of a longer id, left alone.
        return run
    # A grouped run longer than a card (e.g. "order 1234 4111 1111 1111 1111"): look for
    # whole groups that together form a card number, never for digits inside a group.
    seps = _SEP.findall(run)
    out: list[str] = []
    i = 0
    while i < len(groups):
        hit = 0
        total = 0
        for j in range(i, len(groups)):
            total += len(groups[j])
            if total > 19:
                break
            if total >= 13 and looks_like_pan("".join(groups[i : j + 1])):
                hit = j + 1
        if hit:
            out.append(mask_pan("".join(groups[i:hit])))
            if hit < len(groups):
                out.append(seps[hit - 1])
            i = hit
        else:
            out.append(groups[i])
            if i < len(seps):
                out.append(seps[i])
            i += 1
    return "".join(out)


def redact_text(text: str) -> str:
    """Mask every whole card-number-shaped digit run in ``text``."""
    if len(text) < 13 or not any(c.isdigit() for c in text):
        return text
    return _RUN.sub(lambda m: _mask_run(m.group(0)), text)


def _is_cvv_key(key: str) -> bool:
    return key.replace("_", "").replace("-", "").lower() in CVV_KEYS


def redact_data(value: Any, key: str | None = None) -> Any:
    """Return a redacted copy of a JSON-like value (dicts, lists, strings, numbers)."""
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            ks = str(k)
            if _is_cvv_key(ks):
                continue
            out[k] = redact_data(v, ks)
        return out
    if isinstance(value, list | tuple):
        return [redact_data(v, key) for v in value]
    if isinstance(value, str):
        if key is not None and _ID_KEY.search(key):
            return value
        return redact_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        s = str(value)
        if key is not None and _ID_KEY.search(key):
            return value
        if looks_like_pan(s):
            return mask_pan(s)
    return value
