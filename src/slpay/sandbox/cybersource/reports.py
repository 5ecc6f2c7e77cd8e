"""Reporting endpoints (FACTS §9): report downloads (Payment Batch Detail CSV), net fundings,
payment batch summaries, chargeback details.

``reportDate`` is the day *after* the batch date (a midnight-to-midnight report for D is
fetched with reportDate=D+1); before the day is closed the report is 404.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from . import ledger, settlement
from .asgi import Request, Response, Router
from .core import Sandbox
from .settlement import q, sub_type
from .store import chargebacks
from .wire import CARD_TYPES, CsError, dumps, iso_ms, reporting_not_found, utc_z

TOTALS = ("totalPurchases", "totalRefunds", "totalFees", "totalChargebacks", "netTotal")
COLUMNS = (
    "batch_id,merchant_id,batch_date,request_id,merchant_ref_number,trans_ref_no,"
    "payment_method,currency,amount,transaction_type"
)


def _bad_query(now: datetime, name: str) -> CsError:
    return CsError(
        400,
        {
            "submitTimeUtc": utc_z(now),
            "reason": "INVALID_DATA",
            "message": f"{name} is missing or invalid",
            "details": [{"field": name, "reason": "INVALID_DATA"}],
        },
    )


def _summary(kind: str, sub: str, count: int, amount: Decimal, currency: str) -> dict[str, Any]:
    """One ``netFundingSummaries[]`` entry (everything conveyed is settled and funded here)."""
    return {
        "type": kind,
        "paymentSubType": sub,
        "conveyedCount": count,
        "conveyedAmount": str(amount),
        "settledCount": count,
        "fundedCount": count,
        "fundedAmount": str(amount),
        "currencyCode": currency,
    }


def _csv(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ',"\n') else value


class Reports:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def register(self, r: Router) -> None:
        r.add("GET", "/reporting/v3/report-downloads", self.download)
        r.add("GET", "/reporting/v3/net-fundings", self.net_fundings)
        r.add("GET", "/reporting/v3/payment-batch-summaries", self.batch_summaries)
        r.add("GET", "/reporting/v3/chargeback-details", self.chargeback_details)

    def _window(self, req: Request) -> tuple[datetime, datetime]:
        now = self.sb.now()
        out = []
        for name in ("startTime", "endTime"):
            raw = req.query.get(name, "")
            try:
                dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                raise _bad_query(now, name) from None
            out.append(dt if dt.tzinfo else dt.replace(tzinfo=now.tzinfo))
        return out[0], out[1]

    @staticmethod
    def _days(start: datetime, end: datetime) -> tuple[date, date]:
        """Batch dates whose midnight lies in [start, end)."""
        first = start.date() if start.time() == time(0) else start.date() + timedelta(days=1)
        last = end.date() if end.time() == time(0) else end.date() + timedelta(days=1)
        return first, last

    def download(self, req: Request) -> Response:
        now = self.sb.now()
        try:
            report_date = date.fromisoformat(req.query.get("reportDate", ""))
        except ValueError:
            raise _bad_query(now, "reportDate") from None
        name = req.query.get("reportName", "").replace(" ", "").replace("_", "").lower()
        if not name.startswith("paymentbatchdetail"):
            raise reporting_not_found(now, "No Reports Found")
        day = report_date - timedelta(days=1)
        with self.sb.work() as conn:
            rows = settlement.batch_detail_rows(conn, day)
        if rows is None:
            raise reporting_not_found(now, "No Reports Found")
        merchant = self.sb.config.merchant_id
        lines = [
            f"Payment Batch Detail Report,1.0,{day.isoformat()} to {day.isoformat()},,,,,,,",
            COLUMNS,
        ]
        for r in rows:
            t = r.txn
            credit = t.kind in ledger.CREDITS
            amount = q(-r.amount if credit else r.amount, t.currency)
            method = CARD_TYPES.get(t.card_type or "", ("VI", "Visa"))[1]
            values = [
                t.batch_id or "",
                merchant,
                t.batch_date or "",
                t.id,
                t.code or "",
                t.reconciliation_id or "",
                method,
                t.currency,
                str(amount),
                "ics_credit" if credit else "ics_bill",
            ]
            lines.append(",".join(_csv(v) for v in values))
        body = ("\n".join(lines) + "\n").encode("utf-8")
        return Response(200, body, "text/csv;charset=utf-8")

    def net_fundings(self, req: Request) -> Response:
        now = self.sb.now()
        start, end = self._window(req)
        with self.sb.work() as conn:
            totals = settlement.funding(conn, self.sb.config, *self._days(start, end))
        if totals is None:
            raise reporting_not_found(now, "No net funding data for the given dates")
        out: dict[str, Any] = {"startTime": iso_ms(start), "endTime": iso_ms(end)}
        summaries: list[dict[str, Any]] = []
        for key in TOTALS:
            out[key] = []
        for cur in sorted(totals):
            tot = totals[cur]
            rows = [
                (kind, sub, int(n), amount)
                for (kind, sub), (n, amount) in sorted(tot.by_sub_type.items())
            ]
            rows += [("FEES", "", tot.purchase_count, tot.fees)] if tot.purchase_count else []
            rows += (
                [("CHARGEBACKS", "", tot.chargeback_count, tot.chargebacks)]
                if tot.chargeback_count
                else []
            )
            summaries += [
                _summary(kind, sub, n, q(amount, cur), cur) for kind, sub, n, amount in rows
            ]
            values = (tot.purchases, tot.refunds, tot.fees, tot.chargebacks, tot.net())
            for key, amount in zip(TOTALS, values, strict=True):
                out[key].append({"currency": cur, "value": str(q(amount, cur))})
        out["netFundingSummaries"] = summaries
        return Response(200, dumps(out), "application/hal+json;charset=utf-8")

    def batch_summaries(self, req: Request) -> Response:
        now = self.sb.now()
        start, end = self._window(req)
        with self.sb.work() as conn:
            days = settlement.batch_days(conn, *self._days(start, end))
            txns = settlement.settled(conn, days)
        if not days:
            raise reporting_not_found(now, "Payment Batch Summary not found")
        groups: dict[tuple[str, str], list[Any]] = defaultdict(
            lambda: [0, Decimal(0), 0, Decimal(0)]
        )
        for t in txns:
            g = groups[(t.currency, sub_type(t.card_type))]
            if t.kind in ledger.PURCHASES:
                g[0] += 1
                g[1] += t.amount
            else:
                g[2] += 1
                g[3] += t.amount
        names = dict(CARD_TYPES.values())
        merchant = self.sb.config.merchant_id
        out = {
            "startTime": iso_ms(start),
            "endTime": iso_ms(end),
            "paymentBatchSummaries": [
                {
                    "currencyCode": cur,
                    "paymentSubTypeDescription": names.get(sub, sub),
                    "startTime": iso_ms(start),
                    "endTime": iso_ms(end),
                    "salesCount": g[0],
                    "salesAmount": str(q(g[1], cur)),
                    "creditCount": g[2],
                    "creditAmount": str(q(g[3], cur)),
                    "accountId": merchant,
                    "accountName": self.sb.config.merchant_name,
                    "merchantId": merchant,
                    "merchantName": self.sb.config.merchant_name,
                }
                for (cur, sub), g in sorted(groups.items())
            ],
        }
        return Response(200, dumps(out), "application/hal+json;charset=utf-8")

    def chargeback_details(self, req: Request) -> Response:
        start, end = self._window(req)
        lo, hi = (d.isoformat() for d in self._days(start, end))
        details: list[dict[str, Any]] = []
        with self.sb.work() as conn:
            for cb in conn.execute(select(chargebacks).order_by(chargebacks.c.created)):
                txn = ledger.get(conn, cb.transaction_id)
                if txn is not None:
                    details += [
                        self._chargeback_row(cb, txn, *step)
                        for step in _chargeback_steps(cb)
                        if lo <= step[0] < hi
                    ]
        out = {
            "organizationId": self.sb.config.merchant_id,
            "startTime": iso_ms(start),
            "endTime": iso_ms(end),
            "chargebackDetails": details,
        }
        return Response(200, dumps(out), "application/hal+json;charset=utf-8")

    def _chargeback_row(
        self, cb: Any, txn: Any, day: str, action: str, description: str, sign: str
    ) -> dict[str, Any]:
        return {
            "processorMerchantId": self.sb.config.merchant_id,
            "merchantName": self.sb.config.merchant_name,
            "transactionReferenceNumber": txn.reconciliation_id or "",
            "merchantReferenceNumber": txn.code or "",
            "natureOfDispute": "Fraud",
            "alertType": "Chargeback",
            "amount": str(q(Decimal(cb.amount), cb.currency)),
            "sign": sign,
            "action": action,
            "cardType": CARD_TYPES.get(txn.card_type or "", ("VI", "Visa"))[1],
            "originalSettlementTime": f"{txn.batch_date}T00:00:00Z",
            "trackingNumber": cb.id,
            "currencyCode": cb.currency,
            "requestId": txn.id,
            "responseDueTime": f"{day}T00:00:00Z",
            "time": f"{day}T00:00:00Z",
            "actionDescription": description,
            "reasonCode": cb.reason_code,
            "applications": "ics_bill",
            "eventRequestedTime": f"{day}T00:00:00Z",
            "preDisputeFlag": "N",
        }


def _chargeback_steps(cb: Any) -> list[tuple[str, str, str, str]]:
    """(day, action, description, sign) of a chargeback and of its outcome, if decided."""
    steps = [(str(cb.day), "Chargeback", "Chargeback received", "-")]
    if cb.outcome and cb.outcome_day:
        if cb.outcome == "won":
            steps.append(
                (str(cb.outcome_day), "Representment Won", "Reversed in the merchant's favour", "+")
            )
        else:
            steps.append((str(cb.outcome_day), "Final Chargeback", "Chargeback lost", "-"))
    return steps
