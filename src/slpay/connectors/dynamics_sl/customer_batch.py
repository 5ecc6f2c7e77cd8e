"""SL customers for a micro-batch of orders: every one found in a few queries, the missing
created together (one lock of slpay's CustId counter, a block of ids, one insert), a refused
one failing only its own orders. Single look-ups and creation: :mod:`.customers`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from slpay.connectors.dynamics_sl import customers
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.context import Company
from slpay.connectors.dynamics_sl.conventions import read_char, to_char
from slpay.connectors.dynamics_sl.db import classify
from slpay.connectors.dynamics_sl.models import Customer, CustomerRef
from slpay.connectors.dynamics_sl.numbering import allocate
from slpay.connectors.dynamics_sl.rows import Audit, full_row
from slpay.connectors.dynamics_sl.xref import lock_counter, set_counter
from slpay.errors import SlpayError, ValidationError

C = sl.Customer.c


def resolve_many(
    conn: Connection, company: Company, refs: list[CustomerRef], audit: Audit
) -> list[Customer | SlpayError]:
    """:func:`resolve` for a micro-batch, in order, in a few queries: a refused customer fails
    only its own item; the same new e-mail twice creates one customer."""
    ids = customers.by_ids(conn, sorted({r.cust_id.strip() for r in refs if r.cust_id}))
    mails = customers.by_emails(conn, [r.email for r in refs if r.email])
    out: list[Customer | SlpayError | None] = []
    for ref in refs:
        found = ids.get((ref.cust_id or "").strip()) or mails.get(_mail_key(ref))
        if found is None and (not ref.email or "@" not in ref.email):
            what = f"customer {ref.cust_id} not found" if ref.cust_id else "no customer id"
            msg = f"{what} and no e-mail to find or create one"
            out.append(ValidationError(msg, field="customer"))
        else:
            out.append(found)
    missing = [r for r, c in zip(refs, out, strict=True) if c is None]
    made = _create_many(conn, company, missing, audit) if missing else {}
    return [c if c is not None else made[_mail_key(r)] for r, c in zip(refs, out, strict=True)]


def _mail_key(ref: CustomerRef) -> str:
    return (ref.email or "").strip().lower()


def _create_many(
    conn: Connection, company: Company, refs: list[CustomerRef], audit: Audit
) -> dict[str, Customer | SlpayError]:
    """Create the batch's missing customers (lower-cased e-mail → customer or error)."""
    lock_counter(conn, "CustId")  # serializes creation with every other writer, as create()
    out: dict[str, Customer | SlpayError] = dict(
        customers.by_emails(conn, [r.email or "" for r in refs])
    )
    todo: dict[str, tuple[CustomerRef, str]] = {}
    for ref in refs:
        key = _mail_key(ref)
        if key in out or key in todo:
            continue
        try:
            email = to_char(ref.email, 80, "Customer.EMailAddr").strip()
            cury = (ref.currency or company.base_cury).upper()
            company.catalog.currency_places(conn, cury, "customer.currency")
        except SlpayError as exc:
            out[key] = exc
            continue
        todo[key] = (ref, email)
    numbered = {k: v for k, v in todo.items() if _counter_id(company, v[0])}
    for key, (ref, email) in todo.items():
        if key not in numbered:  # an own id or the e-mail rule: chosen and inserted one by one
            cust_id = customers.new_cust_id(conn, company, ref, email, lock_counter(conn, "CustId"))
            values = customers.customer_values(company, ref, cust_id, email)
            out[key] = _created(values)
            _insert_apart(conn, {key: full_row(sl.Customer, audit, values)}, out)
    if numbered:  # a block of counter ids under one lock, one executemany insert
        ids = _counter_ids(conn, company, lock_counter(conn, "CustId"), len(numbered))
        rows = {}
        for (key, (ref, email)), cust_id in zip(numbered.items(), ids, strict=True):
            values = customers.customer_values(company, ref, cust_id, email)
            rows[key] = full_row(sl.Customer, audit, values)
            out[key] = _created(values)
        _insert_apart(conn, rows, out)
    return out


def _insert_apart(
    conn: Connection, rows: dict[str, dict[str, Any]], out: dict[str, Customer | SlpayError]
) -> None:
    """Insert the customers at once; if SL refuses a row, each in its own savepoint, so a
    refused customer fails only its own orders (``out`` gets the error under its e-mail)."""
    try:
        with conn.begin_nested():
            conn.execute(insert(sl.Customer), list(rows.values()))
        return
    except OperationalError:
        raise  # SL unavailable or busy: the whole batch is retried later
    except SQLAlchemyError:
        pass
    for key, row in rows.items():
        try:
            with conn.begin_nested():
                conn.execute(insert(sl.Customer), row)
        except OperationalError:
            raise
        except SQLAlchemyError as exc:
            out[key] = classify(exc, "create_customer")


def _counter_id(company: Company, ref: CustomerRef) -> bool:
    """Whether the new customer's id comes from slpay's counter (no own id, counter rule)."""
    return not ref.cust_id and company.settings.customer_id_rule == "counter"


def _counter_ids(conn: Connection, company: Company, last: str, count: int) -> list[str]:
    s = company.settings
    prefix, width = s.customer_id_prefix, s.customer_id_width - len(s.customer_id_prefix)

    def used(candidates: list[str]) -> set[str]:
        full = [prefix + c for c in candidates]
        rows = conn.execute(select(C.CustId).where(C.CustId.in_(full))).scalars()
        taken = {read_char(v) for v in rows}
        return {c for c in candidates if prefix + c in taken}

    numbers, new_last = allocate(last, count, used, min_width=width, max_width=width)
    set_counter(conn, "CustId", new_last)
    return [prefix + n for n in numbers]


def _created(values: dict[str, Any]) -> Customer:
    return Customer(
        cust_id=read_char(values["CustId"]),
        name=read_char(values["Name"]),
        email=read_char(values["EMailAddr"]),
        ar_acct=read_char(values["ArAcct"]),
        ar_sub=read_char(values["ArSub"]),
        prepay_acct=read_char(values["PrePayAcct"]),
        prepay_sub=read_char(values["PrePaySub"]),
        terms=read_char(values["Terms"]),
        auto_apply=bool(values["AutoApply"]),
        created=True,
    )
