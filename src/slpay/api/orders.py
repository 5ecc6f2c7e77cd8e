"""``POST /api/orders``: order intake from the eCommerce platform (``X-API-Key``).

The body is :mod:`slpay.mapping.intake`'s JSON. With a ``payment_id`` the order is stored in
the inbox (source ``api``, key ``<org>|order.created|<order number>``) and matched to the
payment by order number: whichever of the order and the payment's webhook is processed first
writes the sales order, once. With a ``transient_token`` slpay first authorizes (or sells,
``workflows.intake_capture``) through the Cybersource connector, with the order number as
``clientReferenceInformation.code``; the token itself is never stored.

Answers: 201 ``{"order_number", "payment_id", "status"}``; 402 when the card is declined;
422 naming the field for bad input; a repeated order number is 200 ``"duplicate"``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from slpay.api.security import require_api_key
from slpay.connectors.cybersource.models.common import Address, LineItem
from slpay.connectors.cybersource.requests import build_authorize_request
from slpay.domain.orders import Order
from slpay.errors import SlpayError, TransientError, ValidationError
from slpay.store.inbox import NewEvent, insert_events
from slpay.workflows.context import Deps
from slpay.workflows.o2c import ORDER_EVENT, intake_key

router = APIRouter(prefix="/api", dependencies=[Depends(require_api_key)])


def _bill_to(order: Order) -> Address:
    b = order.bill_to
    return Address(
        first_name=b.first_name or None,
        last_name=b.last_name or None,
        company=b.company or None,
        address1=b.address1 or None,
        address2=b.address2 or None,
        locality=b.city or None,
        administrative_area=b.state or None,
        postal_code=b.postal_code or None,
        country=b.country or None,
        email=b.email or order.email or None,
        phone_number=b.phone or None,
    )


def _line_items(order: Order) -> list[LineItem]:
    # Cybersource's quantity is an integer; a fractional quantity travels as one unit of the
    # line's total so the amounts still add up.
    items = []
    for line in order.lines:
        whole = line.quantity == line.quantity.to_integral_value()
        items.append(
            LineItem(
                product_code=line.product_code or "default",
                product_name=line.name or None,
                product_sku=line.sku or None,
                quantity=int(line.quantity) if whole else 1,
                unit_price=line.unit_price.amount if whole else line.extended.amount,
            )
        )
    return items


def _authorize(d: Deps, order: Order) -> tuple[str, str, bool]:
    # billTo and lineItems travel with the authorization: a declined card's reject webhook
    # and TSS details then still name the customer (the SO is written Cancelled, not parked).
    request = build_authorize_request(
        order.total,
        code=order.number,
        capture=d.settings.workflows.intake_capture,
        transient_token=order.transient_token,
        bill_to=_bill_to(order),
        line_items=_line_items(order),
    )
    response = d.cs.authorize(request)
    return str(response.id or ""), str(response.status or ""), bool(response.is_declined)


def _store(d: Deps, event: NewEvent) -> bool:
    with d.hub.begin() as conn:
        (is_new,) = insert_events(conn, [event])
    return is_new


@router.post("/orders", status_code=201)
async def post_order(request: Request) -> Any:
    """Accept one order (see the module docstring)."""
    d: Deps = request.app.state.o2c_deps
    try:
        data = json.loads(await request.body())
    except ValueError:
        raise HTTPException(400, detail={"field": "body", "error": "not JSON"}) from None
    if not isinstance(data, dict):
        raise HTTPException(422, detail={"field": "body", "error": "must be a JSON object"})
    try:
        order = d.mapping.order_from_intake(data)
    except ValidationError as exc:
        raise HTTPException(422, detail={"field": exc.field, "error": exc.reason}) from None
    status, declined = "ACCEPTED", False
    payment_id = order.payment_id
    if order.transient_token:
        try:
            # The connector is synchronous: run it off the event loop, which also serves the
            # webhook route and must not stall while a card is authorized.
            payment_id, status, declined = await run_in_threadpool(_authorize, d, order)
        except TransientError as exc:
            raise HTTPException(503, detail={"error": str(exc)}) from None
        except SlpayError as exc:
            raise HTTPException(402, detail={"error": str(exc)}) from None
    stored = {k: v for k, v in data.items() if k != "transient_token"} | {"payment_id": payment_id}
    event = NewEvent(
        dedupe_key=intake_key(d.organization_id, order.number),
        organization_id=d.organization_id,
        event_type=ORDER_EVENT,
        resource_id=order.number[:128],
        payload=stored,
        source="api",
    )
    is_new = await run_in_threadpool(_store, d, event)
    body = {"order_number": order.number, "payment_id": payment_id, "status": status}
    if declined:
        # Stored all the same, so the reject webhook's SO carries the shop's customer data.
        return JSONResponse(body, status_code=402)
    if not is_new:
        return JSONResponse(body | {"status": "duplicate"}, status_code=200)
    return body
