"""The mapping file's schema (``version: 1``): every key a finance admin may write, typed.

Unknown keys are refused (``extra="forbid"``) so a typo never silently falls back to a
default. Options that the SL settings already hold (label field, customer defaults, time zone,
rate type) are optional here: left out, the ``sl:`` setting of the same meaning applies.
Cross-field checks that need SL's column lengths live in :mod:`slpay.mapping.compile`.
docs/mapping.md explains every key with examples.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from slpay.mapping.steps import StepList

#: SOHeader user fields that hold text (User1..User4 are char(30); FACTS §1.3).
SO_TEXT_FIELDS = ("User1", "User2", "User3", "User4")


CustomerColumn = Literal[
    "Name", "Addr1", "Addr2", "City", "State", "Zip", "Country", "Phone", "EMailAddr"
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        # A key left empty in YAML (every line under it commented out) reads as null: treat it
        # as not written. Unknown keys are kept so that a typo is still refused.
        if not isinstance(data, dict):
            return data
        known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
        return {k: v for k, v in data.items() if v is not None or k not in known}


def _flag(value: Any) -> bool:
    # SL stores these as smallint 0/1; YAML's true/false are accepted as the same thing.
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise ValueError("must be 0 or 1")


Flag = Annotated[bool, BeforeValidator(_flag)]


def _mdd_key(value: Any) -> str:
    text = str(value).strip()
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise ValueError("must be a merchantDefinedInformation key, a number from 0 to 100")
    return str(int(text))


MddKey = Annotated[str, BeforeValidator(_mdd_key)]


class StatusRuleSpec(_Spec):
    """``status.<STATUS>``, ``decision.<DECISION>`` and ``unknown_status``."""

    admin_hold: Flag
    cancelled: Flag
    label: str = Field(max_length=30)
    task: str | None = None
    review: bool = False


class SalesOrderSpec(_Spec):
    #: SOHeader user field that holds the label; None = ``sl.so_label_field``.
    label_field: Literal["User1", "User2", "User3", "User4"] | None = None


class OrderNumberSpec(_Spec):
    """Where the eCommerce order number comes from, and where it goes in SL."""

    source: Literal["client_reference_code", "merchant_defined"] = Field(
        default="client_reference_code", alias="from"
    )
    key: MddKey | None = None
    fallback: Literal["client_reference_code", "none"] = "client_reference_code"
    target: Literal["CustOrdNbr", "User1", "User2", "User3", "User4"] = Field(
        default="CustOrdNbr", alias="to"
    )
    steps: StepList = Field(default_factory=list)


class MatchRuleSpec(_Spec):
    """One way to find the SL customer; the list is tried in order."""

    by: Literal["id", "email"]
    #: For ``by: id``: the order's customer id, or a merchantDefinedInformation key.
    source: Literal["order", "merchant_defined"] = Field(default="order", alias="from")
    key: MddKey | None = None


class CreateSpec(_Spec):
    """New customers. Left-out values come from the ``sl:`` settings."""

    id_rule: Literal["counter", "email", "order_id"] | None = None
    id_prefix: str | None = Field(default=None, max_length=14)
    id_width: int | None = Field(default=None, ge=4, le=15)
    class_id: str | None = Field(default=None, max_length=6, alias="class")
    terms: str | None = Field(default=None, max_length=2)
    currency: Literal["base", "order"] = "base"


class NameSpec(_Spec):
    #: ``last~first`` is SL's convention for persons (shown flipped as "First Last").
    style: Literal["last~first", "first last"] = "last~first"
    prefer_company: bool = True


class FieldSpec(_Spec):
    """One SL Customer column: which address field fills it, and what a too-long value does."""

    source: Literal[
        "name",
        "first_name",
        "last_name",
        "company",
        "address1",
        "address2",
        "city",
        "state",
        "postal_code",
        "country",
        "email",
        "phone",
    ] = Field(alias="from")
    too_long: Literal["truncate", "refuse"] = "truncate"


class CustomerSpec(_Spec):
    match: list[MatchRuleSpec] = Field(
        default_factory=lambda: [MatchRuleSpec(by="id"), MatchRuleSpec(by="email")], min_length=1
    )
    not_found: Literal["create", "refuse"] = "create"
    create: CreateSpec = CreateSpec()
    name: NameSpec = NameSpec()
    fields: dict[CustomerColumn, FieldSpec] = Field(default_factory=dict)


class DatesSpec(_Spec):
    #: The time zone whose calendar decides the SL date; None = ``sl.timezone``.
    business_timezone: str | None = None
    #: A time without an offset (order intake): refuse it, or read it in the business zone.
    naive_times: Literal["refuse", "business_timezone"] = "refuse"
    #: Which moment dates the SL order: the order's own time (else the payment's), or the
    #: payment's.
    order_date: Literal["order", "payment"] = "order"


class FixedRateSpec(_Spec):
    """A configured rate: ``base = amount × rate`` (M) or ``amount ÷ rate`` (D)."""

    from_currency: str = Field(alias="from", pattern=r"^[A-Z]{3}$")
    to_currency: str = Field(alias="to", pattern=r"^[A-Z]{3}$")
    rate: Decimal = Field(gt=0)
    mult_div: Literal["M", "D"] = "M"
    effective: dt.date


class CurrencySpec(_Spec):
    #: SL rate type to look up in CuryRate; None = ``sl.cury_rate_type``.
    rate_type: str | None = Field(default=None, max_length=6)
    #: Where rates come from, in order: SL's CuryRate table, the fixed rates below.
    sources: tuple[Literal["cury_rate", "fixed"], ...] = Field(default=("cury_rate",), min_length=1)
    fixed_rates: list[FixedRateSpec] = Field(default_factory=list)


class ItemSpec(_Spec):
    """Which SL InvtID a line gets."""

    keys: tuple[Literal["sku", "product_code"], ...] = Field(
        default=("sku", "product_code"), min_length=1
    )
    table: dict[str, str] = Field(default_factory=dict)
    unknown: Literal["default", "refuse", "key_as_item"] = "default"
    default_item: str | None = None


class ChargeSpec(_Spec):
    """Freight or tax: on the SO header, or as its own SO line with ``item``."""

    place: Literal["header", "line"] = Field(default="header", alias="as")
    item: str | None = None
    description: str | None = None


class LinesSpec(_Spec):
    item: ItemSpec = ItemSpec()
    freight: ChargeSpec = ChargeSpec()
    tax: ChargeSpec = ChargeSpec()
    #: An order without lines (transaction details without lineItems): one line of the
    #: default item for the goods amount, or refuse.
    when_missing: Literal["single_line", "refuse"] = "single_line"


class MappingSpec(_Spec):
    """The whole mapping file."""

    version: Literal[1]
    status: dict[str, StatusRuleSpec] = Field(min_length=1)
    decision: dict[str, StatusRuleSpec] = Field(default_factory=dict)
    unknown_status: StatusRuleSpec
    sales_order: SalesOrderSpec = SalesOrderSpec()
    order_number: OrderNumberSpec = OrderNumberSpec()
    customer: CustomerSpec = CustomerSpec()
    dates: DatesSpec = DatesSpec()
    currency: CurrencySpec = CurrencySpec()
    lines: LinesSpec = LinesSpec()

    @field_validator("status", "decision")
    @classmethod
    def _upper_keys(cls, rules: dict[str, StatusRuleSpec]) -> dict[str, StatusRuleSpec]:
        out: dict[str, StatusRuleSpec] = {}
        for name, rule in rules.items():
            key = name.strip().upper()
            if key in out:
                raise ValueError(f"{name!r} is listed twice (statuses ignore case)")
            out[key] = rule
        return out
