"""Helpers for the mapping tests (no tests here): fakes of the SL Protocols, golden files.

A golden case is two files under ``tests/unit/golden/mapping/<rule>/``: ``<case>.input.json``
(an optional ``mapping`` overlay merged over the packaged default, plus the rule's input) and
``<case>.expected.json`` (the rule's output as JSON, or ``{"error": {"field", "message"}}``).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl.models import Customer
from slpay.mapping.build import build_mapping
from slpay.mapping.currency import RateQuote
from slpay.mapping.load import default_mapping_text, parse_yaml, validate
from slpay.mapping.rules import CompiledMapping

GOLDEN = Path(__file__).parent / "golden" / "mapping"


def merged(base: Any, overlay: Any) -> Any:
    """``overlay`` over ``base``: mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for key, value in overlay.items():
            out[key] = merged(base.get(key), value) if key in base else value
        return out
    return overlay


def mapping_with(overlay: dict[str, Any] | None = None, **sl: Any) -> CompiledMapping:
    """The packaged default mapping with ``overlay`` merged in, for ``SLSettings(**sl)``."""
    data = merged(parse_yaml(default_mapping_text(), "default.yaml"), overlay or {})
    return build_mapping(validate(data, "test.yaml"), SLSettings(**sl), "test.yaml")


def customer(cust_id: str, email: str = "", name: str = "") -> Customer:
    """An SL customer as the SL connector's directory would return it."""
    return Customer(
        cust_id=cust_id,
        name=name or cust_id,
        email=email,
        ar_acct="1200",
        ar_sub="000000",
        prepay_acct="2300",
        prepay_sub="000000",
        terms="00",
        auto_apply=False,
    )


class FakeDirectory:
    """In-memory :class:`CustomerDirectory`; e-mails match case-insensitively, as in SL."""

    def __init__(self, customers: list[Customer] | None = None):
        self.customers = list(customers or [])
        self.asked: list[str] = []

    def find_by_id(self, cust_id: str) -> Customer | None:
        self.asked.append(f"id:{cust_id}")
        return next((c for c in self.customers if c.cust_id == cust_id), None)

    def find_by_email(self, email: str) -> Customer | None:
        self.asked.append(f"email:{email}")
        wanted = email.strip().lower()
        return next((c for c in self.customers if c.email.lower() == wanted), None)


class FakeRates:
    """In-memory SL ``CuryRate`` rows: ``(from, to, type, rate, mult_div, effective)``."""

    def __init__(self, rows: list[dict[str, str]] | None = None):
        self.rows = rows or []

    def rate(
        self, from_currency: str, to_currency: str, rate_type: str, on: date
    ) -> RateQuote | None:
        hits = [
            r
            for r in self.rows
            if (r["from"], r["to"], r["type"]) == (from_currency, to_currency, rate_type)
            and date.fromisoformat(r["effective"]) <= on
        ]
        if not hits:
            return None
        row = max(hits, key=lambda r: r["effective"])
        mult_div = "D" if row["mult_div"] == "D" else "M"
        return RateQuote(Decimal(row["rate"]), mult_div, date.fromisoformat(row["effective"]))


def directory_from(rows: list[dict[str, str]] | None) -> FakeDirectory:
    return FakeDirectory(
        [customer(r["cust_id"], r.get("email", ""), r.get("name", "")) for r in rows or []]
    )


def jsonable(value: Any) -> Any:
    """Dataclasses, Decimals, dates → plain JSON values (Decimals as exact strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def cases(rule: str) -> list[str]:
    """The case names of one rule's golden folder."""
    folder = GOLDEN / rule
    return sorted(p.name.removesuffix(".input.json") for p in folder.glob("*.input.json"))


def read_case(rule: str, name: str) -> tuple[dict[str, Any], Any]:
    """A golden case's input and expected output."""
    folder = GOLDEN / rule
    given = json.loads((folder / f"{name}.input.json").read_text(encoding="utf-8"))
    expected = json.loads((folder / f"{name}.expected.json").read_text(encoding="utf-8"))
    return given, expected
