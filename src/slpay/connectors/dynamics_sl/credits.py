"""Apply an already released credit (PP, PA or CM) to released IN/DM documents.

Its own 08.030 batch with every control total 0 (the credit belongs to its original batch,
FACTS §4.2); the credit's ARDoc gets ApplBatNbr and the amount left unapplied; one U row per
target. Never for an AutoApply customer, never past the credit's remaining balance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from slpay.connectors.dynamics_sl import customers
from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.applications import (
    deposit_batch_row,
    refuse_auto_apply,
    resolve_targets,
    u_rows,
)
from slpay.connectors.dynamics_sl.context import Company, Rate
from slpay.connectors.dynamics_sl.conventions import read_char
from slpay.connectors.dynamics_sl.models import CreditApplication, NotReleasedError, SLDocument
from slpay.connectors.dynamics_sl.numbering import batch_numbers
from slpay.connectors.dynamics_sl.rows import Audit, update_values
from slpay.errors import ValidationError

D = sl.ARDoc.c


def apply_credit(
    conn: Connection, company: Company, audit: Audit, app: CreditApplication
) -> SLDocument:
    """Write the application batch; the caller holds ARSetup locked."""
    if app.credit_type not in ("PP", "PA", "CM"):
        raise ValidationError("only PP, PA or CM credits are applied", field="credit_type")
    if not app.targets:
        raise ValidationError("at least one document to apply to", field="targets")
    customer = customers.by_id(conn, app.cust_id)
    if customer is None:
        raise ValidationError(f"customer {app.cust_id} not found", field="cust_id")
    refuse_auto_apply(customer)
    credit = _released_credit(conn, app)
    rate = _rate_of(company, conn, credit)
    per_post = company.period(app.date, "AR")
    left = company.money(conn, credit["CuryDocBal"], rate.cury_id)
    targets = resolve_targets(conn, company, customer, rate.cury_id, app.targets, left)
    applied = sum((t.amount for t in targets), Decimal(0))
    (bat_nbr,) = batch_numbers(conn, sl.ARSetup, company.ar["LastBatNbr"], "AR", 1)
    when = company.sl_date(app.date)
    conn.execute(
        insert(sl.Batch).values(
            deposit_batch_row(
                company,
                audit,
                rate,
                bat_nbr,
                per_post=per_post,
                when=when,
                descr="slpay application",
            )
        )
    )
    remaining = left - applied
    conn.execute(
        sl.ARDoc.update()
        .where(
            *(
                getattr(D, k) == credit[k]
                for k in ("CustId", "DocType", "RefNbr", "BatNbr", "BatSeq")
            )
        )
        .values(
            update_values(
                sl.ARDoc,
                audit,
                {
                    "ApplBatNbr": bat_nbr,
                    "ApplBatSeq": 1,
                    "CuryApplAmt": float(remaining),
                    "ApplAmt": float(rate.base(remaining)),
                },
            )
        )
    )
    rows = u_rows(
        company,
        audit,
        credit=credit,
        targets=targets,
        rate=rate,
        bat_nbr=bat_nbr,
        per_post=per_post,
        tran_date=when,
    )
    conn.execute(insert(sl.ARTran), rows)
    return SLDocument(
        key=app.key,
        kind="application",
        cpny_id=company.cpny_id,
        module="AR",
        bat_nbr=bat_nbr,
        doc_type=app.credit_type,
        ref_nbr=app.credit_ref,
        cust_id=customer.cust_id,
        ord_nbr=read_char(credit["OrdNbr"]),
        cyber_id=read_char(credit[company.settings.ardoc_cyber_field]),
    )


def _released_credit(conn: Connection, app: CreditApplication) -> dict[str, Any]:
    row = conn.execute(
        select(sl.ARDoc)
        .where(D.CustId == app.cust_id, D.DocType == app.credit_type, D.RefNbr == app.credit_ref)
        .order_by(D.Rlsed.desc())
    ).first()
    if row is None:
        raise ValidationError(
            f"{app.credit_type} {app.credit_ref} does not exist for customer {app.cust_id}",
            field="credit_ref",
        )
    credit = dict(row._mapping)
    label = f"{app.credit_type} {app.credit_ref}"
    if not credit["Rlsed"]:
        raise NotReleasedError(f"{label} is not released yet", documents=(label,))
    pending = read_char(credit["ApplBatNbr"])
    if pending:
        raise NotReleasedError(
            f"{label} is already being applied by unreleased batch {pending}",
            documents=(f"AR batch {pending}",),
        )
    if credit["CuryDocBal"] <= 0:
        raise ValidationError(f"{label} has no balance left to apply", field="credit_ref")
    return credit


def _rate_of(company: Company, conn: Connection, credit: dict[str, Any]) -> Rate:
    cury = read_char(credit["CuryId"]) or company.base_cury
    return Rate(
        cury_id=cury,
        rate=Decimal(repr(float(credit["CuryRate"] or 1))),
        mult_div=read_char(credit["CuryMultDiv"]) or "M",
        eff_date=credit["CuryEffDate"],
        rate_type=read_char(credit["CuryRateType"]),
        cury_decpl=company.places(conn, cury),
        base_decpl=company.places(conn, company.base_cury),
    )
