"""08.030 payment applications: the ARTran ``U`` rows, and applying an already released credit.

A ``U`` row (FACTS §4.3) says "apply this credit to that document" before release: TranType and
RefNbr are the credit's, CostType/SiteId the target's DocType/RefNbr, CuryTranAmt/TranAmt the
amount, UnitPrice the target's rate, UnitDesc its period, CuryTxblAmt00 the target's balance
left after this application. Release turns them into ARAdjust rows; slpay never writes ARAdjust.

Rules (DESIGN.md, FACTS §11): every document joined must be released; never for a customer with
AutoApply = 1 (release would apply twice and roll back); a target must exist (release would
let a missing one through); a released credit is applied in its own batch with control total 0,
for at most its remaining balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.context import Company, Rate
from slpay.connectors.dynamics_sl.conventions import (
    clip,
    fiscal_year,
    line_nbr,
    line_ref,
    read_char,
    read_money,
    to_base,
)
from slpay.connectors.dynamics_sl.models import Application, Customer, NotReleasedError
from slpay.connectors.dynamics_sl.rows import Audit, full_row
from slpay.errors import ValidationError

D = sl.ARDoc.c
T = sl.ARTran.c


@dataclass(frozen=True)
class Target:
    """A released document being paid, with what is still open on it."""

    doc_type: str
    ref_nbr: str
    cpny_id: str
    acct: str
    sub: str
    cury_id: str
    rate: float
    mult_div: str
    per_post: str
    available: Decimal
    amount: Decimal


def refuse_auto_apply(customer: Customer) -> None:
    """SL applies an AutoApply customer's credits itself; a U row would double-apply."""
    if customer.auto_apply:
        raise ValidationError(
            f"customer {customer.cust_id} has AutoApply = 1: SL applies its payments itself",
            field="customer",
        )


def pending_applied(
    conn: Connection, cust_id: str, doc_type: str, ref_nbr: str, places: int
) -> Decimal:
    """What unreleased U rows already apply to a document (transaction currency, rounded to
    its ``places``: a SUM of FLOATs carries binary noise that must not reach a comparison)."""
    total = conn.execute(
        select(func.coalesce(func.sum(T.CuryTranAmt), 0)).where(
            T.CustId == cust_id,
            T.DrCr == "U",
            T.Rlsed == 0,
            T.CostType == doc_type,
            T.SiteId == ref_nbr,
        )
    ).scalar()
    return read_money(total, places)


def resolve_targets(
    conn: Connection,
    company: Company,
    customer: Customer,
    cury_id: str,
    apps: tuple[Application, ...],
    credit_left: Decimal,
    claimed: dict[tuple[str, str, str], Decimal] | None = None,
) -> list[Target]:
    """Check every target and fix each amount; ``credit_left`` bounds the total applied.

    ``claimed`` carries what earlier documents of the same transaction already apply.
    """
    claimed = {} if claimed is None else claimed
    places = company.places(conn, cury_id)
    out: list[Target] = []
    for i, app in enumerate(apps):
        where = f"applications[{i}]"
        m = _released_target(conn, customer, app, where, cury_id)
        ident = (customer.cust_id, app.doc_type, app.ref_nbr)
        balance = company.money(conn, m["CuryDocBal"], cury_id)
        pending = pending_applied(conn, customer.cust_id, app.doc_type, app.ref_nbr, places)
        available = balance - pending - claimed.get(ident, Decimal(0))
        if app.amount is not None and app.amount.currency != cury_id:
            raise ValidationError("must be in the payment's currency", field=f"{where}.amount")
        amount = app.amount.amount if app.amount is not None else min(available, credit_left)
        if amount <= 0 or amount > available or amount > credit_left:
            raise ValidationError(
                f"cannot apply {amount} (open {available}, credit left {credit_left})",
                field=f"{where}.amount",
            )
        credit_left -= amount
        claimed[ident] = claimed.get(ident, Decimal(0)) + amount
        out.append(
            Target(
                doc_type=app.doc_type,
                ref_nbr=app.ref_nbr,
                cpny_id=read_char(m["CpnyID"]),
                acct=read_char(m["BankAcct"]),
                sub=read_char(m["BankSub"]),
                cury_id=cury_id,
                rate=float(m["CuryRate"] or 1),
                mult_div=read_char(m["CuryMultDiv"]) or "M",
                per_post=read_char(m["PerPost"]),
                available=available,
                amount=amount.quantize(Decimal(1).scaleb(-places)),
            )
        )
    return out


