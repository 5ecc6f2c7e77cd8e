"""The SL writer: every document the money map needs, idempotent on business keys.

Each call is one database transaction: the numbering row is locked, the key is looked up in
``slpay_xref`` (a repeat returns the first result, ``created=False``), the document is written
in full and its key recorded - all committed together, or nothing. :meth:`SLWriter.write_payments`
writes a micro-batch of payments in one transaction, keeping per-payment keys and errors.

Errors: :class:`~slpay.errors.ValidationError` (bad input, field named, nothing written),
:class:`~slpay.connectors.dynamics_sl.models.NotReleasedError` (wait for SL users to release),
:class:`~slpay.errors.TransientError` (database unavailable or busy: retry),
:class:`~slpay.errors.PermanentError` (refused: park for an operator).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import (
    credits,
    customers,
    journal,
    memos,
    notes,
    order_batch,
    orders,
    payments,
    xref,
)
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.context import Catalog, Company, read_gl_setup
from slpay.connectors.dynamics_sl.conventions import sl_now
from slpay.connectors.dynamics_sl.db import classify, create_sl_engine, write_transaction
from slpay.connectors.dynamics_sl.faults import FaultSwitch
from slpay.connectors.dynamics_sl.models import (
    CreditApplication,
    Customer,
    CustomerRef,
    ItemResult,
    JournalInput,
    MemoInput,
    NoteInput,
    OrderChange,
    OrderInput,
    PaymentInput,
    SLDocument,
)
from slpay.connectors.dynamics_sl.numbering import lock_ar_setup, lock_gl_setup
from slpay.connectors.dynamics_sl.rows import Audit
from slpay.errors import SlpayError, ValidationError
from slpay.logs import get_logger

log = get_logger(__name__)
Lock = Literal["AR", "GL", "none"]
Work = Callable[[Connection, Company, Audit], SLDocument]


class SLWriter:
    """Writes unreleased SL documents; see the module docstring for the guarantees."""

    def __init__(
        self,
        engine: Engine | str,
        settings: SLSettings | None = None,
        *,
        faults: FaultSwitch | None = None,
    ) -> None:
        self.engine = create_sl_engine(engine) if isinstance(engine, str) else engine
        self.settings = settings or SLSettings()
        self.faults = faults or FaultSwitch(self.settings.fault, self.settings.fault_match)
        self._catalog = Catalog()
        self._installed = False

    # --- setup ------------------------------------------------------------------------------

    def install(self) -> None:
        """Create slpay's own tables in the SL database if missing (once per writer)."""
        if self._installed:
            return
        for attempt in range(3):
            try:
                xref.ensure_slpay_tables(self.engine)
                break
            except SQLAlchemyError as exc:
                # Writers starting together race to create the tables: the losers see
                # "already exists" (or a duplicate counter row) and simply look again.
                if attempt == 2:
                    raise classify(exc, "install") from exc
                time.sleep(0.05 * (attempt + 1))
        self._installed = True

    def _audit(self) -> Audit:
        return Audit(user=self.settings.user, now=sl_now(self.settings.timezone))

    def _company(self, conn: Connection, lock: Lock) -> Company:
        gl = lock_gl_setup(conn) if lock == "GL" else read_gl_setup(conn)
        if lock == "AR":
            ar = lock_ar_setup(conn)
        else:
            row = conn.execute(select(sl.ARSetup).where(sl.ARSetup.c.SetupId == "AR")).first()
            ar = dict(row._mapping) if row is not None else {}
        return Company(self.settings, self._catalog, gl, ar, datetime.now(UTC))

    # --- the one transaction runner ---------------------------------------------------------

    def _single(self, operation: str, key: str, lock: Lock, work: Work) -> SLDocument:
        xref.check_key(key)
        self.faults.check_write(operation, key)
        self.install()
        for attempt in (1, 2):
            try:
                with write_transaction(self.engine) as conn:
                    company = self._company(conn, lock)
                    found = xref.find(conn, [key]).get(key)
                    if found is not None:
                        return found
                    doc = work(conn, company, self._audit())
                    xref.record(conn, [doc])
                log.info(
                    "sl.written",
                    operation=operation,
                    key=key,
                    batnbr=doc.bat_nbr,
                    doctype=doc.doc_type,
                    refnbr=doc.ref_nbr,
                    ordnbr=doc.ord_nbr,
                )
                return doc
            except IntegrityError as exc:
                # A concurrent writer recorded the same key first: the retry returns its result.
                if attempt == 2:
                    raise classify(exc, operation) from exc
            except SQLAlchemyError as exc:
                raise classify(exc, operation) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # --- documents --------------------------------------------------------------------------

    def write_payment(self, payment: PaymentInput) -> SLDocument:
        """One card receipt (PP, or PA with U rows) in its own 08.030 batch."""
        (result,) = self._batched("write_payment", [payment], payments.write_payments, atomic=True)
        if result.error is not None:
            raise result.error
        assert result.document is not None
        return result.document

    def write_payments(self, items: Sequence[PaymentInput]) -> list[ItemResult]:
        """Many payments in one transaction; per-item results (document or error), in order."""
        return self._batched("write_payments", items, payments.write_payments)

    def write_memos(self, items: Sequence[MemoInput]) -> list[SLDocument]:
        """08.010 memos, one batch per currency and period; all written or none."""
        results = self._batched("write_memos", items, memos.write_memos, atomic=True)
        errors = [r.error for r in results if r.error is not None]
        if errors:
            # The refused memo's own error, not the "skipped with it" of its companions.
            raise min(errors, key=lambda e: isinstance(e, _Skipped))
        return [r.document for r in results if r.document is not None]

    def write_memo(self, memo: MemoInput) -> SLDocument:
        """One 08.010 credit or debit memo."""
        return self.write_memos([memo])[0]

    def apply_credit(self, app: CreditApplication) -> SLDocument:
        """Apply a released PP/PA/CM to released IN/DM documents, in its own batch."""
        return self._single(
            "apply_credit", app.key, "AR", lambda c, co, a: credits.apply_credit(c, co, a, app)
        )

    def write_journal(self, item: JournalInput) -> SLDocument:
        """An 01.010 GL journal batch."""
        journal.check_journal(item)
        return self._single(
            "write_journal", item.key, "GL", lambda c, co, a: journal.write_journal(c, co, a, item)
        )

    def write_order(self, item: OrderInput) -> SLDocument:
        """A sales order (SOHeader + SOLine)."""
        orders.check_order(item)
        return self._single(
            "write_order", item.key, "none", lambda c, co, a: orders.write_order(c, co, a, item)
        )

    def write_orders(self, items: Sequence[OrderInput]) -> list[ItemResult]:
        """Many sales orders in one transaction (a micro-batch); per-item results, in order.

        One lock, one block of order numbers and a few statements for the whole batch; a
        refused order fails alone (see :mod:`~slpay.connectors.dynamics_sl.order_batch`)."""
        return self._batched("write_orders", items, order_batch.write_orders)

    def change_order(self, change: OrderChange) -> SLDocument:
        """Hold, cancel, relabel an order or set its authorization code."""
        return self._single(
            "change_order",
            change.key,
            "none",
            lambda c, co, a: orders.change_order(c, co, a, change),
        )

    def add_note(self, note: NoteInput) -> SLDocument:
        """A note for SL users on a document."""
        return self._single(
            "add_note", note.key, "none", lambda c, co, a: notes.add_note(c, a, co.cpny_id, note)
        )

    # --- batched runner ---------------------------------------------------------------------

    def _batched(
        self,
        operation: str,
        items: Sequence[Any],
        write: Callable[[Connection, Company, Audit, list[Any]], list[ItemResult]],
        *,
        atomic: bool = False,
    ) -> list[ItemResult]:
        self.faults.check_available(operation)
        results: dict[str, ItemResult] = {}
        todo: list[Any] = []
        queued: set[str] = set()
        for item in items:
            if item.key in results or item.key in queued:
                continue  # the same key twice in one call: one document, one result
            try:
                xref.check_key(item.key)
                self.faults.check_write(operation, item.key)
            except SlpayError as exc:
                results[item.key] = ItemResult(item.key, error=exc)
                continue
            todo.append(item)
            queued.add(item.key)
        if atomic and results:
            return [results.get(i.key) or ItemResult(i.key, error=_skipped()) for i in items]
        if todo:
            self.install()
            try:
                results.update(self._write_batch(operation, todo, write, atomic))
            except _Refused as refused:
                results.update(refused.results)
            except SQLAlchemyError as exc:
                raise classify(exc, operation) from exc
        return [results[i.key] for i in items]

    def _write_batch(
        self,
        operation: str,
        todo: list[Any],
        write: Callable[[Connection, Company, Audit, list[Any]], list[ItemResult]],
        atomic: bool,
    ) -> dict[str, ItemResult]:
        out: dict[str, ItemResult] = {}
        with write_transaction(self.engine) as conn:
            company = self._company(conn, "AR")
            found = xref.find(conn, [t.key for t in todo])
            out.update({k: ItemResult(k, document=d) for k, d in found.items()})
            new = [t for t in todo if t.key not in found]
            if new:
                written = write(conn, company, self._audit(), new)
                if atomic and any(r.error for r in written):
                    # Raising rolls the whole transaction back: all or nothing.
                    raise _Refused(
                        {
                            r.key: r if r.error else ItemResult(r.key, error=_skipped())
                            for r in written
                        }
                    )
                xref.record(conn, [r.document for r in written if r.document is not None])
                out.update({r.key: r for r in written})
        log.info(
            "sl.batch_written",
            operation=operation,
            items=len(todo),
            new=sum(1 for r in out.values() if r.document and r.document.created),
            refused=sum(1 for r in out.values() if r.error),
        )
        return out

    # --- look-ups ---------------------------------------------------------------------------

    def lookup(self, key: str) -> SLDocument | None:
        """The document written under a business key, if any."""
        self.faults.check_available("lookup")
        self.install()
        try:
            with self.engine.connect() as conn:
                return xref.find(conn, [key]).get(key)
        except SQLAlchemyError as exc:
            raise classify(exc, "lookup") from exc

    def ensure_customer(self, ref: CustomerRef) -> Customer:
        """Find the customer by CustId or e-mail, creating it from the e-mail if missing."""
        self.faults.check_available("ensure_customer")
        self.install()
        try:
            with write_transaction(self.engine) as conn:
                company = self._company(conn, "none")
                return customers.resolve(conn, company, ref, self._audit())
        except SQLAlchemyError as exc:
            raise classify(exc, "ensure_customer") from exc

    def find_customers(self, cust_ids: Sequence[str]) -> dict[str, Customer]:
        """SL customers by CustId, in one query (a micro-batch's payments)."""
        self.faults.check_available("find_customers")
        try:
            with self.engine.connect() as conn:
                return customers.by_ids(conn, sorted({c.strip() for c in cust_ids if c}))
        except SQLAlchemyError as exc:
            raise classify(exc, "find_customers") from exc

    def find_customers_by_email(self, emails: Sequence[str]) -> dict[str, Customer]:
        """SL customers by e-mail (lower-cased key), in one query (a micro-batch's mapping)."""
        self.faults.check_available("find_customers_by_email")
        try:
            with self.engine.connect() as conn:
                return customers.by_emails(conn, list(emails))
        except SQLAlchemyError as exc:
            raise classify(exc, "find_customers_by_email") from exc

    def find_customer(
        self, *, cust_id: str | None = None, email: str | None = None
    ) -> Customer | None:
        """An SL customer by CustId or e-mail."""
        self.faults.check_available("find_customer")
        try:
            with self.engine.connect() as conn:
                return customers.find(conn, CustomerRef(cust_id=cust_id, email=email))
        except SQLAlchemyError as exc:
            raise classify(exc, "find_customer") from exc


class _Refused(Exception):
    """An atomic batch had a refused item: roll back, report every item."""

    def __init__(self, results: dict[str, ItemResult]) -> None:
        super().__init__("batch refused")
        self.results = results


class _Skipped(ValidationError):
    """Not written because another item of an all-or-nothing batch was refused."""


def _skipped() -> SlpayError:
    return _Skipped("not written: another document of the same batch was refused")
