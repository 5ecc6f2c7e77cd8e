"""What unreleased U rows already apply to a document is read back exact to the cent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine
from test_sl_writer_support import (  # noqa: F401 - fixtures
    company_fixture,
    pg_company_fixture,
    pg_schema_fixture,
    sqlite_template_fixture,
)

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.applications import pending_applied
from slpay.connectors.dynamics_sl.rows import Audit, full_row


def test_sum_of_float_u_rows_is_rounded_to_the_currency_places(company: Engine) -> None:
    audit = Audit(user="SLPAY", now=datetime(2026, 11, 25, tzinfo=UTC).replace(tzinfo=None))
    rows = [
        full_row(sl.ARTran, audit, {
            "CustId": "C00001", "DrCr": "U", "Rlsed": 0, "CostType": "IN", "SiteId": "IN0001",
            "RefNbr": f"CY00000{i}", "BatNbr": f"00009{i}", "TranType": "PA", "LineNbr": i,
            "CuryTranAmt": amount, "TranAmt": amount,
        })
        for i, amount in enumerate((0.1, 0.2), start=1)
    ]  # fmt: skip
    with company.begin() as conn:
        conn.execute(sl.ARTran.insert(), rows)
    with company.connect() as conn:
        # 0.1 + 0.2 as FLOATs is 0.30000000000000004: the noise must not reach a comparison.
        assert pending_applied(conn, "C00001", "IN", "IN0001", 2) == Decimal("0.30")