def _released_target(
    conn: Connection, customer: Customer, app: Application, where: str, cury_id: str
) -> Any:
    if app.doc_type not in ("IN", "DM"):
        raise ValidationError("only IN and DM documents are paid", field=f"{where}.doc_type")
    row = conn.execute(
        select(sl.ARDoc)
        .where(D.CustId == customer.cust_id, D.DocType == app.doc_type, D.RefNbr == app.ref_nbr)
        .order_by(D.Rlsed.desc())
    ).first()
    if row is None:
        raise ValidationError(
            f"{app.doc_type} {app.ref_nbr} does not exist for customer {customer.cust_id}",
            field=f"{where}.ref_nbr",
        )
    m = row._mapping
    if not m["Rlsed"]:
        raise NotReleasedError(
            f"{app.doc_type} {app.ref_nbr} is not released yet",
            documents=(f"{app.doc_type} {app.ref_nbr}",),
        )
    if read_char(m["CuryId"]) != cury_id:
        raise ValidationError(
            f"{app.doc_type} {app.ref_nbr} is in {read_char(m['CuryId'])}, not {cury_id}",
            field=f"{where}.currency",
        )
    return m


def u_rows(
    company: Company,
    audit: Audit,
    *,
    credit: dict[str, Any],
    targets: list[Target],
    rate: Rate,
    bat_nbr: str,
    per_post: str,
    tran_date: datetime,
) -> list[dict[str, Any]]:
    """The ARTran ``U`` rows applying ``credit`` (its ARDoc values) to ``targets``."""
    rows = []
    for i, t in enumerate(targets):
        # Base amount at the target's own rate, as SL's release computes ARAdjust.AdjAmt.
        base = to_base(t.amount, Decimal(repr(t.rate)), t.mult_div, rate.base_decpl)
        rows.append(
            full_row(
                sl.ARTran,
                audit,
                {
                    "CustId": credit["CustId"],
                    "TranType": credit["DocType"],
                    "RefNbr": credit["RefNbr"],
                    "BatNbr": bat_nbr,
                    "LineNbr": line_nbr(i),
                    "LineRef": line_ref(i),
                    "LineId": i + 1,
                    "CpnyID": t.cpny_id,
                    "Acct": t.acct,
                    "Sub": t.sub,
                    "DrCr": "U",
                    "TranClass": "N",
                    "CuryTranAmt": float(t.amount),
                    "TranAmt": float(base),
                    "UnitPrice": t.rate,
                    "UnitDesc": t.per_post,
                    "CostType": t.doc_type,
                    "SiteId": t.ref_nbr,
                    "CuryTxblAmt00": float(t.available - t.amount),
                    "Qty": 1.0,
                    "TranDate": tran_date,
                    "TranDesc": clip(f"Apply to {t.doc_type} {t.ref_nbr}", 30),
                    "PerPost": per_post,
                    "PerEnt": per_post,
                    "FiscYr": fiscal_year(per_post),
                    "JrnlType": "AR",
                    "OrdNbr": credit.get("OrdNbr", " "),
                    **rate.columns(sl.ARTran),
                },
            )
        )
    return rows


def deposit_batch_row(
    company: Company,
    audit: Audit,
    rate: Rate,
    bat_nbr: str,
    *,
    per_post: str,
    when: Any,
    descr: str,
    cury_total: Decimal = Decimal(0),
    base_total: Decimal = Decimal(0),
) -> dict[str, Any]:
    """The Batch row of an 08.030 batch on the clearing cash account (FACTS §4.3).

    Payments carry their control totals and deposit amount; an application of an already
    released credit keeps them at 0 (its amount belongs to the batch that created it).
    """
    acc = company.settings.accounts
    return full_row(
        sl.Batch,
        audit,
        {
            "Module": "AR",
            "BatNbr": bat_nbr,
            "CpnyID": company.cpny_id,
            "Status": company.settings.batch_status,
            "Rlsed": 0,
            "EditScrnNbr": "08030",
            "OrigScrnNbr": "08030",
            "JrnlType": "AR",
            "BatType": "N",
            "PerPost": per_post,
            "PerEnt": company.current_period("AR"),
            "DateEnt": when,
            "CtrlTot": float(base_total),
            "CrTot": float(base_total),
            "DepositAmt": float(base_total),
            "CuryCtrlTot": float(cury_total),
            "CuryCrTot": float(cury_total),
            "CuryDepositAmt": float(cury_total),
            "BankAcct": acc.clearing_acct,
            "BankSub": acc.clearing_sub,
            "LedgerID": company.ledger_id,
            "BalanceType": "A",
            "BaseCuryID": company.base_cury,
            "GLPostOpt": "D",
            "Descr": clip(descr, 30),
            **rate.columns(sl.Batch),
        },
    )
