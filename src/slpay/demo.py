"""``slpay demo``: the main job, run against the embedded Cybersource sandbox.

It starts the sandbox (``DIR/cybersource.db``), then drives a short payment lifecycle through
slpay's own Cybersource connector, exactly as the hub will: Microform transient tokens (no card
number in slpay), authorization, partial capture, partial refund, a sale, a decline, Decision
Manager reviews accepted and rejected, a reversal, the day's batch close, and the next day's
Payment Batch Detail report and net funding. It prints what happened (``--json``: one object).
Without ``--once`` the sandbox stays up, with its credentials printed, until Ctrl-C.
"""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from slpay.config import load_settings
from slpay.connectors.cybersource import CybersourceClient, build_authorize_request
from slpay.connectors.cybersource.models.common import Address, LineItem
from slpay.connectors.cybersource.reports import parse_payment_batch_detail
from slpay.domain.money import Money
from slpay.logs import bind_correlation_id, configure_logging, get_logger
from slpay.sandbox.cybersource.config import SandboxConfig
from slpay.sandbox.cybersource.server import SandboxHandle, run_in_thread
from slpay.sandbox.cybersource.shopper import transient_token

DEFAULT_WORKDIR = Path(".slpay-demo")
BATCH_DETAIL = "PaymentBatchDetailReport"


@dataclass
class Event:
    """One thing that happened, as the summary prints it."""

    order: str
    operation: str
    status: str
    amount: str
    transaction_id: str
    note: str = ""


@dataclass
class Summary:
    events: list[Event] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    settlement: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        order: str,
        operation: str,
        status: str | None,
        amount: Money | None,
        transaction_id: str | None,
        note: str = "",
    ) -> None:
        self.events.append(
            Event(order, operation, status or "?", str(amount or ""), transaction_id or "", note)
        )
        self.counts[operation] = self.counts.get(operation, 0) + 1


def _bill_to(line1: str, email: str) -> Address:
    return Address(
        first_name="Ada",
        last_name="Lovelace",
        address1=line1,
        locality="London",
        postal_code="SE1 9RA",
        country="GB",
        email=email,
    )


def _lines(*items: tuple[str, str, int, str]) -> list[LineItem]:
    return [
        LineItem(
            product_code="default",
            product_name=name,
            product_sku=sku,
            quantity=qty,
            unit_price=Decimal(price),
        )
        for name, sku, qty, price in items
    ]


def _scenario(cs: CybersourceClient, base_url: str, out: Summary) -> None:
    usd = "USD"
    with bind_correlation_id(order="WEB-1001"):
        # Order 1: authorize, ship part of it (partial capture), refund one item.
        auth = cs.authorize(
            build_authorize_request(
                Money.of("125.50", usd),
                code="WEB-1001",
                transient_token=transient_token(base_url),
                bill_to=_bill_to("1 London Bridge", "ada@example.com"),
                line_items=_lines(
                    ("Espresso machine", "ESP-1", 1, "99.50"), ("Descaler", "DSC-2", 2, "13.00")
                ),
            )
        )
        out.add("WEB-1001", "authorize", auth.status, Money.of("125.50", usd), auth.id)
        cap = cs.capture(auth.id or "", Money.of("99.50", usd), code="WEB-1001")
        out.add("WEB-1001", "capture", cap.status, cap.amount, cap.id, "partial: first shipment")
        ref = cs.refund_capture(cap.id or "", Money.of("20.00", usd), code="WEB-1001")
        out.add("WEB-1001", "refund", ref.status, ref.amount, ref.id, "partial refund")
        details = cs.get_transaction(auth.id or "")
        out.add(
            "WEB-1001", "details", details.status, None, details.id, "transaction details read back"
        )
    with bind_correlation_id(order="WEB-1002"):
        sale = cs.authorize(
            build_authorize_request(
                Money.of("49.99", usd),
                code="WEB-1002",
                capture=True,
                transient_token=transient_token(base_url, "mastercard"),
                bill_to=_bill_to("1 London Bridge", "grace@example.com"),
            )
        )
        out.add(
            "WEB-1002",
            "sale",
            sale.status,
            Money.of("49.99", usd),
            sale.id,
            "authorize + capture in one call",
        )
    with bind_correlation_id(order="WEB-1003"):
        declined = cs.authorize(
            build_authorize_request(
                Money.of("3001.00", usd),
                code="WEB-1003",
                transient_token=transient_token(base_url),
            )
        )
        out.add(
            "WEB-1003",
            "authorize",
            declined.status,
            Money.of("3001.00", usd),
            declined.id,
            f"declined: {declined.decline_reason}",
        )
    for order, line1, accept in (
        ("WEB-1004", "2 London Bridge", True),
        ("WEB-1005", "2 London Bridge", False),
    ):
        with bind_correlation_id(order=order):
            review = cs.authorize(
                build_authorize_request(
                    Money.of("310.00", usd),
                    code=order,
                    transient_token=transient_token(base_url),
                    bill_to=_bill_to(line1, "review@example.com"),
                )
            )
            out.add(
                order,
                "authorize",
                review.status,
                Money.of("310.00", usd),
                review.id,
                "Decision Manager review",
            )
            action = cs.decision_action(
                review.id or "", accept=accept, comments="analyst decision (demo)"
            )
            out.add(
                order,
                "accept" if accept else "reject",
                action.status,
                None,
                action.id,
                "accepted and captured" if accept else "rejected and reversed",
            )
    with bind_correlation_id(order="WEB-1006"):
        rejected = cs.authorize(
            build_authorize_request(
                Money.of("75.00", usd),
                code="WEB-1006",
                transient_token=transient_token(base_url),
                bill_to=_bill_to("3 London Bridge", "mallory@example.com"),
            )
        )
        out.add(
            "WEB-1006",
            "authorize",
            rejected.status,
            Money.of("75.00", usd),
            rejected.id,
            "Decision Manager reject",
        )
    with bind_correlation_id(order="WEB-1007"):
        auth7 = cs.authorize(
            build_authorize_request(
                Money.of("18.00", usd),
                code="WEB-1007",
                transient_token=transient_token(base_url, "amex"),
            )
        )
        out.add("WEB-1007", "authorize", auth7.status, Money.of("18.00", usd), auth7.id)
        rev = cs.reverse(auth7.id or "", Money.of("18.00", usd), code="WEB-1007")
        out.add("WEB-1007", "reversal", rev.status, rev.amount, rev.id, "order cancelled")


