"""Read a mapping file, validate it and compile it — once, at start-up.

Every problem is a :class:`~slpay.errors.ConfigError` naming the file and the dotted field,
e.g. ``mapping.yaml status.PENDING_REVIEW.admin_hold: must be 0 or 1``. A key written twice
is refused too (plain YAML would silently keep the last one). Without a path, the mapping
shipped in the package (``slpay/mapping/default.yaml``) is used.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails

from slpay.config import SLSettings
from slpay.errors import ConfigError
from slpay.mapping.build import build_mapping
from slpay.mapping.rules import CompiledMapping
from slpay.mapping.spec import MappingSpec
from slpay.mapping.steps import STEP_NAMES

DEFAULT_SOURCE = "slpay/mapping/default.yaml (packaged)"


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def default_mapping_text() -> str:
    """The packaged default mapping file's text."""
    return resources.files("slpay.mapping").joinpath("default.yaml").read_text(encoding="utf-8")


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as the dotted path a person reads in the file."""
    out = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]" or (isinstance(previous, int) and part in STEP_NAMES):
            pass  # pydantic's marker for a bad dict key / the step type it tried
        else:
            out += f".{part}" if out else part
        previous = part
    return out


def _message(error: ErrorDetails) -> str:
    kind, msg = error["type"], str(error["msg"])
    if kind == "extra_forbidden":
        return "unknown key (see docs/mapping.md for the keys allowed here)"
    if kind == "missing":
        return "required"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx") or {}
        return f"unknown step {ctx.get('tag')!r}; use one of {ctx.get('expected_tags')}"
    if error["loc"] and error["loc"][-1] == "[key]":
        return f"{error['input']!r} is not allowed here: {msg.replace('Input should be', 'use')}"
    msg = msg.removeprefix("Value error, ")
    return msg.replace("Input should be", "must be")


def problems(exc: PydanticValidationError) -> list[tuple[str, str]]:
    """Every (field, message) of a pydantic validation failure."""
    return [(field_path(tuple(e["loc"])), _message(e)) for e in exc.errors()]


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    """The file's top-level mapping; ConfigError with line and column for bad YAML."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}not valid YAML: {problem}", source=source) from None
    if not isinstance(data, dict):
        raise ConfigError("the file must be a mapping with version: 1 at the top", source=source)
    return data


def validate(data: dict[str, Any], source: str) -> MappingSpec:
    """The typed spec; ConfigError naming the first bad field (and how many more there are)."""
    try:
        return MappingSpec.model_validate(data)
    except PydanticValidationError as exc:
        found = problems(exc)
        field, message = found[0]
        if len(found) > 1:
            message += f" (and {len(found) - 1} more problem{'s' if len(found) > 2 else ''})"
        raise ConfigError(message, field=field, source=source) from None


def parse_mapping(text: str, *, source: str, sl: SLSettings | None = None) -> CompiledMapping:
    """Validate and compile a mapping file's text; ``source`` names it in errors."""
    spec = validate(parse_yaml(text, source), source)
    return build_mapping(spec, sl or SLSettings(), source)


def load_mapping(path: str | Path | None = None, sl: SLSettings | None = None) -> CompiledMapping:
    """Load the mapping at ``path`` (None: the packaged default), compiled for ``sl``."""
    if path is None:
        return parse_mapping(default_mapping_text(), source=DEFAULT_SOURCE, sl=sl)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the mapping file: {exc.strerror}", source=str(path)
        ) from None
    return parse_mapping(text, source=str(path), sl=sl)


def mapping_problems(path: str | Path | None, sl: SLSettings) -> list[str]:
    """Every problem of a mapping file as ``file field: message`` lines (for ``slpay check``)."""
    source = DEFAULT_SOURCE if path is None else str(path)
    try:
        text = default_mapping_text() if path is None else Path(path).read_text(encoding="utf-8")
        data = parse_yaml(text, source)
        try:
            spec = MappingSpec.model_validate(data)
        except PydanticValidationError as exc:
            return [str(ConfigError(m, field=f, source=source)) for f, m in problems(exc)]
        build_mapping(spec, sl, source)
    except OSError as exc:
        return [str(ConfigError(f"cannot read the mapping file: {exc.strerror}", source=source))]
    except ConfigError as exc:
        return [str(exc)]
    return []
