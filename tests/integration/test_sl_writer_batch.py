"""``SLWriter.write_orders``: a micro-batch of sales orders in one SL transaction, on a real
sandbox company (SQLite and PostgreSQL) — the same rows as single orders, one bad order
failing alone, a business key written once within and across batches."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, insert, select
from test_sl_writer_support import (  # noqa: F401 - fixtures
    NOW,
    company_fixture,
    count,
    one,
    pg_company_fixture,
    pg_schema_fixture,
    rows,
    sqlite_template_fixture,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import CustomerRef, OrderInput, OrderLine
from slpay.connectors.dynamics_sl.numbering import increment
from slpay.connectors.dynamics_sl.rows import Audit, full_row
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.connectors.dynamics_sl.xref import slpay_xref
from slpay.domain.money import Money
from slpay.errors import PermanentError, ValidationError


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def order(n: int, customer: CustomerRef | None = None, **kw: object) -> OrderInput:
    lines = kw.pop("lines", (OrderLine("WIDGET", "Widget", Decimal(2), usd("10.00")),
                             OrderLine("GADGET", "Gadget", Decimal(1), usd("5.50"))))  # fmt: skip
    return OrderInput(
        f"{n:022d}:authorize", f"WEB-{n}",
        customer or CustomerRef(email=f"buyer{n}@example.com", name=f"Buyer {n}"),
        lines, NOW, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def consecutive(first: str, n: int) -> list[str]:
    out = [first]
    while len(out) < n:
        out.append(increment(out[-1]))
    return out


def xref_keys(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(slpay_xref.c.biz_key)).scalars())


def test_a_batch_writes_every_order_with_totals_numbers_and_customers(company: Engine) -> None:
    shared = CustomerRef(email="Same.Buyer@Example.com")
    items = [order(1), order(2, shared), order(3, CustomerRef(cust_id="C00001")),
             order(4, CustomerRef(email="same.buyer@example.com"))]  # fmt: skip
    results = SLWriter(company).write_orders(items)

    assert [r.error for r in results] == [None] * 4
    docs = [r.document for r in results if r.document is not None]
    assert len({d.ord_nbr for d in docs}) == 4  # four orders, four numbers
    so_type = one(company, sl.SOType, sl.SOType.c.SOTypeID == "SO")
    last = so_type["OrdNbrPrefix"].strip() + so_type["LastOrdNbr"].strip()
    numbers = sorted(d.ord_nbr for d in docs)
    assert numbers == consecutive(numbers[0], 4)  # one block, no gap
    assert numbers[-1] == last
    assert docs[2].cust_id == "C00001"
    assert docs[1].cust_id == docs[3].cust_id  # one new customer for one e-mail, any case
    assert count(company, sl.Customer, sl.Customer.c.CustId == docs[1].cust_id) == 1
    for doc in docs:
        head = one(company, sl.SOHeader, sl.SOHeader.c.OrdNbr == doc.ord_nbr)
        lines = rows(company, sl.SOLine, sl.SOLine.c.OrdNbr == doc.ord_nbr)
        assert head["CustID"].strip() == doc.cust_id
        assert len(lines) == 2
        assert Decimal(str(head["CuryTotOrd"])) == Decimal("25.50")
        assert sum(Decimal(str(x["CuryTotOrd"])) for x in lines) == Decimal("25.50")
    assert xref_keys(company) == sorted(i.key for i in items)


def test_one_bad_order_in_a_batch_fails_alone(company: Engine) -> None:
    bad_input = order(2, lines=())
    no_customer = order(3, CustomerRef(cust_id="NOSUCH"))
    unknown_currency = order(4, lines=(OrderLine("W", "W", Decimal(1), Money.of("1", "XTS")),))
    items = [order(1), bad_input, no_customer, unknown_currency, order(5)]
    results = SLWriter(company).write_orders(items)

    assert [r.ok for r in results] == [True, False, False, False, True]
    assert isinstance(results[1].error, ValidationError)
    assert results[1].error.field == "lines"
    assert isinstance(results[2].error, ValidationError)
    assert results[2].error.field == "customer"
    assert isinstance(results[3].error, ValidationError)
    assert count(company, sl.SOHeader) == 2
    assert xref_keys(company) == sorted([items[0].key, items[4].key])


def test_an_order_sl_refuses_at_insert_fails_alone(company: Engine) -> None:
    # Orphan SOLine rows under the next order number (left by someone else): the batch's
    # insert fails, and the retry one order at a time refuses only the order that collides.
    writer = SLWriter(company)
    (first,) = writer.write_orders([order(1)])
    assert first.document is not None
    following = increment(first.document.ord_nbr)
    audit = Audit(user="OTHER", now=NOW.replace(tzinfo=None))
    with company.begin() as conn:
        values = {"CpnyID": "DEMO", "OrdNbr": following, "LineRef": "00001", "InvtID": "X"}
        conn.execute(insert(sl.SOLine), full_row(sl.SOLine, audit, values))

    results = writer.write_orders([order(2), order(3), order(4)])

    assert [r.ok for r in results] == [False, True, True]
    assert isinstance(results[0].error, PermanentError)
    assert count(company, sl.SOHeader) == 3
    assert xref_keys(company) == sorted(order(n).key for n in (1, 3, 4))
    written = {r.document.ord_nbr for r in results if r.document is not None}
    assert following not in written


def test_the_same_key_twice_in_a_batch_and_across_batches_writes_one_order(
    company: Engine,
) -> None:
    writer = SLWriter(company)
    first = writer.write_orders([order(1), order(2), order(1)])
    assert first[0].document == first[2].document
    again = writer.write_orders([order(1), order(3)])

    assert first[0].document is not None
    assert again[0].document is not None
    assert again[0].document.ord_nbr == first[0].document.ord_nbr
    assert again[0].document.created is False
    assert count(company, sl.SOHeader) == 3
    assert count(company, sl.SOHeader, sl.SOHeader.c.CustOrdNbr == "WEB-1") == 1


def test_a_single_order_after_a_batch_takes_the_next_number(company: Engine) -> None:
    writer = SLWriter(company)
    batch = writer.write_orders([order(1), order(2)])
    single = writer.write_order(order(3))
    numbers = sorted(r.document.ord_nbr for r in batch if r.document is not None)
    assert numbers == consecutive(numbers[0], 2)
    assert single.ord_nbr == increment(numbers[-1])


def _refuse_customers(engine: Engine, email: str) -> str:
    """A trigger in SL refusing one e-mail's new customer (as a site's own rule might);
    returns the SQL that removes it."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON Customer "
                f"WHEN NEW.EMailAddr = '{email}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
            return "DROP TRIGGER refuse_one"
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse_one() RETURNS trigger AS $$ BEGIN "
            f"""IF NEW."EMailAddr" = '{email}' THEN RAISE EXCEPTION 'refused' """
            "USING ERRCODE = '23514'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql(
            'CREATE TRIGGER refuse_one BEFORE INSERT ON "Customer" '
            "FOR EACH ROW EXECUTE FUNCTION refuse_one()"
        )
        return 'DROP TRIGGER refuse_one ON "Customer"; DROP FUNCTION refuse_one()'


def test_a_new_customer_sl_refuses_fails_only_its_own_orders(company: Engine) -> None:
    undo = _refuse_customers(company, "refused@example.com")
    try:
        refused = CustomerRef(email="refused@example.com")
        results = SLWriter(company).write_orders(
            [order(1), order(2, refused), order(3), order(4, refused)]
        )
    finally:
        with company.begin() as conn:
            for statement in undo.split("; "):
                conn.exec_driver_sql(statement)

    assert [r.ok for r in results] == [True, False, True, False]
    assert isinstance(results[1].error, PermanentError)
    assert count(company, sl.Customer, sl.Customer.c.EMailAddr == "refused@example.com") == 0
    assert count(company, sl.Customer, sl.Customer.c.EMailAddr == "buyer3@example.com") == 1
    assert count(company, sl.SOHeader) == 2