def _settle(cs: CybersourceClient, base_url: str, out: Summary) -> None:
    today = datetime.now(UTC).date()
    closed = httpx.post(
        f"{base_url}/sandbox/close-day", json={"date": today.isoformat()}, timeout=10.0
    ).json()
    report = parse_payment_batch_detail(cs.download_report(today + timedelta(days=1), BATCH_DETAIL))
    start = datetime.combine(today, time.min, tzinfo=UTC)
    funding = cs.net_fundings(start, start + timedelta(days=1))
    per_currency = {}
    for cur in funding.currencies():
        per_currency[cur] = {
            name: str(funding.total(name, cur) or "")
            for name in ("purchases", "refunds", "chargebacks", "fees", "net")
        }
    out.settlement = {
        "batch_date": today.isoformat(),
        "batch": closed,
        "report_rows": len(report.rows),
        "report_total": str(sum((r.amount.amount for r in report.rows), Decimal(0))),
        "net_funding": per_currency,
    }


def _print(out: Summary, handle: SandboxHandle, console: Console) -> None:
    table = Table(title="Payment lifecycle through slpay's Cybersource connector")
    for col in ("order", "operation", "status", "amount", "transaction id", "note"):
        table.add_column(col)
    for e in out.events:
        table.add_row(e.order, e.operation, e.status, e.amount, e.transaction_id, e.note)
    console.print(table)
    s = out.settlement
    console.print(
        f"Batch closed for {s['batch_date']}: Payment Batch Detail report has "
        f"{s['report_rows']} rows totalling {s['report_total']}."
    )
    for cur, totals in s["net_funding"].items():
        console.print(f"Net funding {cur}: " + ", ".join(f"{k} {v}" for k, v in totals.items()))


def _date_default(value: object) -> str:
    if isinstance(value, date | datetime | Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def run_demo(*, once: bool, json_out: bool, workdir: Path | None) -> int:
    """Run the demo; returns the process exit code."""
    wd = workdir or DEFAULT_WORKDIR
    wd.mkdir(parents=True, exist_ok=True)
    db = wd / "cybersource.db"
    for stale in (db, wd / "cybersource.db-wal", wd / "cybersource.db-shm"):
        stale.unlink(missing_ok=True)
    shutil.rmtree(wd / "logs", ignore_errors=True)
    settings = load_settings()
    configure_logging(settings.log.level, file=wd / "logs" / "slpay.log", stream=None)
    log = get_logger("slpay.demo")
    console = Console(stderr=json_out)
    if not console.is_terminal:
        console = Console(stderr=json_out, width=160)
    handle = run_in_thread(SandboxConfig(db_url=f"sqlite:///{db}"))
    summary = Summary()
    try:
        cs_settings = settings.cybersource.model_copy(update={"base_url": handle.base_url})
        with CybersourceClient(cs_settings) as cs:
            _scenario(cs, handle.base_url, summary)
            _settle(cs, handle.base_url, summary)
        log.info("demo_finished", events=len(summary.events))
        if json_out:
            print(
                json.dumps(
                    {
                        "events": [asdict(e) for e in summary.events],
                        "counts": summary.counts,
                        "settlement": summary.settlement,
                    },
                    default=_date_default,
                )
            )
        else:
            _print(summary, handle, console)
        if not once:
            console.print(
                f"\nCybersource sandbox still up at {handle.base_url} (merchant "
                f"{settings.cybersource.merchant_id}, key {settings.cybersource.key_id}); "
                "Ctrl-C to stop."
            )
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0
