"""Compile a validated :class:`MappingSpec` into a :class:`CompiledMapping`.

Here live the checks that need more than one field or SL's real column lengths (read from the
SL schema, not restated): a ``max_length`` longer than ``SOHeader.CustOrdNbr``, an item id
longer than ``SOLine.InvtID``, a label field that is also the order-number field … Each
refusal is a :class:`~slpay.errors.ConfigError` naming the file and the dotted field.
"""

from __future__ import annotations

from typing import Any

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl_schema
from slpay.domain.status import StatusRule, StatusTable
from slpay.errors import ConfigError
from slpay.mapping.currency import CurrencyRules, FixedRates, RateQuote
from slpay.mapping.customer import CustomerRules, FieldRule, MatchRule
from slpay.mapping.dates import zone
from slpay.mapping.lines import DESCR_LENGTH, INVT_ID_LENGTH, ChargeRule, LineRules
from slpay.mapping.order_number import OrderNumberRules
from slpay.mapping.rules import CompiledMapping
from slpay.mapping.spec import (
    ChargeSpec,
    CustomerColumn,
    CustomerSpec,
    FieldSpec,
    LinesSpec,
    MappingSpec,
    OrderNumberSpec,
    StatusRuleSpec,
)
from slpay.mapping.steps import MaxLength, Pad, compile_steps

#: Columns filled from an address when the mapping file does not say otherwise.
DEFAULT_FIELDS: dict[CustomerColumn, FieldSpec] = {
    "Name": FieldSpec(source="name"),
    "Addr1": FieldSpec(source="address1"),
    "Addr2": FieldSpec(source="address2"),
    "City": FieldSpec(source="city"),
    "State": FieldSpec(source="state"),
    "Zip": FieldSpec(source="postal_code"),
    "Country": FieldSpec(source="country"),
    "Phone": FieldSpec(source="phone"),
    "EMailAddr": FieldSpec(source="email", too_long="refuse"),
}


class _Checker:
    def __init__(self, source: str):
        self.source = source

    def fail(self, field: str, message: str) -> ConfigError:
        return ConfigError(message, field=field, source=self.source)


def _length(table: Any, column: str) -> int:
    length = table.c[column].type.length
    assert isinstance(length, int)  # every column named here is CHAR(n)
    return length


def _rule(spec: StatusRuleSpec) -> StatusRule:
    return StatusRule(spec.admin_hold, spec.cancelled, spec.label, spec.task, spec.review)


def _status(spec: MappingSpec) -> StatusTable:
    return StatusTable(
        statuses={k: _rule(v) for k, v in spec.status.items()},
        decisions={k: _rule(v) for k, v in spec.decision.items()},
        unknown=_rule(spec.unknown_status),
    )


def _order_number(spec: OrderNumberSpec, label_field: str, c: _Checker) -> OrderNumberRules:
    if spec.source == "merchant_defined" and spec.key is None:
        raise c.fail("order_number.key", "required when from is merchant_defined")
    if spec.target == label_field:
        raise c.fail(
            "order_number.to", f"{label_field} already holds the status label (label_field)"
        )
    length = _length(sl_schema.SOHeader, spec.target)
    for i, step in enumerate(spec.steps):
        if isinstance(step, MaxLength | Pad) and step.length > length:
            raise c.fail(
                f"order_number.steps[{i}].length",
                f"{step.length} is longer than SOHeader.{spec.target} ({length} characters)",
            )
    fn = compile_steps(list(spec.steps), "order_number")
    return OrderNumberRules(spec.source, spec.key, spec.fallback, spec.target, length, fn)


def _customer(spec: CustomerSpec, sl: SLSettings, c: _Checker) -> CustomerRules:
    for i, m in enumerate(spec.match):
        if m.by == "id" and m.source == "merchant_defined" and m.key is None:
            raise c.fail(f"customer.match[{i}].key", "required when from is merchant_defined")
        if m.key is not None and (m.by != "id" or m.source != "merchant_defined"):
            raise c.fail(f"customer.match[{i}].key", "only with by: id and from: merchant_defined")
    id_rule = spec.create.id_rule or sl.customer_id_rule
    if id_rule == "order_id" and not any(m.by == "id" for m in spec.match):
        raise c.fail("customer.create.id_rule", "order_id needs a customer.match entry by: id")
    prefix = sl.customer_id_prefix if spec.create.id_prefix is None else spec.create.id_prefix
    width = spec.create.id_width or sl.customer_id_width
    if len(prefix) >= width:
        raise c.fail("customer.create.id_prefix", f"must be shorter than id_width ({width})")
    fields = dict(DEFAULT_FIELDS)
    fields.update(spec.fields)
    return CustomerRules(
        match=tuple(MatchRule(m.by, m.source, m.key) for m in spec.match),
        not_found=spec.not_found,
        id_rule=id_rule,
        create_currency=spec.create.currency,
        name_style=spec.name.style,
        prefer_company=spec.name.prefer_company,
        fields=tuple(
            FieldRule(col, f.source, _length(sl_schema.Customer, col), f.too_long)
            for col, f in fields.items()
        ),
    )


