"""Shared set-up for the reconciliation tests (no tests here).

A settlement day played for real: the Cybersource sandbox over HTTP (sales, refunds, batch
close, chargebacks, report tampering), a sandbox SL company where the documents the hub would
have written are written with the real SL writer under the hub's business keys
(``<transaction id>:<operation>``), and a hub store: on SQLite, and again on PostgreSQL (each
in a uniquely named schema) when SLPAY_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, update

from slpay.config import CybersourceSettings, ReconcileSettings, Settings, SLSettings
from slpay.connectors.cybersource.client import CybersourceClient
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.models import CustomerRef, MemoInput, PaymentInput
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.domain.money import Money
from slpay.reconcile import DayResult, Reconciler
from slpay.retry import RetryPolicy
from slpay.sandbox.cybersource import FeeRule, SandboxConfig
from slpay.sandbox.cybersource.server import SandboxHandle, run_in_thread
from slpay.sandbox.cybersource.testing import MutableClock, card_payment, signed_client
from slpay.sandbox.sl.company import init_company
from slpay.sandbox.sl.engine import drop_schema, open_engine
from slpay.store import make_engine, migrate
from slpay.store import tasks as task_repo

DAY = date(2026, 5, 15)
NOON = datetime(2026, 5, 15, 12, tzinfo=UTC)
SL = SLSettings()
ACC = SL.accounts
CLEARING = (ACC.clearing_acct, ACC.clearing_sub)
EUR_CUSTOMER = "C00004"
PG_ENV = "SLPAY_TEST_POSTGRES_URL"


@dataclass
class Day:
    """The three systems of one test, and helpers to act on them."""

    cs: httpx.Client
    writer: SLWriter
    hub: Engine
    settings: Settings
    client: CybersourceClient
    sl_docs: dict[str, Any] = field(default_factory=dict)

    def sale(self, code: str, amount: str, currency: str = "USD") -> str:
        resp = self.cs.post(
            "/pts/v2/payments", json=card_payment(code, amount, currency, capture=True)
        )
        assert resp.json()["status"] == "AUTHORIZED", resp.text
        return str(resp.json()["id"])

    def refund(self, txn: str, amount: str, currency: str = "USD") -> str:
        body = {
            "orderInformation": {"amountDetails": {"totalAmount": amount, "currency": currency}}
        }
        resp = self.cs.post(f"/pts/v2/payments/{txn}/refunds", json=body)
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"])

    def close(self, day: date = DAY) -> None:
        assert self.cs.post("/sandbox/close-day", json={"date": day.isoformat()}).status_code == 200

    def chargeback(self, txn: str, amount: str, day: date = DAY) -> str:
        body = {"transactionId": txn, "amount": amount, "date": day.isoformat()}
        resp = self.cs.post("/sandbox/chargebacks", json=body)
        assert resp.status_code in (200, 201), resp.text
        return str(resp.json().get("id", ""))

    def tamper(self, action: str, **params: Any) -> None:
        body = {"date": DAY.isoformat(), "action": action, **params}
        resp = self.cs.post("/sandbox/reports/tamper", json=body)
        assert resp.status_code in (200, 201), resp.text

    # --- the SL side, as the hub writes it --------------------------------------------------

    def sl_capture(
        self, txn: str, code: str, amount: str, currency: str = "USD", when: datetime = NOON
    ) -> None:
        self.sl_docs[f"{txn}:capture"] = self.writer.write_payment(
            PaymentInput(
                key=f"{txn}:capture",
                customer=_customer(currency),
                amount=Money.of(amount, currency),
                date=when,
                cyber_id=txn,
                cust_ord_nbr=code,
                doc_type="PP",
            )
        )

    def sl_memo(self, txn: str, op: str, code: str, amount: str, currency: str = "USD") -> None:
        """A card-refund DM (``refund``) or a chargeback DM: Dr AR, Cr clearing."""
        self.sl_docs[f"{txn}:{op}"] = self.writer.write_memo(
            MemoInput(
                key=f"{txn}:{op}",
                doc_type="DM",
                customer=_customer(currency),
                amount=Money.of(amount, currency),
                date=NOON,
                line_acct=CLEARING[0],
                line_sub=CLEARING[1],
                cyber_id=txn,
                cust_ord_nbr=code,
                description="card refund" if op == "refund" else "chargeback",
            )
        )

    def sl_edit(self, key: str, **values: Any) -> None:
        """An SL user's direct edit of the document slpay wrote under ``key``."""
        doc = self.sl_docs[key]
        a = sl.ARDoc.c
        with self.writer.engine.begin() as conn:
            conn.execute(
                update(sl.ARDoc)
                .where(a.DocType == doc.doc_type, a.RefNbr == doc.ref_nbr)
                .values(**values)
            )

    # --- reconciliation ---------------------------------------------------------------------

    def reconcile(self, day: date = DAY) -> DayResult:
        return Reconciler(self.settings, self.client, self.writer, self.hub).reconcile_day(day)

    def open_tasks(self) -> list[task_repo.Task]:
        with self.hub.connect() as conn:
            return task_repo.list_tasks(conn, kind="discrepancy")


def _customer(currency: str) -> CustomerRef:
    return CustomerRef(cust_id=EUR_CUSTOMER if currency == "EUR" else "C00001")


@pytest.fixture(scope="module", name="sandbox")
def sandbox_fixture() -> Iterator[tuple[SandboxHandle, MutableClock]]:
    clock = MutableClock(NOON)
    config = SandboxConfig(clock=clock, fees={"*": FeeRule(Decimal("2.00"), Decimal("0.10"))})
    with run_in_thread(config) as handle:
        yield handle, clock


@contextlib.contextmanager
def _databases(kind: str, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """(SL company, hub store): SQLite files, or each in a PostgreSQL schema of its own."""
    if kind == "sqlite":
        sl_engine, hub = open_engine(str(tmp_path / "sl.db")), make_engine(tmp_path / "hub.db")
        yield sl_engine, hub
        sl_engine.dispose()
        hub.dispose()
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tests skipped")
    name = f"recon_test_{uuid.uuid4().hex[:10]}"
    sl_engine = open_engine(url, schema=f"{name}_sl")
    hub = open_engine(url, schema=f"{name}_hub")  # a plain engine on a schema of its own
    try:
        yield sl_engine, hub
    finally:
        sl_engine.dispose()
        hub.dispose()
        drop_schema(url, f"{name}_sl")
        drop_schema(url, f"{name}_hub")


@pytest.fixture(name="day", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def day_fixture(
    request: pytest.FixtureRequest, tmp_path: Path, sandbox: tuple[SandboxHandle, MutableClock]
) -> Iterator[Day]:
    """One day's three systems; the SL company and the hub store on SQLite, then PostgreSQL."""
    handle, clock = sandbox
    clock.set(NOON)
    with _databases(request.param, tmp_path) as (sl_engine, hub):
        init_company(sl_engine, today=DAY)
        writer = SLWriter(sl_engine, SL)
        writer.install()
        migrate(hub)
        settings = Settings(
            cybersource=CybersourceSettings(base_url=handle.base_url),
            reconcile=ReconcileSettings(report_dir=tmp_path / "reports", unsettled_after_days=0),
        )
        retry = RetryPolicy(attempts=1)
        client = CybersourceClient(settings.cybersource, clock=clock, retry=retry)
        with signed_client(handle.base_url, handle.config, clock=clock) as cs:
            assert cs.post("/sandbox/reset").status_code == 200
            yield Day(cs, writer, hub, settings, client)
        client.close()
