"""`tthc-monitor token create|list|revoke` and the tokens it makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine

from service.cli import cli
from service.cli.context import load_settings
from service.models import Base
from service.web import create_app


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    database = tmp_path / "tokens.db"
    engine = create_engine(f"sqlite:///{database}")
    Base.metadata.create_all(engine)
    engine.dispose()
    path = tmp_path / "config.toml"
    path.write_text(f'database_url = "sqlite:///{database}"\n', encoding="utf-8")
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def test_created_token_opens_the_api_until_revoked(config_file: Path) -> None:
    created = run(config_file, "token", "create", "province", "--scope", "read")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("tthc_")
    client = create_app(load_settings(config_file, environ={})).test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/units", headers=headers).status_code == 200

    listed = run(config_file, "token", "list")
    assert "province\tread" in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout

    assert run(config_file, "token", "revoke", "province").exit_code == 0
    assert client.get("/api/v1/units", headers=headers).status_code == 401
    assert "revoked" in run(config_file, "token", "list").stdout


def test_bad_requests_fail_with_a_message(config_file: Path) -> None:
    assert run(config_file, "token", "create", "a", "--scope", "root").exit_code == 2
    assert run(config_file, "token", "create", "a").exit_code == 0
    again = run(config_file, "token", "create", "a")
    assert again.exit_code == 1 and "already exists" in again.output
    missing = run(config_file, "token", "revoke", "nobody")
    assert missing.exit_code == 1 and "no token named" in missing.output
