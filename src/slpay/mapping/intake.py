"""Order intake (``POST /api/orders``): the JSON an eCommerce platform sends → :class:`Order`.

::

    {"order_number": "WEB-1001", "currency": "USD", "total": "54.97",
     "freight": "5.00", "tax": "0.00", "ordered_at": "2026-05-15T14:03:00Z",
     "customer": {"id": "C00001", "email": "ann@example.com"},
     "bill_to": {"first_name": "Ann", "last_name": "Buyer", "address1": "1 Main St",
                 "city": "Springfield", "state": "IL", "postal_code": "62701",
                 "country": "US", "email": "ann@example.com", "phone": "555-0100"},
     "ship_to": {...same fields...},
     "lines": [{"sku": "SKU-100", "name": "Widget", "quantity": "3", "unit_price": "9.99"}],
     "payment_id": "7459402919376283904951",
     "merchant_defined": {"3": "B2B"}}

Either ``payment_id`` (a Cybersource transaction) or ``transient_token`` (a Microform token
slpay authorizes) is required. Amounts are strings (or whole numbers): a JSON number with a
fraction is refused because binary floats cannot hold cents exactly. Unknown keys are refused.
Errors are :class:`~slpay.errors.ValidationError` naming the field (the API answers 422).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from slpay.domain.money import Money, parse_amount
from slpay.domain.orders import Address, Order, OrderItem
from slpay.errors import ValidationError
from slpay.mapping.dates import parse_time


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('send amounts as strings, e.g. "9.99"')
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be an amount such as 9.99")
    return str(value).strip()


Amount = Annotated[str, BeforeValidator(_no_float)]
Text = Annotated[str, Field(max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntakeAddress(_In):
    first_name: Text = ""
    last_name: Text = ""
    company: Text = ""
    address1: Text = ""
    address2: Text = ""
    city: Text = ""
    state: Text = ""
    postal_code: Text = ""
    country: Text = ""
    email: Text = ""
    phone: Text = ""


class IntakeCustomer(_In):
    id: Text = ""
    email: Text = ""


class IntakeLine(_In):
    sku: Text = ""
    product_code: Text = ""
    name: Text = ""
    quantity: Amount
    unit_price: Amount
    total: Amount | None = None
    tax: Amount | None = None


class IntakeOrder(_In):
    order_number: str = Field(min_length=1, max_length=50)
    currency: str = Field(pattern=r"^[A-Za-z]{3}$")
    total: Amount
    freight: Amount | None = None
    tax: Amount | None = None
    ordered_at: str | None = None
    customer: IntakeCustomer = IntakeCustomer()
    bill_to: IntakeAddress = IntakeAddress()
    ship_to: IntakeAddress | None = None
    lines: list[IntakeLine] = Field(default_factory=list, max_length=1000)
    payment_id: str = Field(default="", max_length=64)
    transient_token: str = Field(default="", max_length=20_000, repr=False)
    merchant_defined: dict[str, str] = Field(default_factory=dict)


def _field(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _money(value: str, currency: str, field: str) -> Money:
    try:
        return Money(parse_amount(value, currency), currency)
    except ValueError as exc:
        raise ValidationError(str(exc), field=field) from None


def _quantity(value: str, field: str) -> Decimal:
    try:
        qty = Decimal(value)
    except ArithmeticError:
        raise ValidationError(f"{value!r} is not a quantity", field=field) from None
    if not qty.is_finite() or qty <= 0:
        raise ValidationError("must be greater than zero", field=field)
    return qty


def _line(line: IntakeLine, currency: str, i: int) -> OrderItem:
    where = f"lines[{i}]"
    return OrderItem(
        quantity=_quantity(line.quantity, f"{where}.quantity"),
        unit_price=_money(line.unit_price, currency, f"{where}.unit_price"),
        sku=line.sku.strip(),
        product_code=line.product_code.strip(),
        name=line.name.strip(),
        total=_money(line.total, currency, f"{where}.total") if line.total is not None else None,
        tax=_money(line.tax, currency, f"{where}.tax") if line.tax is not None else None,
    )


def _mdd_key(key: str) -> str:
    key = key.strip()
    return str(int(key)) if key.isdigit() else key


def _address(a: IntakeAddress) -> Address:
    return Address(**{k: v.strip() for k, v in a.model_dump().items()})


def order_from_intake(data: Mapping[str, Any], *, naive_zone: ZoneInfo | None = None) -> Order:
    """Parse and check an intake order; ``naive_zone`` reads times without an offset."""
    try:
        raw = IntakeOrder.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown field"
        elif first["type"] == "missing":
            message = "required"
        raise ValidationError(message, field=_field(tuple(first["loc"]))) from None
    if not raw.payment_id and not raw.transient_token:
        raise ValidationError(
            "either payment_id or transient_token is required", field="payment_id"
        )
    currency = raw.currency.upper()
    opt = {
        k: _money(v, currency, k) if v is not None else None
        for k, v in (("freight", raw.freight), ("tax", raw.tax))
    }
    when = (
        parse_time(raw.ordered_at, field="ordered_at", naive_zone=naive_zone)
        if raw.ordered_at
        else None
    )
    bill_to = _address(raw.bill_to)
    return Order(
        number=raw.order_number.strip(),
        total=_money(raw.total, currency, "total"),
        lines=tuple(_line(line, currency, i) for i, line in enumerate(raw.lines)),
        bill_to=bill_to,
        ship_to=_address(raw.ship_to) if raw.ship_to is not None else None,
        customer_id=raw.customer.id.strip(),
        email=(raw.customer.email or bill_to.email).strip(),
        freight=opt["freight"],
        tax=opt["tax"],
        payment_id=raw.payment_id.strip(),
        transient_token=raw.transient_token,
        ordered_at=when,
        merchant_defined={_mdd_key(k): v for k, v in raw.merchant_defined.items()},
        source="intake",
    )
