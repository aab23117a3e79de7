"""Configuration: defaults, validation messages, environment overrides, exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from service.cli.context import load_settings
from service.config import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_file_is_valid_and_complete() -> None:
    config = load_settings("config.toml", environ={})
    assert config["timezone"] == "Asia/Ho_Chi_Minh"
    assert config["database_url"].startswith("sqlite:///var/")
    assert config["connectors"]["simulator"]["type"] == "simulator"
    assert config["scheduler"]["enabled"] is True
    assert config["calendar"]["cutoff"] == "15:00"


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nprot = 80\n")
    with pytest.raises(ConfigError, match=r"unknown key 'server\.prot'"):
        load_settings(path, environ={})


def test_wrong_type_names_key_value_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, '[server]\nport = "eighty"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    message = str(info.value)
    assert "server.port" in message and "'eighty'" in message and "integer" in message
    assert "\n" not in message


def test_bad_value_in_a_list_names_the_index(tmp_path: Path) -> None:
    path = write(tmp_path, '[calendar]\nextra_days_off = [{date = "2026-13-01", reason = "x"}]\n')
    with pytest.raises(ConfigError, match=r"calendar\.extra_days_off\[0\]\.date"):
        load_settings(path, environ={})


def test_a_day_both_off_and_working_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[calendar]\n"
                 'extra_days_off = [{date = 2026-01-10, reason = "a"}]\n'
                 'extra_working_days = [{date = 2026-01-10, reason = "b"}]\n')
    with pytest.raises(ConfigError, match="also listed in extra_days_off"):
        load_settings(path, environ={})


def test_unknown_connector_type_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[connectors.x]\ntype = "nope"\n')
    with pytest.raises(ConfigError, match=r"connectors\.x\.type.*expected one of"):
        load_settings(path, environ={})


def test_environment_overrides_keys_and_tables(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    config = load_settings(path, environ={
        "TTHC_DATABASE_URL": "sqlite:///other.db", "TTHC_SECRET_KEY": "s" * 32,
        "TTHC_SERVER__PORT": "9000", "TTHC_SCHEDULER__ENABLED": "false", "PATH": "/bin"})
    assert config["database_url"] == "sqlite:///other.db"
    assert config["secret_key"] == "s" * 32
    assert config["server"]["port"] == 9000
    assert config["scheduler"]["enabled"] is False


def test_environment_value_is_validated_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="server.port"):
        load_settings(write(tmp_path, ""), environ={"TTHC_SERVER__PORT": "99999"})


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_cli_with_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nprot = 80\n")
    done = subprocess.run([sys.executable, "-m", "service.cli.run", "--config", str(path),
                           "serve"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "unknown key 'server.prot'" in done.stderr
    assert "Traceback" not in done.stderr
