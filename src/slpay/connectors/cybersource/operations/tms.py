"""Token Management Service operations (FACTS §6)."""

from __future__ import annotations

from slpay.connectors.cybersource.models.tms import (
    Customer,
    InstrumentIdentifier,
    InstrumentIdentifierRequest,
    PaymentInstrument,
    PaymentInstrumentList,
)
from slpay.connectors.cybersource.operations.calls import (
    Call,
    parse_model,
    parse_none,
    post,
    seg,
    with_query,
)


def create_customer(request: Customer) -> Call[Customer]:
    return post("create_customer", "/tms/v2/customers", request, Customer)


def get_customer(customer_id: str) -> Call[Customer]:
    return Call(
        "get_customer", "GET", f"/tms/v2/customers/{seg(customer_id)}", parse_model(Customer)
    )


def delete_customer(customer_id: str) -> Call[None]:
    return Call("delete_customer", "DELETE", f"/tms/v2/customers/{seg(customer_id)}", parse_none)


def create_customer_payment_instrument(
    customer_id: str, request: PaymentInstrument
) -> Call[PaymentInstrument]:
    path = f"/tms/v2/customers/{seg(customer_id)}/payment-instruments"
    return post("create_customer_payment_instrument", path, request, PaymentInstrument)


def list_customer_payment_instruments(
    customer_id: str, *, offset: int = 0, limit: int = 20
) -> Call[PaymentInstrumentList]:
    path = with_query(
        f"/tms/v2/customers/{seg(customer_id)}/payment-instruments",
        {"offset": offset, "limit": limit},
    )
    return Call(
        "list_customer_payment_instruments", "GET", path, parse_model(PaymentInstrumentList)
    )


def get_customer_payment_instrument(
    customer_id: str, instrument_id: str
) -> Call[PaymentInstrument]:
    path = f"/tms/v2/customers/{seg(customer_id)}/payment-instruments/{seg(instrument_id)}"
    return Call("get_customer_payment_instrument", "GET", path, parse_model(PaymentInstrument))


def delete_customer_payment_instrument(customer_id: str, instrument_id: str) -> Call[None]:
    path = f"/tms/v2/customers/{seg(customer_id)}/payment-instruments/{seg(instrument_id)}"
    return Call("delete_customer_payment_instrument", "DELETE", path, parse_none)


def create_payment_instrument(request: PaymentInstrument) -> Call[PaymentInstrument]:
    path = "/tms/v1/paymentinstruments"
    return post("create_payment_instrument", path, request, PaymentInstrument)


def get_payment_instrument(instrument_id: str) -> Call[PaymentInstrument]:
    path = f"/tms/v1/paymentinstruments/{seg(instrument_id)}"
    return Call("get_payment_instrument", "GET", path, parse_model(PaymentInstrument))


def delete_payment_instrument(instrument_id: str) -> Call[None]:
    path = f"/tms/v1/paymentinstruments/{seg(instrument_id)}"
    return Call("delete_payment_instrument", "DELETE", path, parse_none)


def create_instrument_identifier(
    request: InstrumentIdentifierRequest,
) -> Call[InstrumentIdentifier]:
    path = "/tms/v1/instrumentidentifiers"
    return post("create_instrument_identifier", path, request, InstrumentIdentifier)


def get_instrument_identifier(identifier_id: str) -> Call[InstrumentIdentifier]:
    path = f"/tms/v1/instrumentidentifiers/{seg(identifier_id)}"
    return Call("get_instrument_identifier", "GET", path, parse_model(InstrumentIdentifier))


def delete_instrument_identifier(identifier_id: str) -> Call[None]:
    path = f"/tms/v1/instrumentidentifiers/{seg(identifier_id)}"
    return Call("delete_instrument_identifier", "DELETE", path, parse_none)
