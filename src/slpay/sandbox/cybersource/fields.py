"""Reading request fields the way Cybersource validates them (400 naming the field)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from slpay.domain.money import parse_amount

from .wire import bad_field, missing


def dig(doc: Any, path: str) -> Any:
    """``dig(body, "orderInformation.amountDetails.totalAmount")``; None when absent."""
    cur = doc
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def obj(doc: Any, path: str, now: datetime) -> dict[str, Any]:
    """An optional object: absent → ``{}``, anything but an object → 400."""
    value = dig(doc, path)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_field(now, path)
    return value


def text(
    doc: Any, path: str, now: datetime, *, required: bool = False, max_len: int = 255
) -> str | None:
    value = dig(doc, path)
    if value is None or value == "":
        if required:
            raise missing(now, path)
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise bad_field(now, path)
    return value


def currency(doc: Any, path: str, now: datetime) -> str:
    value = text(doc, path, now, required=True, max_len=3)
    assert value is not None
    if len(value) != 3 or not value.isalpha():
        raise bad_field(now, path)
    return value.upper()


def amount(
    doc: Any, path: str, cur: str, now: datetime, *, required: bool = True
) -> Decimal | None:
    """A wire amount: a string, never a JSON number, never negative, no excess decimals."""
    value = dig(doc, path)
    if value is None or value == "":
        if required:
            raise missing(now, path)
        return None
    if not isinstance(value, str):
        raise bad_field(now, path)
    try:
        parsed = parse_amount(value.strip(), cur)
    except ValueError:
        raise bad_field(now, path) from None
    if parsed < 0:
        raise bad_field(now, path)
    return parsed


def str_list(doc: Any, path: str, now: datetime) -> list[str]:
    value = dig(doc, path)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_field(now, path)
    return list(value)


def mdd(doc: Any, now: datetime) -> list[dict[str, str]]:
    """``merchantDefinedInformation[]`` as ``{key, value}`` pairs (keys are numbers as strings)."""
    value = dig(doc, "merchantDefinedInformation")
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_field(now, "merchantDefinedInformation")
    out: list[dict[str, str]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("value", ""), str):
            raise bad_field(now, f"merchantDefinedInformation[{i}]")
        out.append({"key": str(item.get("key", "")), "value": str(item.get("value", ""))})
    return out
