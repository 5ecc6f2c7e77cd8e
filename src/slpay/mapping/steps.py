"""Text steps: the closed vocabulary a mapping file may apply to an order number.

A step is written in the YAML as a bare name (``trim``, ``upper``, ``lower``) or as a one-key
mapping (``strip_prefix: "WEB-"``, ``max_length: 25``, ``pad: {length: 10, char: "0"}``);
the long form ``{type: max_length, length: 25, over: truncate}`` is accepted too. Steps are
compiled once into one plain function; nothing is evaluated from the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from slpay.errors import ValidationError

TextFn = Callable[[str], str]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trim(_Step):
    """Remove blanks around the value."""

    type: Literal["trim"] = "trim"


class Upper(_Step):
    """Upper-case the value (SL's collation is case-insensitive; some shops want it upper)."""

    type: Literal["upper"] = "upper"


class Lower(_Step):
    type: Literal["lower"] = "lower"


class StripPrefix(_Step):
    """Remove ``prefix`` when the value starts with it (e.g. the shop's ``WEB-``)."""

    type: Literal["strip_prefix"] = "strip_prefix"
    prefix: str = Field(min_length=1)


class MaxLength(_Step):
    """At most ``length`` characters: refuse a longer value, or keep its first characters."""

    type: Literal["max_length"] = "max_length"
    length: int = Field(ge=1)
    over: Literal["refuse", "truncate"] = "refuse"


class Pad(_Step):
    """Pad to ``length`` with ``char`` on the ``side`` (numbers: ``0`` on the left)."""

    type: Literal["pad"] = "pad"
    length: int = Field(ge=1)
    char: str = Field(default="0", min_length=1, max_length=1)
    side: Literal["left", "right"] = "left"


Step = Annotated[Trim | Upper | Lower | StripPrefix | MaxLength | Pad, Field(discriminator="type")]
STEP_NAMES = frozenset({"trim", "upper", "lower", "strip_prefix", "max_length", "pad"})
_SCALAR_ARG = {"strip_prefix": "prefix", "max_length": "length", "pad": "length"}


def expand(raw: Any) -> Any:
    """Shorthand → long form: ``"trim"`` → ``{type: trim}``, ``{max_length: 25}`` → long form."""
    if isinstance(raw, str):
        return {"type": raw}
    if isinstance(raw, dict) and "type" not in raw and len(raw) == 1:
        ((name, arg),) = raw.items()
        if isinstance(arg, dict):
            return {"type": name, **arg}
        if name in _SCALAR_ARG:
            return {"type": name, _SCALAR_ARG[name]: arg}
        return {"type": name}
    return raw


def _expand_all(raw: Any) -> Any:
    return [expand(s) for s in raw] if isinstance(raw, list) else raw


#: A field holding a list of steps; shorthand is expanded before validation.
StepList = Annotated[list[Step], BeforeValidator(_expand_all)]
AnyStep = Trim | Upper | Lower | StripPrefix | MaxLength | Pad


def _one(step: AnyStep, field: str) -> TextFn:
    if isinstance(step, Trim):
        return str.strip
    if isinstance(step, Upper):
        return str.upper
    if isinstance(step, Lower):
        return str.lower
    if isinstance(step, StripPrefix):
        prefix = step.prefix
        return lambda v: v[len(prefix) :] if v.startswith(prefix) else v
    if isinstance(step, MaxLength):
        return _max_length(step.length, step.over, field)
    side, length, char = step.side, step.length, step.char
    return (
        (lambda v: v.rjust(length, char)) if side == "left" else (lambda v: v.ljust(length, char))
    )


def _max_length(length: int, over: str, field: str) -> TextFn:
    def apply(value: str) -> str:
        if len(value) <= length:
            return value
        if over == "truncate":
            return value[:length]
        raise ValidationError(
            f"{value!r} is {len(value)} characters, at most {length}", field=field
        )

    return apply


def compile_steps(steps: list[AnyStep], field: str) -> TextFn:
    """One function applying ``steps`` in order; ``field`` names the value in errors."""
    fns = [_one(s, field) for s in steps]

    def run(value: str) -> str:
        for fn in fns:
            value = fn(value)
        return value

    return run
