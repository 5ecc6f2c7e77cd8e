"""Order lines → SOLine: the SL item (InvtID), quantity, price, freight and tax, totals checked.

The InvtID comes from a lookup table keyed by the line's SKU or product code (the keys are
tried in the configured order), with a default item, a refusal or the key itself for an
unknown product. Freight and tax go on the SO header or on their own lines. The SO total the
writer will store (Σ quantity × price + freight + tax, each rounded to the currency) must equal
the order's total: a mismatch is refused with the numbers, never silently adjusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from slpay.connectors.dynamics_sl.models import OrderLine
from slpay.domain.money import Money
from slpay.domain.orders import Order, OrderItem
from slpay.errors import ValidationError

#: SOLine.InvtID is char(30), SOLine.Descr char(60).
INVT_ID_LENGTH = 30
DESCR_LENGTH = 60


@dataclass(frozen=True)
class ChargeRule:
    """Freight or tax: on the header, or as a line of ``item``."""

    place: Literal["header", "line"]
    item: str = ""
    description: str = ""


@dataclass(frozen=True)
class LineRules:
    """Compiled ``lines:`` section."""

    keys: tuple[Literal["sku", "product_code"], ...]
    table: dict[str, str]
    unknown: Literal["default", "refuse", "key_as_item"]
    default_item: str
    freight: ChargeRule
    tax: ChargeRule
    when_missing: Literal["single_line", "refuse"]


@dataclass(frozen=True)
class MappedLines:
    """What the SO gets: its lines, header freight/tax, and the totals checked."""

    lines: tuple[OrderLine, ...]
    freight: Money | None
    tax: Money | None
    merchandise: Money
    total: Money


def invt_id(item: OrderItem, rules: LineRules, index: int) -> str:
    """The SL InvtID of one line (see the module docstring)."""
    keys = [(k, (item.sku if k == "sku" else item.product_code).strip()) for k in rules.keys]
    for _, value in keys:
        if value and value in rules.table:
            return rules.table[value]
    if rules.unknown == "default":
        return rules.default_item
    given = [(k, v) for k, v in keys if v]
    if rules.unknown == "key_as_item" and given:
        key, value = given[0]
        if len(value) > INVT_ID_LENGTH:
            raise ValidationError(
                f"{value!r} is longer than SL's InvtID ({INVT_ID_LENGTH})",
                field=f"lines[{index}].{key}",
            )
        return value
    key, value = given[0] if given else (rules.keys[0], "")
    raise ValidationError(
        f"no SL item for {value!r} in lines.item.table" if value else "no SKU or product code",
        field=f"lines[{index}].{key}",
    )


def _description(item: OrderItem, invt: str) -> str:
    text = (item.name or item.sku or item.product_code or invt).strip()
    return text[:DESCR_LENGTH].rstrip()


def _line(item: OrderItem, rules: LineRules, index: int, currency: str) -> OrderLine:
    where = f"lines[{index}]"
    if item.unit_price.currency != currency:
        raise ValidationError(f"must be in the order's currency {currency}", field=where)
    if item.quantity <= 0:
        raise ValidationError("must be greater than zero", field=f"{where}.quantity")
    if item.unit_price.amount < 0:
        raise ValidationError("must not be negative", field=f"{where}.unit_price")
    if item.total is not None and item.total != item.extended:
        raise ValidationError(
            f"{item.total.amount} is not quantity × unit price = {item.extended.amount}",
            field=f"{where}.total",
        )
    invt = invt_id(item, rules, index)
    return OrderLine(invt, _description(item, invt), item.quantity, item.unit_price)


def _charge(amount: Money | None, rule: ChargeRule) -> tuple[Money | None, OrderLine | None]:
    if amount is None or amount.is_zero():
        return None, None
    if rule.place == "header":
        return amount, None
    return None, OrderLine(rule.item, rule.description or rule.item, Decimal(1), amount)


def _single_line(order: Order, rules: LineRules) -> tuple[OrderItem, OrderLine]:
    """No lines given: one line of the default item for the goods amount (or refuse)."""
    if rules.when_missing == "refuse":
        raise ValidationError("the order has no lines", field="lines")
    zero = Money(Decimal(0), order.currency)
    goods = order.total - (order.freight or zero) - (order.tax or zero)
    if goods.amount < 0:
        raise ValidationError(
            f"freight and tax exceed the order total {order.total.amount}", field="total"
        )
    name = f"Order {order.number}"[:DESCR_LENGTH]
    item = OrderItem(Decimal(1), goods, name=name)
    return item, OrderLine(rules.default_item, name, Decimal(1), goods)


def map_lines(order: Order, rules: LineRules) -> MappedLines:
    """The SO lines of ``order``; ValidationError naming the field when they do not add up."""
    if order.lines:
        items = order.lines
        lines = [_line(item, rules, i, order.currency) for i, item in enumerate(items)]
    else:
        item, line = _single_line(order, rules)
        items, lines = (item,), [line]
    zero = Money(Decimal(0), order.currency)
    merchandise = sum((item.extended for item in items), zero)
    freight, freight_line = _charge(order.freight, rules.freight)
    tax, tax_line = _charge(order.tax, rules.tax)
    lines += [line for line in (freight_line, tax_line) if line is not None]
    total = merchandise + (order.freight or zero) + (order.tax or zero)
    if total != order.total:
        raise ValidationError(
            f"lines {merchandise.amount} + freight {(order.freight or zero).amount} + tax "
            f"{(order.tax or zero).amount} = {total.amount}, not the order total "
            f"{order.total.amount}",
            field="total",
        )
    return MappedLines(tuple(lines), freight, tax, merchandise, total)
