"""GET /tss/v2/transactions/{id}, POST /tss/v2/searches, GET /tss/v2/searches/{searchId}.

The search query is the Lucene-like subset real integrations use: ``field:value`` terms
joined by ``AND``; a trailing ``*`` on a value matches a prefix; ``submitTimeUtc:[X TO Y]``
(``{``/``}`` for exclusive bounds) where X and Y are ISO date-times/dates, ``*``, or date
math on ``NOW`` such as ``NOW/DAY-7DAYS`` and ``NOW/DAY+1DAY`` (evaluated in UTC).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select

from . import fields, ledger
from .asgi import Request, Response, Router
from .core import Sandbox
from .store import saved_searches, stamp, transactions
from .tss_shapes import summary, transaction_details
from .wire import CsError, bad_field, dumps, not_found, utc_z

MAX_LIMIT = 2500
_COLUMNS = {
    "id": transactions.c.id,
    "rootId": transactions.c.root_id,
    "status": transactions.c.status,
    "reconciliationId": transactions.c.reconciliation_id,
    "clientReferenceInformation.code": transactions.c.code,
    "clientReferenceInformation.transactionId": transactions.c.client_txn_id,
}
_TERM = re.compile(r"^\s*([\w.]+)\s*:\s*(.+?)\s*$")
_RANGE = re.compile(r"^([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])$", re.IGNORECASE)
_MATH = re.compile(r"(/|[+-]\d+)(YEAR|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND)S?", re.IGNORECASE)
_UNITS = {"WEEK": timedelta(weeks=1), "DAY": timedelta(days=1), "HOUR": timedelta(hours=1),
          "MINUTE": timedelta(minutes=1), "SECOND": timedelta(seconds=1)}  # fmt: skip


class QueryError(ValueError):
    pass


def _round(dt: datetime, unit: str) -> datetime:
    if unit == "YEAR":
        return dt.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "MONTH":
        return dt.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit in ("DAY", "WEEK"):
        return dt.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "HOUR":
        return dt.replace(minute=0, second=0, microsecond=0)
    if unit == "MINUTE":
        return dt.replace(second=0, microsecond=0)
    return dt.replace(microsecond=0)


def parse_when(value: str, now: datetime) -> datetime | None:
    """A range bound: ``*`` (open), an ISO date or date-time, or ``NOW`` with date math."""
    v = value.strip().strip('"')
    if v == "*":
        return None
    if v.upper().startswith("NOW"):
        dt, rest = now, v[3:]
        while rest:
            m = _MATH.match(rest)
            if m is None:
                raise QueryError(f"bad date math: {value}")
            op, unit = m.group(1), m.group(2).upper()
            if op == "/":
                dt = _round(dt, unit)
            elif unit in ("YEAR", "MONTH"):
                months = dt.month - 1 + int(op) * (12 if unit == "YEAR" else 1)
                dt = dt.replace(year=dt.year + months // 12, month=months % 12 + 1)
            else:
                dt = dt + int(op) * _UNITS[unit]
            rest = rest[m.end() :]
        return dt
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"bad date: {value}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def conditions(query: str, now: datetime) -> list[ColumnElement[bool]]:
    """Translate the query into SQL conditions (QueryError when it is not understood)."""
    conds: list[ColumnElement[bool]] = []
    for term in re.split(r"\s+AND\s+", query.strip(), flags=re.IGNORECASE):
        m = _TERM.match(term)
        if m is None:
            raise QueryError(f"not a field:value term: {term}")
        name, value = m.group(1), m.group(2)
        if name in ("submitTimeUtc", "submitTimeUTC"):
            r = _RANGE.match(value)
            if r is None:
                raise QueryError("submitTimeUtc needs a range [X TO Y]")
            low, high = parse_when(r.group(2), now), parse_when(r.group(3), now)
            col = transactions.c.submit_time
            if low is not None:
                conds.append(col >= stamp(low) if r.group(1) == "[" else col > stamp(low))
            if high is not None:
                conds.append(col <= stamp(high) if r.group(4) == "]" else col < stamp(high))
            continue
        if name == "merchantId":
            continue  # one merchant per sandbox
        column = _COLUMNS.get(name)
        if column is None:
            raise QueryError(f"unsupported field: {name}")
        value = value.strip('"')
        conds.append(column.like(value[:-1] + "%") if value.endswith("*") else column == value)
    return conds


class Tss:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def register(self, r: Router) -> None:
        r.add("GET", "/tss/v2/transactions/{id}", self.details)
        r.add("POST", "/tss/v2/searches", self.search)
        r.add("GET", "/tss/v2/searches/{searchId}", self.saved)

    def details(self, req: Request) -> Response:
        with self.sb.work() as conn:
            txn = ledger.get(conn, req.params["id"])
            if txn is None:
                raise not_found(self.sb.now(), "The requested transaction was not found")
            # Only the ids of the related transactions are shown: reading whole rows (JSON
            # columns decoded) for them was a third of this hot endpoint's time.
            chain = conn.execute(
                select(transactions.c.id)
                .where(transactions.c.root_id == txn.root_id)
                .order_by(transactions.c.submit_time, transactions.c.id)
            ).scalars()
            related = [t for t in chain if t != txn.id]
            balance = None
            if txn.kind in ledger.PURCHASES:
                # refundBalance (SDK 0.0.80's TSS amountDetails): what may still be refunded
                # against this capture or sale; the chain is read whole only when it has more.
                links = ledger.chain(conn, txn.root_id) if related else [txn]
                balance = max(ledger.refundable(links, txn), Decimal(0))
        body = transaction_details(txn, self.sb.config.merchant_id, related, balance)
        return Response(200, dumps(body))

    def search(self, req: Request) -> Response:
        try:
            return self._run(req.json(), None)
        except CsError as exc:
            # TSS's 400 has no top-level "reason" (spec: submitTimeUtc, status, message, details).
            if exc.status == 400:
                exc.body.pop("reason", None)
            raise

    def saved(self, req: Request) -> Response:
        with self.sb.work() as conn:
            row = conn.execute(
                select(saved_searches).where(saved_searches.c.search_id == req.params["searchId"])
            ).first()
        if row is None:
            raise not_found(self.sb.now(), "The requested search was not found")
        # SDK 0.0.80 declares 201 for this GET (the 2020 spec said 200, with fewer fields).
        return self._run(json.loads(row.request), req.params["searchId"])

    def _run(self, body: dict[str, Any], search_id: str | None) -> Response:
        now = self.sb.now()
        query = fields.text(body, "query", now, required=True, max_len=2000) or ""
        limit, offset = body.get("limit", 20), body.get("offset", 0)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise bad_field(now, "limit", f"limit must be between 1 and {MAX_LIMIT}")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise bad_field(now, "offset")
        sort = fields.text(body, "sort", now) or "submitTimeUtc:desc"
        sort_field, _, direction = sort.partition(":")
        sort_col = transactions.c.id if sort_field.strip() == "id" else transactions.c.submit_time
        order = sort_col.asc() if direction.strip().lower() == "asc" else sort_col.desc()
        try:
            conds = conditions(query, now)
        except QueryError as exc:
            raise bad_field(now, "query", str(exc)) from None
        with self.sb.work() as conn:
            page = ledger.query(
                conn,
                select(transactions)
                .where(*conds)
                .order_by(order, transactions.c.id)
                .limit(limit)
                .offset(offset),
            )
            total = conn.execute(
                select(func.count()).select_from(transactions).where(*conds)
            ).scalar_one()
            if search_id is None:
                search_id = str(uuid.uuid4())
                if body.get("save") is True:
                    conn.execute(
                        saved_searches.insert().values(
                            search_id=search_id, request=json.dumps(body)
                        )
                    )
        out: dict[str, Any] = {
            "searchId": search_id,
            "save": body.get("save") is True,
            "name": str(body.get("name", "")),
            "timezone": str(body.get("timezone", "UTC")),
            "query": query,
            "offset": offset,
            "limit": limit,
            "sort": sort,
            "count": len(page),
            "totalCount": total,
            "submitTimeUtc": utc_z(now),
            "_embedded": {
                "transactionSummaries": [summary(t, self.sb.config.merchant_id) for t in page]
            },
            "_links": {"self": {"href": f"/tss/v2/searches/{search_id}", "method": "GET"}},
        }
        return Response(201, dumps(out))
