"""SL customers: find by CustId or e-mail, create with every column and configured defaults."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, func, insert, select

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.context import Company
from slpay.connectors.dynamics_sl.conventions import clip, read_char, to_char
from slpay.connectors.dynamics_sl.models import Customer, CustomerRef
from slpay.connectors.dynamics_sl.numbering import allocate
from slpay.connectors.dynamics_sl.rows import Audit, full_row
from slpay.connectors.dynamics_sl.xref import lock_counter, set_counter
from slpay.errors import ValidationError

C = sl.Customer.c
_COLUMNS = (
    C.CustId,
    C.Name,
    C.EMailAddr,
    C.ArAcct,
    C.ArSub,
    C.PrePayAcct,
    C.PrePaySub,
    C.Terms,
    C.AutoApply,
)


def _customer(row: Any, created: bool = False) -> Customer:
    # A row of _COLUMNS, unpacked by position: a micro-batch reads hundreds of them.
    cust_id, name, email, ar_acct, ar_sub, prepay_acct, prepay_sub, terms, auto_apply = row
    return Customer(
        cust_id=read_char(cust_id),
        name=read_char(name),
        email=read_char(email),
        ar_acct=read_char(ar_acct),
        ar_sub=read_char(ar_sub),
        prepay_acct=read_char(prepay_acct),
        prepay_sub=read_char(prepay_sub),
        terms=read_char(terms),
        auto_apply=bool(auto_apply),
        created=created,
    )


def by_id(conn: Connection, cust_id: str) -> Customer | None:
    """The customer with this CustId, or None."""
    row = conn.execute(select(*_COLUMNS).where(C.CustId == cust_id)).first()
    return _customer(row) if row is not None else None


def by_email(conn: Connection, email: str) -> Customer | None:
    """The customer with this e-mail (case-insensitive, like SL's collation), or None."""
    email = email.strip()
    stmt = select(*_COLUMNS).order_by(C.CustId).limit(1)
    # Indexed lookup first (as typed, or lower case); SQL Server's CI collation covers the rest.
    row = conn.execute(stmt.where(C.EMailAddr.in_({email, email.lower()}))).first()
    if row is None and conn.dialect.name != "mssql":
        row = conn.execute(stmt.where(func.lower(func.rtrim(C.EMailAddr)) == email.lower())).first()
    return _customer(row) if row is not None else None


def by_ids(conn: Connection, cust_ids: list[str]) -> dict[str, Customer]:
    """Customers by CustId, in one query per 500 ids."""
    out: dict[str, Customer] = {}
    for start in range(0, len(cust_ids), 500):
        chunk = cust_ids[start : start + 500]
        for row in conn.execute(select(*_COLUMNS).where(C.CustId.in_(chunk))):
            cust = _customer(row)
            out[cust.cust_id] = cust
    return out


def find(conn: Connection, ref: CustomerRef) -> Customer | None:
    """Find by CustId first, then by e-mail."""
    if ref.cust_id:
        found = by_id(conn, ref.cust_id.strip())
        if found is not None:
            return found
    if ref.email:
        return by_email(conn, ref.email)
    return None


def resolve(conn: Connection, company: Company, ref: CustomerRef, audit: Audit) -> Customer:
    """The paying customer: found, or created from the e-mail; refused without either."""
    found = find(conn, ref)
    if found is not None:
        return found
    if not ref.email or "@" not in ref.email:
        what = f"customer {ref.cust_id} not found" if ref.cust_id else "no customer id"
        raise ValidationError(f"{what} and no e-mail to find or create one", field="customer")
    return create(conn, company, ref, audit)


def create(conn: Connection, company: Company, ref: CustomerRef, audit: Audit) -> Customer:
    """Create the customer (customer creation is serialized on slpay's CustId counter row)."""
    email = to_char(ref.email, 80, "Customer.EMailAddr").strip()
    company.catalog.currency_places(
        conn, (ref.currency or company.base_cury).upper(), "customer.currency"
    )
    last = lock_counter(conn, "CustId")
    again = by_email(conn, email)  # another writer may have created it while we waited
    if again is not None:
        return again
    cust_id = new_cust_id(conn, company, ref, email, last)
    values = customer_values(company, ref, cust_id, email)
    # Parameters, not .values(): SQLAlchemy would build a cache key over every literal.
    conn.execute(insert(sl.Customer), full_row(sl.Customer, audit, values))
    created = by_id(conn, cust_id)
    if created is None:  # pragma: no cover - the insert above just succeeded
        raise ValidationError("customer vanished after insert", field="customer")
    return replace(created, created=True)


def new_cust_id(conn: Connection, company: Company, ref: CustomerRef, email: str, last: str) -> str:
    """The CustId for a new customer: its own id if free, else by the configured rule."""
    s = company.settings

    def used(candidates: list[str]) -> set[str]:
        rows = conn.execute(select(C.CustId).where(C.CustId.in_(candidates))).scalars()
        return {read_char(v) for v in rows}

    if ref.cust_id:
        cust_id = to_char(ref.cust_id, 15, "Customer.CustId").strip()
        if not used([cust_id]):
            return cust_id
    if s.customer_id_rule == "email":
        stem = re.sub(r"[^A-Z0-9]", "", email.split("@")[0].upper())[:12] or "WEB"
        for n in range(1, 1000):
            candidate = stem if n == 1 else f"{stem}{n}"
            if not used([candidate]):
                return candidate
    prefix = s.customer_id_prefix
    width = s.customer_id_width - len(prefix)

    def used_full(candidates: list[str]) -> set[str]:
        taken = used([prefix + c for c in candidates])
        return {c for c in candidates if prefix + c in taken}

    numbers, new_last = allocate(last, 1, used_full, min_width=width, max_width=width)
    set_counter(conn, "CustId", new_last)
    return prefix + numbers[0]


def customer_values(company: Company, ref: CustomerRef, cust_id: str, email: str) -> dict[str, Any]:
    """Every column slpay sets on a new Customer row (the rest from the template)."""
    s, acc = company.settings, company.settings.accounts
    name = clip(ref.name or email.split("@")[0], 60)
    address = {
        "Addr1": clip(ref.addr1, 60),
        "Addr2": clip(ref.addr2, 60),
        "City": clip(ref.city, 30),
        "State": clip(ref.state, 3),
        "Zip": clip(ref.zip, 10),
        "Country": clip(ref.country, 3),
        "Phone": clip(ref.phone, 30),
    }
    return {
        "CustId": cust_id,
        "Name": name,
        "EMailAddr": email,
        **address,
        **{f"Bill{k}": v for k, v in address.items()},
        "BillName": name,
        "Status": "A",
        "ClassId": s.customer_class,
        "Terms": s.customer_terms,
        "StmtCycleId": s.customer_stmt_cycle,
        "StmtType": read_char(company.ar.get("DfltStmtType")) or "O",
        "PrtStmt": 1,
        "CuryId": (ref.currency or company.base_cury).upper(),
        "CuryRateType": s.cury_rate_type,
        "ArAcct": acc.ar_acct,
        "ArSub": acc.ar_sub,
        "PrePayAcct": acc.prepay_acct,
        "PrePaySub": acc.prepay_sub,
        "SlsAcct": acc.sales_acct,
        "SlsSub": acc.sales_sub,
        "AutoApply": 0,
        "SetupDate": company.sl_date(company.today),
        "PerNbr": company.current_period("AR"),
    }


# --- a micro-batch of orders: every customer found in a few queries, the missing created ------


def by_emails(conn: Connection, emails: list[str]) -> dict[str, Customer]:
    """Customers by e-mail (lower-cased key; the lowest CustId wins, as in :func:`by_email`)."""
    wanted = {e.strip().lower() for e in emails if e and e.strip()}
    out: dict[str, Customer] = {}
    if not wanted:
        return out
    typed = sorted({e.strip() for e in emails if e and e.strip()} | wanted)
    for start in range(0, len(typed), 500):
        stmt = select(*_COLUMNS).where(C.EMailAddr.in_(typed[start : start + 500]))
        _keep_first(out, conn.execute(stmt.order_by(C.CustId)))
    rest = sorted(wanted - out.keys())
    if rest and conn.dialect.name != "mssql":
        # Stored in another case or padded: one scan for the whole batch, not one per e-mail.
        key = func.lower(func.rtrim(C.EMailAddr))
        for start in range(0, len(rest), 500):
            stmt = select(*_COLUMNS).where(key.in_(rest[start : start + 500]))
            _keep_first(out, conn.execute(stmt.order_by(C.CustId)))
    return out


def _keep_first(out: dict[str, Customer], rows: Any) -> None:
    for row in rows:
        cust = _customer(row)
        out.setdefault(cust.email.lower(), cust)
