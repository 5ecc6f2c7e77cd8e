"""A micro-batch of sales orders in one SL transaction (:meth:`SLWriter.write_orders`).

The same documents as :func:`~slpay.connectors.dynamics_sl.orders.write_order`, at a cost per
batch rather than per order: SOType's numbering row is locked once and a block of OrdNbrs
taken with one collision query, every customer is found (or created) in a few queries, and
the headers and lines go in with one executemany each. A refused order fails alone: input
errors are found before anything is written, and should SL refuse the rows themselves the
batch's inserts are rolled back to a savepoint and each order is retried in its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from slpay.connectors.dynamics_sl import customer_batch
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.context import Company, Rate
from slpay.connectors.dynamics_sl.db import classify
from slpay.connectors.dynamics_sl.models import Customer, ItemResult, OrderInput
from slpay.connectors.dynamics_sl.numbering import lock_so_type, order_numbers
from slpay.connectors.dynamics_sl.orders import check_order, order_document, order_rows
from slpay.connectors.dynamics_sl.rows import Audit, insert_rows
from slpay.errors import SlpayError


@dataclass
class _Ready:
    item: OrderInput
    rate: Rate
    customer: Customer
    header: dict[str, Any]
    lines: list[dict[str, Any]]


def write_orders(
    conn: Connection, company: Company, audit: Audit, items: Sequence[OrderInput]
) -> list[ItemResult]:
    """Write new orders (keys already checked as new); one result per item, in order."""
    results: dict[str, ItemResult] = {}
    checked: list[tuple[OrderInput, Rate]] = []
    for item in items:
        try:
            check_order(item)
            checked.append(
                (item, company.rate(conn, item.lines[0].unit_price, item.date, item.rate))
            )
        except SlpayError as exc:
            results[item.key] = ItemResult(item.key, error=exc)
    if checked:
        # SOType first, then the customer counter: the lock order of every other order write.
        lock_so_type(conn, company.cpny_id, company.settings.so_type_id)
        refs = [item.customer for item, _ in checked]
        found = customer_batch.resolve_many(conn, company, refs, audit)
        ready = _rows(company, audit, checked, found, results)
        numbers = order_numbers(conn, company.cpny_id, company.settings.so_type_id, len(ready))
        for r, ord_nbr in zip(ready, numbers, strict=True):
            r.header["OrdNbr"] = ord_nbr
            for line in r.lines:
                line["OrdNbr"] = ord_nbr
            doc = order_document(company, r.item, ord_nbr, r.customer)
            results[r.item.key] = ItemResult(r.item.key, document=doc)
        _insert(conn, ready, results)
    return [results[item.key] for item in items]


def _rows(
    company: Company,
    audit: Audit,
    checked: list[tuple[OrderInput, Rate]],
    found: list[Customer | SlpayError],
    results: dict[str, ItemResult],
) -> list[_Ready]:
    ready: list[_Ready] = []
    for (item, rate), customer in zip(checked, found, strict=True):
        try:
            if not isinstance(customer, Customer):
                raise customer
            header, lines = order_rows(company, audit, item, rate, customer, "")
        except SlpayError as exc:
            results[item.key] = ItemResult(item.key, error=exc)
            continue
        ready.append(_Ready(item, rate, customer, header, lines))
    return ready


def _insert(conn: Connection, ready: list[_Ready], results: dict[str, ItemResult]) -> None:
    """All orders in two statements; if SL refuses a row, each order in its own savepoint."""
    if not ready:
        return
    try:
        with conn.begin_nested():
            insert_rows(conn, sl.SOHeader, [r.header for r in ready])
            insert_rows(conn, sl.SOLine, [line for r in ready for line in r.lines])
        return
    except OperationalError:
        raise  # SL unavailable or busy: the whole batch is retried later
    except SQLAlchemyError:
        pass  # one order's rows were refused: find which, the others still post
    for r in ready:
        try:
            with conn.begin_nested():
                insert_rows(conn, sl.SOHeader, [r.header])
                insert_rows(conn, sl.SOLine, r.lines)
        except OperationalError:
            raise
        except SQLAlchemyError as exc:
            results[r.item.key] = ItemResult(r.item.key, error=classify(exc, "write_orders"))
