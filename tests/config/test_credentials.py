"""Secrets by reference: TTHC_* secret variables never collide with key overrides; *_file keys."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from service.alerts.channels import build_channels
from service.cli.context import load_settings
from service.config import ConfigError
from service.config.credentials import SecretError, read_secret
from service.config.settings import Settings

DOCUMENTED_SECRETS = {"TTHC_SMTP_PASSWORD": "smtp", "TTHC_ALERT_WEBHOOK_TOKEN": "hook",
                      "TTHC_PUSH_HMAC_SECRET": "push", "TTHC_OPENCPS_PASSWORD": "opencps"}
CHANNELS_ON = {"alerts": {"email": {"host": "127.0.0.1"},
                          "webhook": {"url": "http://127.0.0.1:9/hook"}}}


def test_documented_secret_variables_are_not_taken_for_keys() -> None:
    settings = load_settings("config.toml", environ={**DOCUMENTED_SECRETS,
                                                   "TTHC_SERVER__PORT": "9000"},
                           overrides=CHANNELS_ON)
    assert settings["server"]["port"] == 9000
    channels = build_channels(Settings.from_dict(settings).alerts, DOCUMENTED_SECRETS)
    assert channels["email"].password == "smtp"  # type: ignore[attr-defined]
    assert channels["webhook"].token == "hook"  # type: ignore[attr-defined]


def test_a_variable_that_is_no_key_and_no_reference_is_named_in_a_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="service.config"):
        load_settings("config.toml", environ={"TTHC_SERVER__PROT": "9000",
                                            "TTHC_SMTP_PASSWORD": "smtp"})
    assert "TTHC_SERVER__PROT" in caplog.text
    assert "TTHC_SMTP_PASSWORD" not in caplog.text


def test_connector_keys_are_known_by_the_connector_type() -> None:
    settings = load_settings("config.toml", environ={"TTHC_CONNECTORS__SIMULATOR__SEED": "7",
                                                   "TTHC_CONNECTORS__SIMULATOR__PASSWORD": "x"})
    assert settings["connectors"]["simulator"]["seed"] == 7
    assert "password" not in settings["connectors"]["simulator"]


def test_a_reference_to_a_key_override_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"alerts\.email\.password_env.*TTHC_SECRET_KEY"):
        load_settings("config.toml", environ={},
                    overrides={"alerts": {"email": {"password_env": "TTHC_SECRET_KEY"}}})


def test_a_secret_file_wins_and_relative_names_are_in_the_credentials_directory(
        tmp_path: Path) -> None:
    (tmp_path / "smtp").write_text("from-file\n", encoding="utf-8")
    options = {"password_file": "smtp", "password_env": "TTHC_SMTP_PASSWORD"}
    environ = {"CREDENTIALS_DIRECTORY": str(tmp_path), "TTHC_SMTP_PASSWORD": "from-env"}
    assert read_secret(options, "password", environ) == "from-file"
    assert read_secret({"password_env": "TTHC_SMTP_PASSWORD"}, "password", environ) == "from-env"
    absolute = {"password_file": str(tmp_path / "smtp")}
    assert read_secret(absolute, "password", {}) == "from-file"


def test_an_unreadable_secret_file_names_the_key_and_path(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match=r"password_file: cannot read .*absent"):
        read_secret({"password_file": str(tmp_path / "absent")}, "password", {})


def test_secret_files_are_accepted_by_every_section(tmp_path: Path) -> None:
    settings = load_settings("config.toml", environ={}, overrides={
        "alerts": {"email": {"password_file": "smtp"}, "webhook": {"token_file": "hook"}},
        "portal": {"password_file": "dvcqg"},
        "connectors": {"push": {"type": "webhook", "hmac_secret_file": "push",
                                "unit_code": "000.32.26.H26"},
                       "mc": {"type": "opencps", "base_url": "http://127.0.0.1:9",
                              "group_id": "1", "username": "u", "password_file": "mc"}}})
    assert settings["connectors"]["mc"]["password_file"] == "mc"
    assert settings["portal"]["password_file"] == "dvcqg"
