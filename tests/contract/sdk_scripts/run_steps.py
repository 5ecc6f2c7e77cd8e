"""Run steps through the official Cybersource Python SDK (0.0.80) and print JSON results.

Executed ONLY by the python of ``.venv-sdk`` (never imported by slpay's tests: the SDK pulls
``urllib3-future``, which shadows ``urllib3`` and does not import under ``-W error``).

stdin: ``{"config": {...}, "steps": [...]}``

- config: ``base_url`` (``http://127.0.0.1:PORT`` → the SDK's ``IntermediateHost``: requests
  go there while the SDK signs for, and sends ``Host:``, ``run_environment``), ``host``,
  ``merchant_id``, ``key_id``, ``secret`` (base64 shared secret).
- step: ``name``, ``api`` (class in ``CyberSource``, e.g. ``PaymentsApi``), ``call`` (its method),
  ``args`` (positional; ``"$body"`` stands for the request model, ``"${step.id}"`` for an id a
  previous step returned), optional ``model`` + ``body`` (camelCase JSON, turned into the SDK's
  model classes through their own ``attribute_map``, exactly as the official samples build
  requests), optional ``kwargs``.

stdout, last line: a JSON list, one entry per step: ``http_status``, ``model`` (class the SDK
deserialized into), ``status``/``id`` read from that model object, ``data`` (``to_dict()``), or
``error`` with the HTTP status and body of an ``ApiException``.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import CyberSource
from CyberSource.rest import ApiException

_LIST = re.compile(r"^list\[(.+)\]$")
_DICT = re.compile(r"^dict\((\w+), (.+)\)$")
_REF = re.compile(r"^\$\{(\w+)\.(\w+)\}$")


def merchant_config(cfg: dict[str, str]) -> dict[str, Any]:
    """HTTP Signature credentials, SDK file logging off.

    No ``log_config`` key on purpose: the SDK's default ``LogConfiguration`` has
    ``enable_log = False`` (it would write ``./Logs/cybs.log`` otherwise), and 0.0.80 crashes
    in ``validate_merchant_details`` (``json.dumps`` of the config dict) when a
    ``LogConfiguration`` object is passed with logging disabled.
    """
    return {
        "authentication_type": "http_signature",
        "merchantid": cfg["merchant_id"],
        "merchant_keyid": cfg["key_id"],
        "merchant_secretkey": cfg["secret"],
        "run_environment": cfg["host"],
        "IntermediateHost": cfg["base_url"],
    }


def to_model_dict(value: Any, type_name: str) -> Any:
    """camelCase JSON → the snake_case attribute dict the SDK's samples pass (``.__dict__``)."""
    if value is None:
        return None
    match = _LIST.match(type_name)
    if match:
        return [to_model_dict(v, match.group(1)) for v in value]
    match = _DICT.match(type_name)
    if match:
        return {k: to_model_dict(v, match.group(2)) for k, v in value.items()}
    klass = getattr(CyberSource.models, type_name, None)
    if klass is None:  # a primitive (str, int, bool, float, object)
        return value
    by_json_name = {json_name: attr for attr, json_name in klass.attribute_map.items()}
    out = {}
    for key, item in value.items():
        if key not in by_json_name:
            raise KeyError(f"{type_name} has no field {key!r}")
        attr = by_json_name[key]
        out[attr] = to_model_dict(item, klass.swagger_types[attr])
    # Build the real model object too, so a field the SDK cannot hold fails here, loudly.
    klass(**out)
    return out


class MissingResult(LookupError):
    """A step refers to a value an earlier step did not produce (it failed)."""


def resolve(value: Any, results: dict[str, dict[str, Any]]) -> Any:
    """Replace ``"${step.field}"`` strings, anywhere in ``value``, by earlier results."""
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    if isinstance(value, str):
        match = _REF.match(value)
        if match:
            found = results.get(match.group(1), {}).get(match.group(2))
            if found is None:
                raise MissingResult(value)
            return found
    return value


def run_step(config: dict[str, Any], step: dict[str, Any], results: dict[str, Any]) -> dict:
    out: dict[str, Any] = {"name": step["name"]}
    try:
        body = None
        if "model" in step:
            body = json.dumps(to_model_dict(resolve(step["body"], results), step["model"]))
        args = [body if a == "$body" else resolve(a, results) for a in step.get("args", [])]
    except MissingResult as exc:
        out["error"] = {"http_status": None, "body": f"skipped: {exc} unavailable"}
        return out
    api = getattr(CyberSource, step["api"])(config)
    try:
        data, http_status, _raw = getattr(api, step["call"])(*args, **step.get("kwargs", {}))
    except ApiException as exc:
        raw = exc.body.decode() if isinstance(exc.body, bytes) else exc.body
        out["error"] = {"http_status": exc.status, "body": raw}
        return out
    out.update(
        http_status=http_status,
        model=type(data).__name__,
        status=getattr(data, "status", None),
        id=getattr(data, "id", None),
        data=data.to_dict() if hasattr(data, "to_dict") else data,
    )
    return out


def main() -> None:
    request = json.load(sys.stdin)
    config = merchant_config(request["config"])
    results: dict[str, dict[str, Any]] = {}
    out = []
    for step in request["steps"]:
        result = run_step(config, step, results)
        results[step["name"]] = result
        out.append(result)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
