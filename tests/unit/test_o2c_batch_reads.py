"""A micro-batch's customer look-ups for the mapping: the e-mails its transactions carry are
read from SL in one query, found or not; anything else is read once and remembered."""

from __future__ import annotations

from typing import Any, cast

from slpay.connectors.dynamics_sl.models import Customer
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.workflows.o2c_reads import BatchDirectory


def customer(cust_id: str, email: str) -> Customer:
    return Customer(cust_id, cust_id, email, "1200", "00", "2400", "00", "00", False)


class FakeWriter:
    """SL's customers, counting the writer's look-ups."""

    def __init__(self, *known: Customer) -> None:
        self.known = list(known)
        self.batch_reads: list[list[str]] = []
        self.single_reads: list[dict[str, Any]] = []

    def find_customers_by_email(self, emails: list[str]) -> dict[str, Customer]:
        self.batch_reads.append(list(emails))
        return {c.email.lower(): c for c in self.known if c.email.lower() in emails}

    def find_customer(
        self, *, cust_id: str | None = None, email: str | None = None
    ) -> Customer | None:
        self.single_reads.append({"cust_id": cust_id, "email": email})
        for c in self.known:
            if c.cust_id == cust_id or (email and c.email.lower() == email.strip().lower()):
                return c
        return None


def test_the_batch_emails_are_read_in_one_query_found_or_not() -> None:
    ann = customer("C1", "Ann@Example.com")
    sl = FakeWriter(ann)
    directory = BatchDirectory(cast(SLWriter, sl), ["ann@example.com", "new@example.com", ""])

    assert directory.find_by_email(" ANN@example.com") == ann
    assert directory.find_by_email("new@example.com") is None
    assert sl.batch_reads == [["ann@example.com", "new@example.com"]]
    assert sl.single_reads == []  # nothing asked twice, not even the missing e-mail


def test_a_look_up_not_read_ahead_asks_sl_once_per_batch() -> None:
    bob = customer("C2", "bob@example.com")
    sl = FakeWriter(bob)
    directory = BatchDirectory(cast(SLWriter, sl), [])

    assert directory.find_by_id("C2") == bob
    assert directory.find_by_id("C2") == bob
    assert directory.find_by_email("bob@example.com") == bob
    assert directory.find_by_email("Bob@Example.com") == bob
    assert sl.batch_reads == []  # no e-mail to read ahead: no query
    assert sl.single_reads == [{"cust_id": "C2", "email": None},
                               {"cust_id": None, "email": "bob@example.com"}]  # fmt: skip
