"""Load the official Cybersource spec and the SDK 0.0.80 field map; build per-operation validators.

Both files live OUTSIDE the repository, in ``../shared/reference/cybersource/`` next to the
checkout (licence: develop-and-test use only, never copied here). Where that folder is absent
the contract tests skip with :data:`ABSENT_REASON`; in CI it is always present.

Path names differ between the two (FACTS §0): the 2020 spec says ``{customerTokenId}``,
``{paymentInstrumentTokenId}``, ``{instrumentIdentifierTokenId}``, ``{shippingAddressTokenId}``
and ``/pts/v2/reversals/``, ``/pts/v2/voids/`` with a trailing slash; the field map has today's
names. Both are normalised to today's names, and an operation the 2020 spec lacks
(notification subscriptions, kms/egress, DM actions, chargeback details…) is checked against
the field map alone.

A validator is a :class:`jsonschema.Draft4Validator` over :func:`_closed_schema.closed_union` of the
two sources, plus the essential fields and status/reason lists of :mod:`_facts_rules`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _closed_schema import Schema, closed_union
from _facts_rules import apply_rules
from jsonschema import Draft4Validator, ValidationError

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference" / "cybersource"
SPEC_FILE = REFERENCE_DIR / "cybersource-rest-spec.json"
FIELD_MAP_FILE = REFERENCE_DIR / "sdk-0.0.80-field-map.json"
ABSENT_REASON = (
    f"Cybersource reference folder {REFERENCE_DIR} is absent "
    "(official spec + SDK field map; always present in CI)"
)

_PARAM_RENAMES = {
    "{customerTokenId}": "{customerId}",
    "{paymentInstrumentTokenId}": "{paymentInstrumentId}",
    "{instrumentIdentifierTokenId}": "{instrumentIdentifierId}",
    "{shippingAddressTokenId}": "{shippingAddressId}",
}
_METHODS = ("get", "post", "put", "patch", "delete")


def reference_present() -> bool:
    """True when both reference files can be read."""
    return SPEC_FILE.is_file() and FIELD_MAP_FILE.is_file()


def normalise_path(path: str) -> str:
    """The 2020 spec's path template spelled with today's names and no trailing slash."""
    for old, new in _PARAM_RENAMES.items():
        path = path.replace(old, new)
    return path.rstrip("/") or "/"


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{body}/?$")


@dataclass
class Operation:
    """One method + path template, as the official spec and/or the field map describe it."""

    method: str
    template: str
    spec: dict[str, Any] | None = None
    fmap: dict[str, Any] | None = None
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.regex = _template_regex(self.template)

    @property
    def sources(self) -> str:
        return "+".join(n for n, op in (("spec", self.spec), ("field-map", self.fmap)) if op)

    def _params(self, op: dict[str, Any] | None, where: str) -> list[dict[str, Any]]:
        return [p for p in (op or {}).get("parameters", []) if p.get("in") == where]

    def body_schemas(self) -> tuple[Schema | None, Schema | None]:
        spec_body = self._params(self.spec, "body")
        map_body = self._params(self.fmap, "body")
        return (
            spec_body[0]["schema"] if spec_body else None,
            map_body[0]["schema"] if map_body else None,
        )

    def response_schemas(self, status: int) -> tuple[Schema | None, Schema | None]:
        code = str(status)
        spec_resp = (self.spec or {}).get("responses", {}).get(code)
        map_resp = (self.fmap or {}).get("responses", {}).get(code)
        if spec_resp is None and map_resp is None:
            raise KeyError(f"{self.method.upper()} {self.template}: status {status} undocumented")
        return (
            (spec_resp or {}).get("schema"),
            (map_resp or {}).get("schema"),
        )

    def query_names(self) -> tuple[set[str], set[str]]:
        """(known query parameter names, required ones — the official spec's flags first)."""
        spec_q = self._params(self.spec, "query")
        map_q = self._params(self.fmap, "query")
        known = {p["name"] for p in spec_q + map_q}
        source = spec_q if self.spec else map_q
        return known, {p["name"] for p in source if p.get("required")}


class Contract:
    """Index of both documents' operations and a cache of closed validators."""

    def __init__(self, spec: dict[str, Any], fmap: dict[str, Any]) -> None:
        self._definitions: dict[str, Schema] = fmap.get("definitions", {})
        ops: dict[tuple[str, str], Operation] = {}
        for doc, attr in ((spec, "spec"), (fmap, "fmap")):
            for raw_path, item in doc["paths"].items():
                template = normalise_path(raw_path)
                for method in _METHODS:
                    if method in item:
                        op = ops.setdefault((method, template), Operation(method, template))
                        setattr(op, attr, item[method])
        # Literal segments beat parameters (``/tss/v2/transactions/emvTagDetails`` vs ``{id}``).
        self.operations = sorted(
            ops.values(), key=lambda o: (o.template.count("{"), -len(o.template))
        )
        self._validators: dict[tuple[str, str, str], Draft4Validator] = {}

    def _resolve(self, schema: Schema | None) -> Schema | None:
        seen: set[str] = set()
        while schema and "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                raise ValueError(f"$ref cycle at {name}")
            seen.add(name)
            schema = self._definitions[name]
        return schema

    def operation(self, method: str, path: str) -> Operation:
        """The operation a concrete request path (query string allowed) belongs to."""
        bare = path.split("?", 1)[0]
        for op in self.operations:
            if op.method == method.lower() and op.regex.match(bare):
                return op
        raise KeyError(f"{method.upper()} {bare}: in neither the official spec nor the field map")

    def request_validator(self, method: str, path: str) -> Draft4Validator:
        op = self.operation(method, path)
        return self._validator(op, "request", op.body_schemas())

    def response_validator(self, method: str, path: str, status: int) -> Draft4Validator:
        op = self.operation(method, path)
        return self._validator(op, str(status), op.response_schemas(status))

    def _validator(
        self, op: Operation, kind: str, pair: tuple[Schema | None, Schema | None]
    ) -> Draft4Validator:
        key = (op.method, op.template, kind)
        if key not in self._validators:
            if pair == (None, None):
                raise KeyError(f"{op.method.upper()} {op.template} {kind}: no JSON schema")
            schema = closed_union(pair[0], pair[1], self._resolve)
            apply_rules(schema, op.method, op.template, kind)
            Draft4Validator.check_schema(schema)
            self._validators[key] = Draft4Validator(schema)
        return self._validators[key]


@functools.cache
def load_contract() -> Contract:
    """Parse both reference files once per test session."""
    with SPEC_FILE.open(encoding="utf-8") as f:
        spec = json.load(f)
    with FIELD_MAP_FILE.open(encoding="utf-8") as f:
        fmap = json.load(f)
    return Contract(spec, fmap)


def violations(validator: Draft4Validator, instance: object) -> list[str]:
    """Every violation as ``at <json path>: <message>``, sorted by path; empty means valid."""
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
    return [f"at {e.json_path}: {_explain(e)}" for e in errors]


def _explain(error: ValidationError) -> str:
    # A status-dependent rule fails as a bare anyOf; say which rule and what is missing.
    if (
        error.validator == "anyOf"
        and isinstance(error.schema, dict)
        and error.schema.get("description")
    ):
        missing = [e.message for e in error.context or [] if e.schema_path[0] == 1]
        return f"{error.schema['description']}: {'; '.join(missing)}"
    return _short(error.message)


def _short(message: str, limit: int = 240) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


def describe(lines: Iterable[str]) -> str:
    return "\n  ".join(["contract violations:", *lines])