def _item(value: str, field: str, c: _Checker) -> str:
    value = value.strip()
    if not value:
        raise c.fail(field, "must not be blank")
    if len(value) > INVT_ID_LENGTH:
        raise c.fail(field, f"longer than SOLine.InvtID ({INVT_ID_LENGTH} characters)")
    return value


def _charge(spec: ChargeSpec, name: str, c: _Checker) -> ChargeRule:
    if spec.place == "header":
        return ChargeRule("header")
    if spec.item is None:
        raise c.fail(f"lines.{name}.item", f"required when {name} is a line (as: line)")
    item = _item(spec.item, f"lines.{name}.item", c)
    description = (spec.description or name.capitalize())[:DESCR_LENGTH]
    return ChargeRule("line", item, description)


def _lines(spec: LinesSpec, c: _Checker) -> LineRules:
    table = {k.strip(): _item(v, f"lines.item.table.{k}", c) for k, v in spec.item.table.items()}
    default = ""
    needs_default = spec.item.unknown == "default" or spec.when_missing == "single_line"
    if spec.item.default_item is not None:
        default = _item(spec.item.default_item, "lines.item.default_item", c)
    elif needs_default:
        raise c.fail(
            "lines.item.default_item", "required when unknown is default or when_missing is "
            "single_line",
        )  # fmt: skip
    return LineRules(
        keys=tuple(spec.item.keys),
        table=table,
        unknown=spec.item.unknown,
        default_item=default,
        freight=_charge(spec.freight, "freight", c),
        tax=_charge(spec.tax, "tax", c),
        when_missing=spec.when_missing,
    )


def _currency(spec: MappingSpec, sl: SLSettings, c: _Checker) -> CurrencyRules:
    cur = spec.currency
    if "fixed" in cur.sources and not cur.fixed_rates:
        raise c.fail("currency.fixed_rates", "empty, but currency.sources lists fixed")
    if cur.fixed_rates and "fixed" not in cur.sources:
        raise c.fail("currency.sources", "fixed_rates are set but fixed is not listed here")
    rows = []
    for i, r in enumerate(cur.fixed_rates):
        if r.from_currency == r.to_currency:
            raise c.fail(f"currency.fixed_rates[{i}].to", "must differ from from")
        rows.append((r.from_currency, r.to_currency, RateQuote(r.rate, r.mult_div, r.effective)))
    rate_type = cur.rate_type or sl.cury_rate_type
    return CurrencyRules(rate_type, tuple(cur.sources), FixedRates(rows))


def _overrides(spec: MappingSpec) -> dict[str, Any]:
    create = spec.customer.create
    values = {
        "so_label_field": spec.sales_order.label_field,
        "customer_id_rule": create.id_rule if create.id_rule != "order_id" else None,
        "customer_id_prefix": create.id_prefix,
        "customer_id_width": create.id_width,
        "customer_class": create.class_id,
        "customer_terms": create.terms,
        "cury_rate_type": spec.currency.rate_type,
    }
    return {k: v for k, v in values.items() if v is not None}


def build_mapping(spec: MappingSpec, sl: SLSettings, source: str) -> CompiledMapping:
    """Check ``spec`` against SL's columns and ``sl`` settings, and compile it."""
    c = _Checker(source)
    label_field = spec.sales_order.label_field or sl.so_label_field
    tz_name = spec.dates.business_timezone or sl.timezone
    try:
        business_zone = zone(tz_name)
    except ValueError as exc:
        raise c.fail("dates.business_timezone", str(exc)) from None
    return CompiledMapping(
        source=source,
        spec=spec,
        status=_status(spec),
        label_field=label_field,
        order_number=_order_number(spec.order_number, label_field, c),
        customer=_customer(spec.customer, sl, c),
        business_zone=business_zone,
        naive_times=spec.dates.naive_times,
        order_date=spec.dates.order_date,
        currency=_currency(spec, sl, c),
        lines=_lines(spec.lines, c),
        sl_overrides=_overrides(spec),
    )
