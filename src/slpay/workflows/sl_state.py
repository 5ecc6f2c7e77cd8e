"""What the workflows read from SL besides the writer's own look-ups (read-only, no locks).

The mapping's lookups (customers, CuryRate, base currency) and the facts that decide which
payment document a capture becomes: is the order invoiced, and are the documents an
application joins released? Every read goes through the SL connector's schema tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy import Engine, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.context import read_gl_setup
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.connectors.dynamics_sl.models import Customer
from slpay.connectors.dynamics_sl.writer import SLWriter
from slpay.mapping.currency import RateQuote
from slpay.mapping.document import Lookups


class WriterDirectory:
    """The mapping's CustomerDirectory over the SL writer's look-ups."""

    def __init__(self, writer: SLWriter) -> None:
        self.writer = writer

    def find_by_id(self, cust_id: str) -> Customer | None:
        return self.writer.find_customer(cust_id=cust_id)

    def find_by_email(self, email: str) -> Customer | None:
        return self.writer.find_customer(email=email)


class CuryRates:
    """The mapping's RateTable over SL's CuryRate."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def rate(
        self, from_currency: str, to_currency: str, rate_type: str, on: date
    ) -> RateQuote | None:
        c = sl.CuryRate.c
        stmt = (
            select(c.Rate, c.MultDiv, c.EffDate)
            .where(c.FromCuryId == from_currency, c.ToCuryId == to_currency)
            .where(c.RateType == rate_type, c.EffDate <= on)
            .order_by(c.EffDate.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        mult_div: Literal["M", "D"] = "D" if read_char(row.MultDiv) == "D" else "M"
        return RateQuote(Decimal(str(row.Rate)), mult_div, row.EffDate.date())


def lookups(writer: SLWriter) -> Lookups:
    """The mapping's view of SL (customers, rates, base currency)."""
    with writer.engine.connect() as conn:
        base = read_char(read_gl_setup(conn)["BaseCuryId"])
    return Lookups(WriterDirectory(writer), CuryRates(writer.engine), base)


@dataclass(frozen=True)
class ARDocState:
    """One AR document as the workflows need it."""

    cust_id: str
    doc_type: str
    ref_nbr: str
    released: bool
    cury_doc_bal: Decimal
    ord_nbr: str


def _state(r: object) -> ARDocState:
    return ARDocState(
        cust_id=read_char(getattr(r, "CustId")),  # noqa: B009
        doc_type=read_char(getattr(r, "DocType")),  # noqa: B009
        ref_nbr=read_char(getattr(r, "RefNbr")),  # noqa: B009
        released=int(getattr(r, "Rlsed")) == 1,  # noqa: B009
        cury_doc_bal=Decimal(str(getattr(r, "CuryDocBal"))),  # noqa: B009
        ord_nbr=read_char(getattr(r, "OrdNbr")),  # noqa: B009
    )


def _cols() -> tuple[object, ...]:
    d = sl.ARDoc.c
    return (d.CustId, d.DocType, d.RefNbr, d.Rlsed, d.CuryDocBal, d.OrdNbr)


def invoices_of(engine: Engine, ord_nbrs: Sequence[str]) -> dict[str, list[ARDocState]]:
    """Invoices (IN) carrying each SL order number, released or not."""
    wanted = sorted({o for o in ord_nbrs if o})
    if not wanted:
        return {}
    d = sl.ARDoc.c
    out: dict[str, list[ARDocState]] = {}
    with engine.connect() as conn:
        for r in conn.execute(select(*_cols()).where(d.DocType == "IN", d.OrdNbr.in_(wanted))):  # type: ignore[call-overload]
            doc = _state(r)
            out.setdefault(doc.ord_nbr, []).append(doc)
    return out


def document(engine: Engine, cust_id: str, doc_type: str, ref_nbr: str) -> ARDocState | None:
    """One AR document by its key."""
    d = sl.ARDoc.c
    stmt = select(*_cols()).where(  # type: ignore[call-overload]
        d.CustId == cust_id, d.DocType == doc_type, d.RefNbr == ref_nbr
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return _state(row) if row is not None else None
