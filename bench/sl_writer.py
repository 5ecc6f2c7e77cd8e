"""Benchmark: card payments written into the SL sandbox company per second.

    python bench/sl_writer.py [--single N] [--batched N] [--batch-size N]

Measures, in one run, on a fresh sandbox company each time:

* SQLite, one payment per transaction (``SLWriter.write_payment``) - the baseline;
* SQLite, micro-batches (``SLWriter.write_payments``) - what the order-to-cash hub uses;
* PostgreSQL, micro-batches (``SLPAY_TEST_POSTGRES_URL`` or the local default), in a schema
  of its own that is dropped afterwards.

Every payment is a full 08.030 PP document with its own business key, numbering and
idempotency record. The last line is
``sqlite_per_s=<n> postgres_per_s=<n> batched_vs_single=<ratio>`` (targets: >= 3,000 on SQLite,
batched >= 5x single). ``postgres_per_s=0`` means PostgreSQL was not reachable.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from slpay.connectors.dynamics_sl.db import create_sl_engine
from slpay.connectors.dynamics_sl.models import CustomerRef, PaymentInput
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money
from slpay.logs import configure_logging
from slpay.sandbox.sl.company import init_company

TODAY = date(2026, 5, 15)
WHEN = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)
CUSTOMERS = ("C00001", "C00002")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def payments(run: str, count: int) -> list[PaymentInput]:
    return [
        PaymentInput(
            key=f"{run}{n:016d}:capture",
            customer=CustomerRef(cust_id=CUSTOMERS[n % 2]),
            amount=Money.of(f"{n % 500 + 1}.99", "USD"),
            date=WHEN,
            cyber_id=f"69{n:020d}",
            cust_ord_nbr=f"WEB-{run}-{n}",
        )
        for n in range(count)
    ]


def timed(write: Callable[[], int]) -> float:
    """Payments per second of one measured call (``write`` returns how many it wrote)."""
    start = time.perf_counter()
    written = write()
    return written / (time.perf_counter() - start)


def single_rate(writer: SLWriter, count: int) -> float:
    items = payments("s", count)
    writer.write_payment(payments("warm", 1)[0])  # tables created, caches warm

    def run() -> int:
        for p in items:
            writer.write_payment(p)
        return len(items)

    return timed(run)


def batched_rate(writer: SLWriter, count: int, size: int) -> float:
    items = payments("b", count)
    writer.write_payments(payments("warmb", 10))

    def run() -> int:
        written = 0
        for k in range(0, len(items), size):
            written += sum(1 for r in writer.write_payments(items[k : k + size]) if r.ok)
        return written

    return timed(run)


def sqlite_company(folder: Path, name: str) -> Engine:
    engine = create_sl_engine(str(folder / f"{name}.db"))
    init_company(engine, today=TODAY)
    return engine


def postgres_rate(url: str, count: int, size: int) -> float:
    schema = f"slpay_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        print(f"postgres not reachable ({type(exc.orig).__name__}); reporting 0")
        admin.dispose()
        return 0.0
    engine = create_sl_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        init_company(engine, today=TODAY)
        return batched_rate(SLWriter(engine), count, size)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=500, help="payments, one per transaction")
    parser.add_argument("--batched", type=int, default=10_000, help="payments in micro-batches")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    configure_logging(level="WARNING")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        single = single_rate(SLWriter(sqlite_company(folder, "single")), args.single)
        batched = batched_rate(SLWriter(sqlite_company(folder, "batched")), args.batched,
                               args.batch_size)  # fmt: skip
    pg_url = os.environ.get("SLPAY_TEST_POSTGRES_URL", DEFAULT_PG)
    postgres = postgres_rate(pg_url, args.batched, args.batch_size)
    print(f"sqlite single-document transactions: {single:,.0f} payments/s")
    print(f"sqlite micro-batches of {args.batch_size}: {batched:,.0f} payments/s")
    print(f"postgres micro-batches of {args.batch_size}: {postgres:,.0f} payments/s")
    print(
        f"sqlite_per_s={batched:.0f} postgres_per_s={postgres:.0f} "
        f"batched_vs_single={batched / single:.1f}"
    )


if __name__ == "__main__":
    main()
