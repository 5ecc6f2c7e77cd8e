"""Pure JSON-Schema plumbing for the contract tests: merge, close, require, restrict.

``closed_union(spec, field_map)`` builds one Draft 4 schema from the 2020 official schema and
the SDK 0.0.80 field map's schema for the same position:

- every object is CLOSED (``additionalProperties: false``) over the union of both sides'
  property names, so a property that neither source knows is rejected while a field that only
  the newer SDK knows (e.g. payments 201 ``paymentInsightsInformation``) stays allowed;
- a property known to both sides is merged recursively; one known to one side only is taken
  from that side (the field map's subschema for SDK-only fields);
- a primitive keeps the official schema's constraints (``maxLength``, ``minimum``…); where
  the two sources disagree on the primitive type (5 places, e.g.
  ``invoiceDetails.level3TransmissionStatus`` boolean → string), either type is accepted,
  because both shapes have been real at some point;
- a declared map (``additionalProperties: {schema}``) stays a map of that schema;
- an object that neither source describes at all (no properties, no map) stays open — closing
  it would reject every value, which says nothing about our code.

``require(schema, "a.b[].c")`` marks a dotted path as required at every level, and
``restrict(schema, "a.status", values)`` adds an ``enum`` there: the spec only lists statuses
and reasons in description text, so the allowed values come from FACTS.md (§3.4, §3.5).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

Schema = dict[str, Any]
Resolver = Callable[[Schema | None], Schema | None]

#: Keywords copied from a primitive schema; annotations (description, example…) are dropped.
_PRIMITIVE_KEYWORDS = (
    "type",
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "pattern",
    "enum",
)
_ARRAY_KEYWORDS = ("maxItems", "minItems", "uniqueItems")


def _is_object(schema: Schema | None) -> bool:
    return bool(schema) and (
        schema.get("type") == "object"
        or "properties" in schema
        or isinstance(schema.get("additionalProperties"), dict)
    )


def _is_array(schema: Schema | None) -> bool:
    return bool(schema) and (schema.get("type") == "array" or "items" in schema)


def closed_union(spec: Schema | None, fmap: Schema | None, resolve: Resolver) -> Schema:
    """One closed Draft 4 schema from the official schema and the field map's schema."""
    fmap = resolve(fmap)
    if _is_object(spec) or _is_object(fmap):
        return _merge_object(spec or {}, fmap or {}, resolve)
    if _is_array(spec) or _is_array(fmap):
        return _merge_array(spec or {}, fmap or {}, resolve)
    return _merge_primitive(spec or {}, fmap or {})


def _merge_object(spec: Schema, fmap: Schema, resolve: Resolver) -> Schema:
    spec_props: dict[str, Schema] = spec.get("properties") or {}
    map_props: dict[str, Schema] = fmap.get("properties") or {}
    names = sorted(spec_props.keys() | map_props.keys())
    out: Schema = {
        "type": "object",
        "properties": {
            name: closed_union(spec_props.get(name), map_props.get(name), resolve) for name in names
        },
    }
    spec_extra = spec.get("additionalProperties")
    map_extra = fmap.get("additionalProperties")
    if isinstance(spec_extra, dict) or isinstance(map_extra, dict):
        out["additionalProperties"] = closed_union(
            spec_extra if isinstance(spec_extra, dict) else None,
            map_extra if isinstance(map_extra, dict) else None,
            resolve,
        )
    elif names:
        out["additionalProperties"] = False
    required = spec.get("required")
    if isinstance(required, list) and required:
        out["required"] = list(required)
    return out


def _merge_array(spec: Schema, fmap: Schema, resolve: Resolver) -> Schema:
    out: Schema = {"type": "array"}
    if spec.get("items") is not None or fmap.get("items") is not None:
        out["items"] = closed_union(spec.get("items"), fmap.get("items"), resolve)
    out.update({k: spec[k] for k in _ARRAY_KEYWORDS if k in spec})
    return out


def _merge_primitive(spec: Schema, fmap: Schema) -> Schema:
    base = spec if spec else fmap
    out: Schema = {k: copy.deepcopy(base[k]) for k in _PRIMITIVE_KEYWORDS if k in base}
    spec_type, map_type = spec.get("type"), fmap.get("type")
    if spec and isinstance(spec_type, str) and isinstance(map_type, str) and spec_type != map_type:
        out["type"] = [spec_type, map_type]
        # Length limits are string-only in Draft 4 and harmless for the other type.
    return out


def _split(path: str) -> list[str]:
    return [part for part in path.split(".") if part]


def _descend(schema: Schema, part: str, mark_required: bool) -> Schema:
    """Step from a schema into one path segment.

    ``name`` enters a property, ``name[]`` its array items, ``[]`` the items of the current
    array; ``name?`` (or ``name?[]``) enters without making ``name`` itself required.
    """
    if part == "[]":
        return _items(schema, "<root>")
    name, is_list = (part[:-2], True) if part.endswith("[]") else (part, False)
    optional = name.endswith("?")
    name = name.rstrip("?")
    props = schema.get("properties")
    if not isinstance(props, dict) or name not in props:
        raise KeyError(f"no property {name!r} in schema (known: {sorted(props or {})})")
    if mark_required and not optional:
        required = schema.setdefault("required", [])
        if name not in required:
            required.append(name)
    child: Schema = props[name]
    return _items(child, name) if is_list else child


def _items(schema: Schema, name: str) -> Schema:
    items = schema.get("items")
    if not isinstance(items, dict):
        raise KeyError(f"{name!r} is not an array of objects")
    return items


def require(schema: Schema, path: str) -> None:
    """Make every segment of a dotted path required (see :func:`_descend` for the syntax)."""
    node = schema
    for part in _split(path):
        node = _descend(node, part, mark_required=True)


def restrict(schema: Schema, path: str, keyword: str, value: object) -> None:
    """Set ``keyword`` (``enum``, ``pattern``…) on the schema at a dotted path."""
    parts = _split(path)
    node = schema
    for part in parts[:-1]:
        node = _descend(node, part, mark_required=False)
    leaf = _descend(node, parts[-1], mark_required=False)
    leaf[keyword] = value


def required_skeleton(paths: Iterable[str]) -> Schema:
    """A schema that only demands the dotted paths exist (for status-dependent needs)."""
    root: Schema = {}
    for path in paths:
        node = root
        for part in _split(path):
            name, is_list = (part[:-2], True) if part.endswith("[]") else (part, False)
            if name not in node.setdefault("required", []):
                node["required"].append(name)
            child = node.setdefault("properties", {}).setdefault(name, {})
            node = child.setdefault("items", {}) if is_list else child
    return root


def when_status(schema: Schema, statuses: Iterable[str], paths: list[str]) -> None:
    """Draft 4 has no if/then: ``anyOf`` [status is something else, the paths are present]."""
    clause = [
        {"properties": {"status": {"not": {"enum": sorted(set(statuses))}}}},
        required_skeleton(paths),
    ]
    needed = ", ".join(paths)
    schema.setdefault("allOf", []).append(
        {"anyOf": clause, "description": f"status {sorted(set(statuses))} needs {needed}"}
    )
