"""Orders and payment events read from Cybersource payloads (FACTS §3.2–§3.4, §4).

When the order never arrives through intake, the SO is built from the transaction details:
``orderInformation.lineItems``, ``billTo``, ``shipTo`` and ``amountDetails``. The same reader
takes a payment response, a webhook's ``payload.data`` or a transaction search hit, since they
share these paths; the two time spellings (``submitTimeUtc``, ``submitTimeUTC``) are both read.
Errors name the Cybersource path that was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from slpay.connectors.cybersource.models.tss import TransactionDetails
from slpay.domain.money import Money, parse_amount
from slpay.domain.orders import Address, Operation, Order, OrderItem, PaymentEvent
from slpay.errors import ValidationError
from slpay.mapping.dates import submit_time
from slpay.mapping.order_number import OrderNumberRules, merchant_defined

#: Where each operation's response states its amount (FACTS §3.3).
_AMOUNTS = (
    ("orderInformation.amountDetails", ("authorizedAmount", "totalAmount")),
    ("refundAmountDetails", ("refundAmount", "creditAmount")),
    ("reversalAmountDetails", ("reversedAmount",)),
    ("voidAmountDetails", ("voidAmount",)),
    ("creditAmountDetails", ("creditAmount",)),
)


def _obj(payload: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    node: Any = payload
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _text(node: Mapping[str, Any], key: str) -> str:
    value = node.get(key)
    if isinstance(value, Mapping):  # ``company`` is an object in some Cybersource models
        value = value.get("name")
    return str(value).strip() if value is not None else ""


def _money(value: Any, currency: str, field: str) -> Money:
    try:
        return Money(parse_amount(str(value), currency), currency)
    except ValueError as exc:
        raise ValidationError(str(exc), field=field) from None


def address(node: Mapping[str, Any]) -> Address:
    """A ``billTo``/``shipTo`` object in neutral field names."""
    return Address(
        first_name=_text(node, "firstName"),
        last_name=_text(node, "lastName"),
        company=_text(node, "company"),
        address1=_text(node, "address1"),
        address2=_text(node, "address2"),
        city=_text(node, "locality"),
        state=_text(node, "administrativeArea"),
        postal_code=_text(node, "postalCode"),
        country=_text(node, "country"),
        email=_text(node, "email"),
        phone=_text(node, "phoneNumber"),
    )


def _line(node: Mapping[str, Any], currency: str, i: int) -> OrderItem:
    where = f"orderInformation.lineItems[{i}]"
    quantity = node.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int | str):
        raise ValidationError("must be a whole number", field=f"{where}.quantity")
    try:
        qty = Decimal(str(quantity))
    except ArithmeticError:
        raise ValidationError("must be a whole number", field=f"{where}.quantity") from None
    if "unitPrice" not in node:
        raise ValidationError("missing", field=f"{where}.unitPrice")
    price = _money(node["unitPrice"], currency, f"{where}.unitPrice")
    total = node.get("totalAmount")
    tax = node.get("taxAmount")
    return OrderItem(
        quantity=qty,
        unit_price=price,
        sku=_text(node, "productSku"),
        product_code=_text(node, "productCode"),
        name=_text(node, "productName"),
        total=_money(total, currency, f"{where}.totalAmount") if total is not None else None,
        tax=_money(tax, currency, f"{where}.taxAmount") if tax is not None else None,
    )


def order_from_cybersource(payload: Mapping[str, Any], numbers: OrderNumberRules) -> Order:
    """An :class:`Order` from a Cybersource transaction payload (wire names)."""
    number = numbers.find(payload)
    if not number:
        raise ValidationError("no order number", field=numbers.source_path)
    amounts = _obj(payload, "orderInformation.amountDetails")
    currency = _text(amounts, "currency").upper()
    if len(currency) != 3:
        raise ValidationError("missing", field="orderInformation.amountDetails.currency")
    total_path = "orderInformation.amountDetails.totalAmount"
    if amounts.get("totalAmount") is None:
        raise ValidationError("missing", field=total_path)
    raw_lines = _obj(payload, "orderInformation").get("lineItems") or []
    lines = tuple(_line(n, currency, i) for i, n in enumerate(raw_lines) if isinstance(n, Mapping))
    bill_to = address(_obj(payload, "orderInformation.billTo"))
    ship = _obj(payload, "orderInformation.shipTo")
    return Order(
        number=number,
        total=_money(amounts["totalAmount"], currency, total_path),
        lines=lines,
        bill_to=bill_to,
        ship_to=address(ship) if ship else None,
        customer_id=_text(_obj(payload, "buyerInformation"), "merchantCustomerId"),
        email=bill_to.email,
        freight=_optional(amounts, "freightAmount", currency),
        tax=_order_tax(amounts, lines, currency),
        payment_id=_text(payload, "id"),
        ordered_at=submit_time(payload),
        merchant_defined=merchant_defined(payload),
        source="transaction",
    )


def _optional(amounts: Mapping[str, Any], key: str, currency: str) -> Money | None:
    value = amounts.get(key)
    path = f"orderInformation.amountDetails.{key}"
    return _money(value, currency, path) if value is not None else None


def _order_tax(
    amounts: Mapping[str, Any], lines: tuple[OrderItem, ...], currency: str
) -> Money | None:
    stated = _optional(amounts, "taxAmount", currency)
    if stated is not None:
        return stated
    taxes = [line.tax for line in lines if line.tax is not None]
    return sum(taxes, Money(Decimal(0), currency)) if taxes else None


def order_from_transaction(details: TransactionDetails, numbers: OrderNumberRules) -> Order:
    """An :class:`Order` from GET ``/tss/v2/transactions/{id}`` (the order never arrived)."""
    return order_from_cybersource(
        details.model_dump(by_alias=True, exclude_none=True, mode="json"), numbers
    )


def _amount(payload: Mapping[str, Any]) -> Money | None:
    for path, keys in _AMOUNTS:
        block = _obj(payload, path)
        currency = _text(block, "currency") or _text(
            _obj(payload, "orderInformation.amountDetails"), "currency"
        )
        for key in keys:
            if block.get(key) is not None and currency:
                return _money(block[key], currency.upper(), f"{path}.{key}")
    return None


def payment_from_cybersource(
    payload: Mapping[str, Any], numbers: OrderNumberRules, operation: Operation = "authorize"
) -> PaymentEvent:
    """A :class:`PaymentEvent` from a payment response, webhook data or transaction details."""
    transaction_id = _text(payload, "id")
    if not transaction_id:
        raise ValidationError("missing", field="id")
    status = _text(payload, "status") or None
    decision = _text(_obj(payload, "riskInformation.profile"), "decision") or None
    return PaymentEvent(
        transaction_id=transaction_id,
        status=status,
        submitted_at=submit_time(payload),
        operation=operation,
        decision=decision,
        amount=_amount(payload),
        order_number=numbers.find(payload),
        auth_code=_text(_obj(payload, "processorInformation"), "approvalCode"),
    )
