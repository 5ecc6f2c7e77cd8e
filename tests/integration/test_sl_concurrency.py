"""8 writers creating 1,000 payments at once lose nothing and never reuse a number.

Each writer has its own engine (as separate ``slpay serve`` processes would); half write one
payment per transaction, half write micro-batches of 25. Some business keys are sent by two
writers at once, and a new customer's e-mail by all of them: still one document per key and
one customer.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from test_sl_writer_support import NOW, TODAY, postgres_url, rows

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.db import create_sl_engine
from slpay.connectors.dynamics_sl.models import CustomerRef, PaymentInput
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.connectors.dynamics_sl.xref import slpay_counter, slpay_xref
from slpay.domain.money import Money
from slpay.sandbox.sl.company import init_company

WRITERS = 8
PAYMENTS = 1000
SHARED_EMAIL = "same.buyer@example.com"


def _payment(n: int) -> PaymentInput:
    customer = (CustomerRef(email=SHARED_EMAIL) if n % 97 == 0
                else CustomerRef(cust_id=("C00001", "C00002", "C00004")[n % 3]))  # fmt: skip
    currency = "EUR" if n % 3 == 2 else "USD"  # C00004 pays in euros
    return PaymentInput(f"{n:022d}:capture", customer, Money.of(f"{n % 50 + 1}.25", currency),
                        NOW, cyber_id=f"{n:022d}", cust_ord_nbr=f"WEB-{n}")  # fmt: skip


def _plan() -> list[list[PaymentInput]]:
    """Each writer's share; every 40th payment is also sent by the next writer."""
    shares: list[list[PaymentInput]] = [[] for _ in range(WRITERS)]
    for n in range(PAYMENTS):
        shares[n % WRITERS].append(_payment(n))
        if n % 40 == 0:
            shares[(n + 1) % WRITERS].append(_payment(n))
    return shares


def _run(engines: list[Engine]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def work(i: int, share: list[PaymentInput]) -> None:
        writer = SLWriter(engines[i])
        try:
            start.wait()
            if i % 2 == 0:
                for p in share:
                    writer.write_payment(p)
            else:
                for k in range(0, len(share), 25):
                    results = writer.write_payments(share[k : k + 25])
                    errors.extend(r.error for r in results if r.error is not None)
        except BaseException as exc:  # reported by the test, not lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(_plan())]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _check(engine: Engine) -> None:
    docs = rows(engine, sl.ARDoc, sl.ARDoc.c.DocType == "PP")
    assert len(docs) == PAYMENTS
    assert len({d["RefNbr"] for d in docs}) == PAYMENTS  # no reference number reused
    assert {d["User2"] for d in docs} == {f"{n:022d}" for n in range(PAYMENTS)}
    with engine.connect() as conn:
        assert len(conn.execute(select(slpay_xref.c.biz_key)).scalars().all()) == PAYMENTS
        last_ref = conn.execute(select(slpay_counter.c.last_value)
                                .where(slpay_counter.c.name == "PaymentRef")).scalar()  # fmt: skip
        last_bat = conn.execute(select(sl.ARSetup.c.LastBatNbr)).scalar()
    assert max(d["RefNbr"] for d in docs) == f"CY{last_ref}"
    batches = {b["BatNbr"]: b for b in rows(engine, sl.Batch, sl.Batch.c.Module == "AR")}
    assert max(batches) == last_bat.rstrip()
    per_batch: Counter[str] = Counter()
    for d in docs:
        per_batch[d["BatNbr"]] += 1
        assert d["BatNbr"] in batches
    for bat_nbr, batch in batches.items():  # control totals still exact under contention
        total = sum(Decimal(str(d["CuryOrigDocAmt"])) for d in docs if d["BatNbr"] == bat_nbr)
        assert Decimal(str(batch["CuryCrTot"])) == total == Decimal(str(batch["CuryDepositAmt"]))
    customers = rows(engine, sl.Customer, sl.Customer.c.EMailAddr == SHARED_EMAIL)
    assert len(customers) == 1


def test_eight_writers_on_sqlite(tmp_path: Path) -> None:
    url = str(tmp_path / "sl.db")
    init_company(create_sl_engine(url), today=TODAY)
    engines = [create_sl_engine(url) for _ in range(WRITERS)]
    assert _run(engines) == []
    _check(engines[0])
    for e in engines:
        e.dispose()


@pytest.mark.postgres
def test_eight_writers_on_postgres() -> None:
    url = postgres_url()
    schema = f"slpay_slc_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    opts = {"options": f"-csearch_path={schema}"}
    engines = [create_sl_engine(url, connect_args=opts) for _ in range(WRITERS)]
    try:
        init_company(engines[0], today=TODAY)
        assert _run(engines) == []
        _check(engines[0])
    finally:
        for e in engines:
            e.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
