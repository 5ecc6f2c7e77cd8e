"""Settings are read once from file and environment, and errors name the field."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from slpay.cli import app
from slpay.config import load_settings
from slpay.errors import ConfigError


def test_defaults_point_at_the_embedded_sandbox() -> None:
    s = load_settings()
    assert s.cybersource.base_url.startswith("http://127.0.0.1")
    assert s.cybersource.host == "apitest.cybersource.com"


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "slpay.yaml"
    f.write_text("cybersource:\n  merchant_id: from_file\n  timeout_s: 5\n")
    monkeypatch.setenv("SLPAY_CYBERSOURCE__MERCHANT_ID", "from_env")
    s = load_settings(f)
    assert s.cybersource.merchant_id == "from_env"
    assert s.cybersource.timeout_s == 5


def test_secret_read_from_secrets_dir_and_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cybersource__shared_secret").write_text("c2VjcmV0LWZyb20tZmlsZQ==")
    monkeypatch.setenv("SLPAY_SECRETS_DIR", str(tmp_path))
    s = load_settings()
    assert s.cybersource.shared_secret.get_secret_value() == "c2VjcmV0LWZyb20tZmlsZQ=="
    assert "c2VjcmV0" not in repr(s)


def test_bad_field_is_named_with_its_source(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("cybersource:\n  shared_secret: 'not base64!!'\n")
    with pytest.raises(ConfigError) as err:
        load_settings(f)
    assert "cybersource.shared_secret" in str(err.value)
    assert str(f) in str(err.value)


def test_slpay_check_names_unknown_setting_and_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("cybersource:\n  timeout_s: -1\n")
    result = CliRunner().invoke(app, ["check", "--config", str(f)])
    assert result.exit_code == 2
    assert "cybersource.timeout_s" in result.output


def test_slpay_check_accepts_defaults() -> None:
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output
