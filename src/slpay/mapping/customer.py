"""Customer match (by SL CustId, then e-mail, else create) and billTo → SL Customer columns.

The SL lookups come through :class:`CustomerDirectory`, which the SL connector implements;
nothing here touches a database. The result is the SL writer's own
:class:`~slpay.connectors.dynamics_sl.models.CustomerRef`: with ``cust_id`` set when a customer
was found (the writer then uses it), or without it for a new customer (the writer numbers it
under its lock, with the rule the mapping chose — see :meth:`CompiledMapping.sl_overrides`).
Column lengths are SL's own (Customer.Name char(60), EMailAddr char(80) …): each column
either keeps the first characters of a longer value or refuses it, as configured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol

from slpay.connectors.dynamics_sl.models import Customer, CustomerRef
from slpay.domain.orders import Address, Order
from slpay.errors import ValidationError

#: Customer.CustId is char(15).
CUST_ID_LENGTH = 15


class CustomerDirectory(Protocol):
    """Finds SL customers (implemented by the SL connector; faked in tests)."""

    def find_by_id(self, cust_id: str) -> Customer | None:
        """The customer whose CustId is ``cust_id``, or None."""
        ...

    def find_by_email(self, email: str) -> Customer | None:
        """The customer with this e-mail (case-insensitive), or None."""
        ...


@dataclass(frozen=True)
class FieldRule:
    """One Customer column: its source field, SL length and what a too-long value does."""

    column: str
    source: str
    length: int
    too_long: Literal["truncate", "refuse"]


@dataclass(frozen=True)
class MatchRule:
    by: Literal["id", "email"]
    source: Literal["order", "merchant_defined"] = "order"
    key: str | None = None

    @property
    def name(self) -> str:
        if self.by == "email":
            return "email"
        return f"id from merchant_defined[{self.key}]" if self.key else "id from order"


@dataclass(frozen=True)
class CustomerRules:
    """Compiled ``customer:`` section."""

    match: tuple[MatchRule, ...]
    not_found: Literal["create", "refuse"]
    id_rule: Literal["counter", "email", "order_id"]
    create_currency: Literal["base", "order"]
    name_style: Literal["last~first", "first last"]
    prefer_company: bool
    fields: tuple[FieldRule, ...]


@dataclass(frozen=True)
class CustomerMatch:
    """How the paying customer was found, and the writer's reference to it."""

    how: Literal["id", "email", "create"]
    ref: CustomerRef
    #: The ``customer.match`` entry that found it (``customer.not_found`` for a new one).
    rule: str
    existing: Customer | None = None


def person_name(address: Address, rules: CustomerRules) -> str:
    """The SL name: the company, or the person as ``Last~First`` / ``First Last``."""
    if rules.prefer_company and address.company.strip():
        return address.company.strip()
    first, last = address.first_name.strip(), address.last_name.strip()
    if rules.name_style == "last~first":
        return f"{last}~{first}" if first and last else last or first
    return " ".join(p for p in (first, last) if p)


def _value(address: Address, rule: FieldRule, rules: CustomerRules, where: str) -> str:
    raw = person_name(address, rules) if rule.source == "name" else address.get(rule.source)
    value = raw.strip()
    if len(value) <= rule.length:
        return value
    if rule.too_long == "truncate":
        return value[: rule.length].rstrip()
    raise ValidationError(
        f"{len(value)} characters, at most {rule.length} fit SL's Customer.{rule.column}",
        field=f"{where}.{rule.source}",
    )


def customer_ref(
    address: Address, rules: CustomerRules, *, where: str, cust_id: str | None = None
) -> CustomerRef:
    """The address as SL columns (lengths enforced); ``where`` prefixes error fields."""
    values = {r.column: _value(address, r, rules, where) for r in rules.fields}
    return CustomerRef(
        cust_id=cust_id,
        email=values.get("EMailAddr") or None,
        name=values.get("Name") or None,
        addr1=values.get("Addr1", ""),
        addr2=values.get("Addr2", ""),
        city=values.get("City", ""),
        state=values.get("State", ""),
        zip=values.get("Zip", ""),
        country=values.get("Country", ""),
        phone=values.get("Phone", ""),
    )


def _id_of(order: Order, rule: MatchRule) -> str:
    if rule.source == "merchant_defined" and rule.key is not None:
        return order.merchant_defined.get(rule.key, "").strip()
    return order.customer_id.strip()


def billing(order: Order) -> Address:
    """The billing address with the order's e-mail filled in when the address has none."""
    if order.bill_to.email.strip() or not order.email.strip():
        return order.bill_to
    return replace(order.bill_to, email=order.email.strip())


def match_customer(
    order: Order, directory: CustomerDirectory, rules: CustomerRules
) -> CustomerMatch:
    """Try ``rules.match`` in order; else a new customer (or refuse, as configured)."""
    ref = customer_ref(billing(order), rules, where="bill_to")
    tried: list[str] = []
    first_id = ""
    for i, rule in enumerate(rules.match):
        if rule.by == "email":
            if ref.email:
                found = directory.find_by_email(ref.email)
                tried.append(f"e-mail {ref.email}")
                if found is not None:
                    return _found("email", ref, found, f"customer.match[{i}]")
            continue
        cust_id = _id_of(order, rule)
        first_id = first_id or cust_id
        if cust_id and len(cust_id) <= CUST_ID_LENGTH:
            tried.append(f"id {cust_id}")
            found = directory.find_by_id(cust_id)
            if found is not None:
                return _found("id", ref, found, f"customer.match[{i}]")
    return _create(order, ref, rules, first_id, tried)


def _found(
    how: Literal["id", "email"], ref: CustomerRef, found: Customer, rule: str
) -> CustomerMatch:
    return CustomerMatch(how, replace(ref, cust_id=found.cust_id), rule, found)


def _create(
    order: Order, ref: CustomerRef, rules: CustomerRules, first_id: str, tried: list[str]
) -> CustomerMatch:
    looked = ", ".join(tried) or "nothing to look up"
    if rules.not_found == "refuse":
        raise ValidationError(
            f"no SL customer matches ({looked}) and customer.not_found is refuse",
            field="customer",
        )
    if not ref.email or "@" not in ref.email:
        raise ValidationError(
            f"no SL customer matches ({looked}); a new customer needs an e-mail", field="email"
        )
    cust_id = None
    if rules.id_rule == "order_id":
        if not first_id:
            raise ValidationError(
                "customer.create.id_rule is order_id but the order has no customer id",
                field="customer_id",
            )
        if len(first_id) > CUST_ID_LENGTH:
            raise ValidationError(
                f"{first_id!r} is longer than SL's CustId ({CUST_ID_LENGTH})", field="customer_id"
            )
        cust_id = first_id
    currency = order.currency if rules.create_currency == "order" else None
    return CustomerMatch(
        "create", replace(ref, cust_id=cust_id, currency=currency), "customer.not_found"
    )
