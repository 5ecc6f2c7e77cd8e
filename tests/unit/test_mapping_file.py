"""The mapping file as a finance admin meets it: loading, refusals naming file and field, check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_mapping_support import merged
from typer.testing import CliRunner

from slpay.cli import app
from slpay.config import SLSettings, load_settings
from slpay.errors import ConfigError
from slpay.mapping import load_mapping
from slpay.mapping.load import default_mapping_text, parse_yaml


def default_data() -> dict[str, Any]:
    return parse_yaml(default_mapping_text(), "default.yaml")


def write_mapping(tmp_path: Path, overlay: dict[str, Any], name: str = "mapping.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(merged(default_data(), overlay), sort_keys=False))
    return path


def test_packaged_default_loads_and_leaves_sl_settings_alone() -> None:
    mapping = load_mapping()

    assert mapping.harmonize("AUTHORIZED").label == "Open"
    assert mapping.label_field == SLSettings().so_label_field
    assert mapping.sl_overrides == {}


def test_left_out_options_follow_the_sl_settings() -> None:
    sl = SLSettings(timezone="America/Chicago", so_label_field="User4", cury_rate_type="AVG")

    mapping = load_mapping(sl=sl)

    assert (str(mapping.business_zone), mapping.label_field) == ("America/Chicago", "User4")
    assert mapping.currency.rate_type == "AVG"


def test_options_set_in_the_mapping_reach_the_sl_writer_settings(tmp_path: Path) -> None:
    path = write_mapping(
        tmp_path,
        {
            "sales_order": {"label_field": "User3"},
            "customer": {"create": {"class": "RETAIL", "terms": "30", "id_prefix": "E"}},
        },
    )

    settings = load_mapping(path).apply_to(load_settings())

    assert settings.sl.so_label_field == "User3"
    assert (settings.sl.customer_class, settings.sl.customer_terms) == ("RETAIL", "30")
    assert settings.sl.customer_id_prefix == "E"


EUR_RATE = {"from": "EUR", "to": "USD", "rate": "1.1", "effective": "2026-01-01"}
BAD_FILES: list[tuple[str, dict[str, Any], str, str]] = [
    ("hold_not_a_flag", {"status": {"AUTHORIZED_PENDING_REVIEW": {"admin_hold": 2}}},
     "status.AUTHORIZED_PENDING_REVIEW.admin_hold", "must be 0 or 1"),
    ("unknown_top_key", {"statuses": {}}, "statuses", "unknown key"),
    ("wrong_version", {"version": 2}, "version", "must be 1"),
    ("unknown_step", {"order_number": {"steps": ["trim", "uper"]}},
     "order_number.steps[1]", "unknown step 'uper'"),
    ("max_length_longer_than_column", {"order_number": {"steps": [{"max_length": 40}]}},
     "order_number.steps[0].length", "40 is longer than SOHeader.CustOrdNbr (25 characters)"),
    ("pad_longer_than_user_field", {"order_number": {"to": "User2", "steps": [{"pad": 31}]}},
     "order_number.steps[0].length", "31 is longer than SOHeader.User2 (30 characters)"),
    ("label_longer_than_user_field", {"status": {"AUTHORIZED": {"label": "O" * 31}}},
     "status.AUTHORIZED.label", "at most 30 characters"),
    ("merchant_defined_without_key", {"order_number": {"from": "merchant_defined"}},
     "order_number.key", "required when from is merchant_defined"),
    ("merchant_defined_key_out_of_range",
     {"order_number": {"from": "merchant_defined", "key": 101}},
     "order_number.key", "a number from 0 to 100"),
    ("order_number_into_label_field", {"order_number": {"to": "User1"}},
     "order_number.to", "User1 already holds the status label"),
    ("unknown_time_zone", {"dates": {"business_timezone": "Mars/Base"}},
     "dates.business_timezone", "unknown time zone 'Mars/Base'"),
    ("item_longer_than_invtid", {"lines": {"item": {"table": {"SKU-1": "X" * 31}}}},
     "lines.item.table.SKU-1", "longer than SOLine.InvtID (30 characters)"),
    ("freight_line_without_item", {"lines": {"freight": {"as": "line"}}},
     "lines.freight.item", "required when freight is a line"),
    ("unknown_customer_column", {"customer": {"fields": {"Nmae": {"from": "name"}}}},
     "customer.fields.Nmae", "'Nmae' is not allowed here"),
    ("unknown_too_long_choice",
     {"customer": {"fields": {"Name": {"from": "name", "too_long": "cut"}}}},
     "customer.fields.Name.too_long", "must be 'truncate' or 'refuse'"),
    ("terms_written_as_a_number", {"customer": {"create": {"terms": 0}}},
     "customer.create.terms", "must be a valid string"),
    ("match_id_from_merchant_defined_without_key",
     {"customer": {"match": [{"by": "id", "from": "merchant_defined"}]}},
     "customer.match[0].key", "required when from is merchant_defined"),
    ("fixed_rates_without_fixed_source",
     {"currency": {"fixed_rates": [EUR_RATE]}},
     "currency.sources", "fixed is not listed"),
    ("negative_fixed_rate",
     {"currency": {"sources": ["fixed"], "fixed_rates": [{**EUR_RATE, "rate": "-1"}]}},
     "currency.fixed_rates[0].rate", "greater than 0"),
    ("status_listed_twice_in_two_cases",
     {"status": {"authorized": {"admin_hold": 0, "cancelled": 0, "label": "Open"}}},
     "status", "listed twice"),
    ("default_item_removed",
     {"lines": {"item": {"default_item": None, "unknown": "refuse"}}},
     "lines.item.default_item", "when_missing is single_line"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overlay", "field", "message"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_malformed_mapping_refused_naming_file_and_field(
    tmp_path: Path, overlay: dict[str, Any], field: str, message: str
) -> None:
    path = write_mapping(tmp_path, overlay)

    with pytest.raises(ConfigError) as caught:
        load_mapping(path)

    assert caught.value.source == str(path)
    assert caught.value.field == field
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path} {field}: ")


def test_key_written_twice_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(default_mapping_text() + "\nlines: {}\n")

    with pytest.raises(ConfigError, match=r"line \d+, column 1: not valid YAML: key 'lines' is "):
        load_mapping(path)


def test_broken_yaml_refused_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("version: 1\nstatus: {AUTHORIZED: [\n")

    with pytest.raises(ConfigError, match=r"mapping\.yaml: line 3, column 1: not valid YAML"):
        load_mapping(path)


def test_missing_file_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: cannot read the mapping file"):
        load_mapping(tmp_path / "nowhere.yaml")


def test_slpay_check_reports_every_problem_of_the_mapping_named_in_config(tmp_path: Path) -> None:
    mapping = write_mapping(
        tmp_path,
        {
            "status": {"PENDING_REVIEW": {"cancelled": "yes please"}},
            "lines": {"tax": {"as": "somewhere"}},
        },
    )
    config = tmp_path / "slpay.yaml"
    config.write_text(yaml.safe_dump({"mapping": {"path": str(mapping)}}))

    result = CliRunner().invoke(app, ["check", "--config", str(config)])

    assert result.exit_code == 2
    assert f"{mapping} status.PENDING_REVIEW.cancelled: must be 0 or 1" in result.output
    assert f"{mapping} lines.tax.as: must be 'header' or 'line'" in result.output


def test_slpay_check_reports_a_cross_field_problem_of_the_mapping(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path, {"order_number": {"to": "User2"}})
    config = tmp_path / "slpay.yaml"
    config.write_text(
        yaml.safe_dump({"mapping": {"path": str(mapping)}, "sl": {"so_label_field": "User2"}})
    )

    result = CliRunner().invoke(app, ["check", "--config", str(config)])

    assert result.exit_code == 2
    assert f"{mapping} order_number.to: User2 already holds the status label" in result.output


def test_slpay_check_accepts_an_edited_mapping(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path, {"status": {"AUTHORIZED": {"label": "Approved"}}})
    config = tmp_path / "slpay.yaml"
    config.write_text(yaml.safe_dump({"mapping": {"path": str(mapping)}}))

    result = CliRunner().invoke(app, ["check", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output
