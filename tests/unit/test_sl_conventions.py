"""SL storage conventions: fixed-length text, SMALLDATETIME, FLOAT money, fiscal periods."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from slpay.connectors.dynamics_sl import schema as sl
from slpay.connectors.dynamics_sl.conventions import (
    FiscalCalendar,
    check_period,
    clip,
    line_nbr,
    line_ref,
    read_char,
    read_datetime,
    read_money,
    to_base,
    to_char,
    to_float,
    to_sl_date,
    to_sl_datetime,
)
from slpay.connectors.dynamics_sl.rows import Audit, full_row
from slpay.errors import ValidationError

CALENDAR_YEAR = FiscalCalendar(12, tuple((m, 28 if m == 2 else 30 if m in (4, 6, 9, 11) else 31)
                                         for m in range(1, 13)))  # fmt: skip
JULY_JUNE = FiscalCalendar(12, ((7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31),
                                (1, 31), (2, 29), (3, 31), (4, 30), (5, 31), (6, 30)),
                           begins_prior_year=True)  # fmt: skip


def test_text_over_its_char_length_is_refused_naming_table_and_column() -> None:
    with pytest.raises(ValidationError) as err:
        to_char("X" * 11, 10, "ARDoc.RefNbr")
    assert err.value.field == "ARDoc.RefNbr"
    audit = Audit(user="SLPAY", now=datetime(2026, 5, 15))  # noqa: DTZ001
    with pytest.raises(ValidationError) as err:
        full_row(sl.ARDoc, audit, {"CustOrdNbr": "W" * 26})
    assert err.value.field == "ARDoc.CustOrdNbr"


def test_blank_text_is_a_space_and_reads_back_empty() -> None:
    assert to_char("", 10, "t.c") == " "
    assert to_char(None, 10, "t.c") == " "
    assert to_char("AB   ", 2, "t.c") == "AB"  # trailing blanks are padding, not content
    assert read_char("C00001         ") == "C00001"
    assert read_char(None) == ""
    assert clip("  a long description that will not fit  ", 10) == "a long des"


def test_full_row_supplies_every_column_but_rowversion_and_identity() -> None:
    audit = Audit(user="SLPAY", now=datetime(2026, 5, 15, 14, 30))  # noqa: DTZ001
    row = full_row(sl.ARTran, audit, {"CustId": "C1"})
    expected = {c.name for c in sl.ARTran.columns} - {"tstamp", "RecordID"}
    assert set(row) == expected
    assert row["TranDate"] == datetime(1900, 1, 1)  # noqa: DTZ001 - SL's blank date
    assert (row["Crtd_Prog"], row["LUpd_User"], row["Acct"], row["TranAmt"]) == (
        "SLPAY",
        "SLPAY",
        " ",
        0,
    )


def test_sl_datetimes_are_local_minute_precision_and_1900_is_blank() -> None:
    moment = datetime(2026, 5, 15, 23, 30, 59, 999, tzinfo=UTC)
    assert to_sl_datetime(moment) == datetime(2026, 5, 15, 23, 30)  # noqa: DTZ001
    chicago = to_sl_datetime(moment, "America/Chicago")
    assert chicago == datetime(2026, 5, 15, 18, 30)  # noqa: DTZ001
    assert to_sl_date(moment, "Asia/Tokyo") == datetime(2026, 5, 16)  # noqa: DTZ001
    assert to_sl_datetime(None) == datetime(1900, 1, 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        to_sl_datetime(datetime(2026, 5, 15))  # noqa: DTZ001
    assert read_datetime(datetime(1900, 1, 1)) is None  # noqa: DTZ001
    back = read_datetime(datetime(2026, 5, 15, 18, 30), "America/Chicago")  # noqa: DTZ001
    assert back == datetime(2026, 5, 15, 23, 30, tzinfo=UTC)
    assert back.tzinfo is not None
    assert ZoneInfo("UTC")  # the zone database is available


@pytest.mark.parametrize(
    ("stored", "places", "expected"),
    [(0.1 + 0.2, 2, "0.30"), (125.5, 2, "125.50"), (1234.0, 0, "1234"), (2.675, 2, "2.68"),
     (0.0049999999, 2, "0.00"), (None, 2, "0.00")],
)  # fmt: skip
def test_float_money_reads_as_decimal_rounded_to_the_currency(
    stored: float | None, places: int, expected: str
) -> None:
    assert read_money(stored, places) == Decimal(expected)
    assert str(read_money(stored, places)) == expected


def test_decimal_money_round_trips_through_float_exactly() -> None:
    for text in ("0.01", "19.99", "1000000.07", "123456789.12"):
        amount = Decimal(text)
        assert read_money(to_float(amount, 2), 2) == amount
    assert to_float(Decimal("10.005"), 2) == 10.01  # half up, as SL's own rounding


def test_conversion_to_base_multiplies_or_divides() -> None:
    assert to_base(Decimal("100.00"), Decimal("1.08"), "M", 2) == Decimal("108.00")
    assert to_base(Decimal("100.00"), Decimal("1.25"), "D", 2) == Decimal("80.00")
    assert to_base(Decimal("1000"), Decimal("0.0067"), "M", 2) == Decimal("6.70")


@pytest.mark.parametrize(
    ("calendar", "day", "period"),
    [(CALENDAR_YEAR, date(2026, 5, 15), "202605"), (CALENDAR_YEAR, date(2026, 12, 31), "202612"),
     (CALENDAR_YEAR, date(2027, 1, 1), "202701"), (JULY_JUNE, date(2025, 7, 1), "202601"),
     (JULY_JUNE, date(2026, 6, 30), "202612"), (JULY_JUNE, date(2026, 2, 28), "202608"),
     (JULY_JUNE, date(2028, 2, 29), "202808")],
)  # fmt: skip
def test_perpost_is_fiscal_year_and_period_not_calendar_month(
    calendar: FiscalCalendar, day: date, period: str
) -> None:
    assert calendar.period_of(day) == period


def test_thirteen_four_week_periods() -> None:
    ends = ((1, 28), (2, 25), (3, 25), (4, 22), (5, 20), (6, 17), (7, 15), (8, 12), (9, 9),
            (10, 7), (11, 4), (12, 2), (12, 31))  # fmt: skip
    cal = FiscalCalendar(13, ends)
    assert cal.period_of(date(2026, 5, 15)) == "202605"
    assert cal.period_of(date(2026, 12, 15)) == "202613"


def test_calendar_built_from_glsetup_row() -> None:
    row = {"NbrPer": 12, "BegFiscalYr": 1, **{f"FiscalPerEnd{i:02d}": f"{m:02d}{d:02d}  "
           for i, (m, d) in enumerate(JULY_JUNE.period_ends)}}  # fmt: skip
    assert FiscalCalendar.from_glsetup(row) == JULY_JUNE
    with pytest.raises(ValidationError) as err:
        FiscalCalendar.from_glsetup({**row, "FiscalPerEnd03": "13XX"})
    assert err.value.field == "GLSetup.FiscalPerEnd03"


def test_only_the_modules_current_period_is_open() -> None:
    assert check_period("202605", "202605", module="AR", policy="refuse", field="date") == "202605"
    with pytest.raises(ValidationError, match="closed") as err:
        check_period("202604", "202605", module="AR", policy="refuse", field="date")
    assert err.value.field == "date"
    with pytest.raises(ValidationError, match="after"):
        check_period("202606", "202605", module="GL", policy="current", field="date")
    assert check_period("202604", "202605", module="AR", policy="current", field="d") == "202605"


def test_line_numbers_follow_sl_spacing() -> None:
    assert [line_nbr(i) for i in range(3)] == [-32768, -32512, -32256]
    assert [line_ref(i) for i in range(2)] == ["00001", "00002"]
    with pytest.raises(ValidationError):
        line_nbr(256)
