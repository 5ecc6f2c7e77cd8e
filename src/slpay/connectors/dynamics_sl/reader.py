"""The SL signals slpay polls for (DESIGN.md, "SL signals read by polling").

* ``shipped`` - an SOShipHeader of an order with ShippingConfirmed = 1;
* ``invoiced`` - a released ARDoc IN carrying the order's OrdNbr;
* ``cancelled`` - SOHeader.Cancelled = 1;
* ``released`` - Rlsed = 1 on a document or batch slpay wrote (Crtd_Prog ``SLPAY``);
* ``card_refund`` - a released CM flagged in the configured ARDoc field (``User1 =
  'CARDREFUND'`` by default) with the order number in OrdNbr or CustOrdNbr;
* ``customer_changed`` - a Customer row updated by someone other than slpay.

LUpd_DateTime is SMALLDATETIME (minute precision, SL's local time), so each poll re-reads an
overlapping window and drops the keys it has already returned (:class:`Watermark`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, or_, select
from sqlalchemy.exc import SQLAlchemyError

from slpay.config import SLSettings
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import read_char, read_datetime, to_sl_datetime
from slpay.connectors.dynamics_sl.db import classify
from slpay.connectors.dynamics_sl.faults import FaultSwitch
from slpay.connectors.dynamics_sl.rows import PROG
from slpay.connectors.dynamics_sl.sqltypes import ROWVERSION

SignalKind = Literal[
    "shipped", "invoiced", "cancelled", "released", "card_refund", "customer_changed"
]


@dataclass(frozen=True)
class SLSignal:
    """Something SL users did that slpay reacts to; ``key`` is stable across polls."""

    kind: SignalKind
    key: str
    changed_at: datetime
    cpny_id: str = ""
    ord_nbr: str = ""
    cust_ord_nbr: str = ""
    cust_id: str = ""
    module: str = ""
    bat_nbr: str = ""
    doc_type: str = ""
    ref_nbr: str = ""
    cury_id: str = ""
    #: Document amount in its currency, as SL's FLOAT (convert with the currency's places).
    amount: float = 0.0
    cyber_id: str = ""


@dataclass(frozen=True)
class Watermark:
    """Where polling stands: the newest LUpd_DateTime seen and the keys already returned."""

    since: datetime
    seen: frozenset[str] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "seen": sorted(self.seen)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Watermark:
        return cls(datetime.fromisoformat(data["since"]), frozenset(data.get("seen", ())))


class SLReader:
    """Reads SL signals since a watermark."""

    def __init__(
        self,
        engine: Engine,
        settings: SLSettings | None = None,
        *,
        faults: FaultSwitch | None = None,
        overlap: timedelta = timedelta(minutes=2),
    ) -> None:
        self.engine = engine
        self.settings = settings or SLSettings()
        self.faults = faults or FaultSwitch(self.settings.fault, self.settings.fault_match)
        self.overlap = overlap

    def poll(self, mark: Watermark | None = None) -> tuple[list[SLSignal], Watermark]:
        """New signals since ``mark`` (all of them when None) and the next watermark."""
        since = mark.since if mark is not None else datetime(1900, 1, 2, tzinfo=UTC)
        seen = mark.seen if mark is not None else frozenset()
        signals = self.read(since - self.overlap)
        fresh = [s for s in signals if s.key not in seen]
        newest = max([since, *(s.changed_at for s in signals)])
        # Only rows inside the next overlap window can be read again: remember just those.
        keep = frozenset(s.key for s in signals if s.changed_at >= newest - self.overlap)
        return fresh, Watermark(newest, keep)

    def read(self, since: datetime) -> list[SLSignal]:
        """Every signal whose row changed at or after ``since`` (aware), oldest first."""
        self.faults.check_available("read_signals")
        after = to_sl_datetime(since, self.settings.timezone)
        try:
            with self.engine.connect() as conn:
                out = [
                    *self._shipped(conn, after),
                    *self._invoiced(conn, after),
                    *self._cancelled(conn, after),
                    *self._released(conn, after),
                    *self._card_refunds(conn, after),
                    *self._customers(conn, after),
                ]
        except SQLAlchemyError as exc:
            raise classify(exc, "read_signals") from exc
        return sorted(out, key=lambda s: (s.changed_at, s.key))

    def _at(self, value: datetime) -> datetime:
        return read_datetime(value, self.settings.timezone) or datetime(1900, 1, 1, tzinfo=UTC)

    def _shipped(self, conn: Connection, after: datetime) -> Iterator[SLSignal]:
        h = sl.SOShipHeader.c
        stmt = select(h.CpnyID, h.ShipperID, h.OrdNbr, h.CustID, h.LUpd_DateTime).where(
            h.ShippingConfirmed == 1, h.LUpd_DateTime >= after
        )
        for r in conn.execute(stmt):
            cpny, shipper = read_char(r.CpnyID), read_char(r.ShipperID)
            yield SLSignal(
                "shipped",
                f"shipped:{cpny}:{shipper}",
                self._at(r.LUpd_DateTime),
                cpny_id=cpny,
                ord_nbr=read_char(r.OrdNbr),
                cust_id=read_char(r.CustID),
                ref_nbr=shipper,
            )

    def _doc_signal(self, kind: SignalKind, key: str, r: Any) -> SLSignal:
        return SLSignal(
            kind,
            key,
            self._at(r.LUpd_DateTime),
            cpny_id=read_char(r.CpnyID),
            ord_nbr=read_char(r.OrdNbr),
            cust_ord_nbr=read_char(r.CustOrdNbr),
            cust_id=read_char(r.CustId),
            module="AR",
            bat_nbr=read_char(r.BatNbr),
            doc_type=read_char(r.DocType),
            ref_nbr=read_char(r.RefNbr),
            cury_id=read_char(r.CuryId),
            amount=float(r.CuryOrigDocAmt),
            cyber_id=read_char(getattr(r, self.settings.ardoc_cyber_field)),
        )

    def _docs(self, conn: Connection, after: datetime, *where: Any) -> Any:
        d = sl.ARDoc.c
        cols = (
            d.CpnyID,
            d.OrdNbr,
            d.CustOrdNbr,
            d.CustId,
            d.BatNbr,
            d.DocType,
            d.RefNbr,
            d.CuryId,
            d.CuryOrigDocAmt,
            d.LUpd_DateTime,
            d[self.settings.ardoc_cyber_field],
        )
        return conn.execute(select(*cols).where(d.Rlsed == 1, d.LUpd_DateTime >= after, *where))

    def _invoiced(self, conn: Connection, after: datetime) -> Iterator[SLSignal]:
        d = sl.ARDoc.c
        for r in self._docs(conn, after, d.DocType == "IN", d.OrdNbr != " ", d.OrdNbr != ""):
            key = f"invoiced:{read_char(r.CustId)}:{read_char(r.RefNbr)}"
            yield self._doc_signal("invoiced", key, r)

    def _card_refunds(self, conn: Connection, after: datetime) -> Iterator[SLSignal]:
        d, s = sl.ARDoc.c, self.settings
        flagged = d[s.card_refund_field] == s.card_refund_value
        has_order = or_(d.OrdNbr.notin_(["", " "]), d.CustOrdNbr.notin_(["", " "]))
        for r in self._docs(conn, after, d.DocType == "CM", flagged, has_order):
            key = f"card_refund:{read_char(r.CustId)}:{read_char(r.RefNbr)}"
            yield self._doc_signal("card_refund", key, r)

    def _released(self, conn: Connection, after: datetime) -> Iterator[SLSignal]:
        d = sl.ARDoc.c
        for r in self._docs(conn, after, d.Crtd_Prog == PROG):
            key = f"released:AR:{read_char(r.BatNbr)}:{read_char(r.DocType)}:{read_char(r.RefNbr)}"
            yield self._doc_signal("released", key, r)
        b = sl.Batch.c
        stmt = select(b.Module, b.BatNbr, b.CpnyID, b.CuryId, b.CuryCtrlTot, b.LUpd_DateTime).where(
            b.Rlsed == 1, b.Crtd_Prog == PROG, b.LUpd_DateTime >= after
        )
        for r in conn.execute(stmt):
            module, bat = read_char(r.Module), read_char(r.BatNbr)
            yield SLSignal(
                "released",
                f"released:{module}:{bat}",
                self._at(r.LUpd_DateTime),
                cpny_id=read_char(r.CpnyID),
                module=module,
                bat_nbr=bat,
                cury_id=read_char(r.CuryId),
                amount=float(r.CuryCtrlTot),
            )

    def _cancelled(self, conn: Connection, after: datetime) -> Iterator[SLSignal]:
        h = sl.SOHeader.c
        stmt = select(h.CpnyID, h.OrdNbr, h.CustOrdNbr, h.CustID, h.LUpd_DateTime).where(
            h.Cancelled == 1, h.LUpd_DateTime >= after
        )
        for r in conn.execute(stmt):
            cpny, ordnbr = read_char(r.CpnyID), read_char(r.OrdNbr)
            yield SLSignal(
                "cancelled",
                f"cancelled:{cpny}:{ordnbr}",
                self._at(r.LUpd_DateTime),
                cpny_id=cpny,
                ord_nbr=ordnbr,
                cust_ord_nbr=read_char(r.CustOrdNbr),
                cust_id=read_char(r.CustID),
            )

    def _customers(self, conn: Connection, after: datetime) -> Iterator[SLSignal]:
        c = sl.Customer.c
        cols = [col for col in sl.Customer.columns if not col.info.get(ROWVERSION)]
        stmt = select(*cols).where(c.LUpd_DateTime >= after, c.LUpd_Prog != PROG)
        for r in conn.execute(stmt):
            cust, at = read_char(r.CustId), self._at(r.LUpd_DateTime)
            # Two edits within one minute share LUpd_DateTime: the content tells them apart.
            digest = hashlib.sha256(repr(tuple(r)).encode()).hexdigest()[:16]
            yield SLSignal(
                "customer_changed", f"customer:{cust}:{at:%Y%m%d%H%M}:{digest}", at, cust_id=cust
            )
