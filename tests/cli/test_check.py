"""`tthc-monitor check`: one line per check, exit 1 when any fails; nothing sent."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerts_support import Mailbox, smtp_server
from tests.fixtures.dvcqg.gateway import GatewayEmulator
from tests.processes import clean_env, run_cli

UNIT = '[[units]]\ncode = "000.32.26.H26"\nname = "UBND xã Thanh Miện"\n'


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def gateway() -> Iterator[GatewayEmulator]:
    emulator = GatewayEmulator(username="motcua", password="mat-khau-cong")
    emulator.start()
    yield emulator
    emulator.stop()


def write_config(tmp_path: Path, smtp_port: int, gateway_url: str, secret: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
database_url = "sqlite:///{tmp_path / 'check.db'}"
secret_key = "{secret}"
{UNIT}
[lookup]
public_url = "https://dichvucong.thanhmien.gov.vn"
[portal]
mode = "live"
gateway_url = "{gateway_url}"
username = "motcua"
password_file = "dvcqg"
[alerts.email]
host = "127.0.0.1"
port = {smtp_port}
username = "canhbao"
[connectors.simulator]
type = "simulator"
unit_code = "000.32.26.H26"
backfill_days = 1
""", encoding="utf-8")
    return path


def check(tmp_path: Path, config: Path, smtp_password: str) -> tuple[int, list[str]]:
    env = clean_env({"TTHC_CONFIG": str(config), "TTHC_SMTP_PASSWORD": smtp_password,
                     "CREDENTIALS_DIRECTORY": str(tmp_path / "credentials")})
    done = run_cli(["check"], env)
    return done.returncode, done.stdout.splitlines() + done.stderr.splitlines()


@pytest.mark.slow
def test_a_ready_deployment_passes_every_check_without_sending_anything(
        tmp_path: Path, mailbox: Mailbox, gateway: GatewayEmulator) -> None:
    (tmp_path / "credentials").mkdir()
    (tmp_path / "credentials" / "dvcqg").write_text("mat-khau-cong\n", encoding="utf-8")
    config = write_config(tmp_path, mailbox.port, gateway.url, secrets.token_urlsafe(32))
    env = clean_env({"TTHC_CONFIG": str(config)})
    assert run_cli(["db", "upgrade"], env).returncode == 0
    code, lines = check(tmp_path, config, "mat-khau-smtp")
    assert code == 0, lines
    levels = {line.split()[1].rstrip(":"): line.split()[0] for line in lines}
    assert levels == {"configuration": "ok", "database": "ok", "secret_key": "ok",
                      "public_url": "ok", "e-mail": "ok", "connector": "ok", "portal": "ok",
                      "clock": "ok"}
    assert mailbox.logins == [("canhbao", "mat-khau-smtp")] and mailbox.mails == []
    assert gateway.logins == 1 and gateway.dossiers == {}


@pytest.mark.slow
def test_each_problem_is_one_failing_line_and_the_exit_code_is_1(
        tmp_path: Path, mailbox: Mailbox, gateway: GatewayEmulator) -> None:
    config = write_config(tmp_path, mailbox.port, gateway.url, "dev-only-change-me-in-production")
    code, lines = check(tmp_path, config, "sai-mat-khau")  # and no migration, no credentials
    assert code == 1
    failing = {line.split()[1].rstrip(":") for line in lines if line.startswith("fail ")}
    assert failing == {"database", "secret_key", "e-mail", "portal"}, lines
    assert "run `tthc-monitor db upgrade`" in next(x for x in lines if " database:" in x)
    assert "password_file: cannot read" in next(x for x in lines if " portal:" in x)
    assert lines[-1] == "4 check(s) failed: database, secret_key, e-mail, portal"
