"""The eCommerce order number: where Cybersource carries it, and where SL keeps it.

Cybersource carries it in ``clientReferenceInformation.code`` (the merchant reference number)
or, for shops that use the code for something else, in a ``merchantDefinedInformation`` entry
(``{"key": "3", "value": "WEB-1001"}``). SL keeps it in ``SOHeader.CustOrdNbr`` (char(25)) by
default, or in a text user field (User1..User4, char(30)). The configured steps (trim, upper,
strip a prefix, limit or pad the length) run before it is written; whatever comes out must fit
the SL column, or the order is refused with the field named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from slpay.errors import ValidationError
from slpay.mapping.steps import TextFn

CODE_PATH = "clientReferenceInformation.code"


def merchant_defined(payload: Mapping[str, Any]) -> dict[str, str]:
    """``merchantDefinedInformation`` as ``{key: value}`` (keys normalized: ``"03"`` → ``"3"``)."""
    out: dict[str, str] = {}
    for entry in payload.get("merchantDefinedInformation") or []:
        if not isinstance(entry, Mapping):
            continue
        key, value = str(entry.get("key", "")).strip(), entry.get("value")
        if key.isdigit() and value is not None:
            out[str(int(key))] = str(value)
    return out


def client_reference_code(payload: Mapping[str, Any]) -> str:
    ref = payload.get("clientReferenceInformation")
    code = ref.get("code") if isinstance(ref, Mapping) else None
    return str(code).strip() if code else ""


@dataclass(frozen=True)
class OrderNumberRules:
    """Compiled ``order_number:`` section."""

    source: Literal["client_reference_code", "merchant_defined"]
    key: str | None
    fallback: Literal["client_reference_code", "none"]
    #: The SOHeader column that holds the number, and its length.
    target: str
    length: int
    steps: TextFn

    @property
    def source_path(self) -> str:
        """Where the number is read, as a path an operator recognises."""
        if self.source == "merchant_defined":
            return f"merchantDefinedInformation[key={self.key}]"
        return CODE_PATH

    def find(self, payload: Mapping[str, Any]) -> str:
        """The order number a Cybersource payload carries, as sent ("" if none)."""
        if self.source == "merchant_defined" and self.key is not None:
            number = merchant_defined(payload).get(self.key, "").strip()
            if number or self.fallback == "none":
                return number
        return client_reference_code(payload)

    def to_sl(self, number: str, field: str = "order_number") -> str:
        """The value written to SL: steps applied, checked against the column length."""
        value = self.steps(number)
        if not value.strip():
            raise ValidationError("the order number is empty", field=field)
        if len(value) > self.length:
            raise ValidationError(
                f"{value!r} is {len(value)} characters; SOHeader.{self.target} holds "
                f"{self.length} (add a max_length step or shorten the number)",
                field=field,
            )
        return value
