"""The mirror's interfaces: the REST resources, `tthc-monitor sync` and the [portal] settings."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobs import sync
from service.cli import cli
from service.cli.context import load_settings
from service.config import ConfigError
from service.models import Base, PortalOutbox, PortalSync
from service.runtime import Runtime
from service.users.tokens import issue_token
from service.vocabulary import Status
from tests.configs import write_config
from tests.conftest import local
from tests.fixtures.dvcqg.source import Source

T0 = local(2026, 3, 2, 9)


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def tokens(session: Session) -> tuple[str, str]:
    """A read token and an admin token."""
    _, read = issue_token(session, "province", ["read"], T0)
    _, admin = issue_token(session, "operator", ["admin"], T0)
    session.commit()
    return read, admin


def test_sync_status_reports_counts_lag_ratio_and_last_run(runtime: Runtime, client: Any,
                                                          session: Session) -> None:
    source = Source(runtime)
    codes = [source.new(n, T0) for n in (1, 2)]
    source.deliver(T0)
    sync.run(runtime, T0, rng=random.Random(1))
    read, _ = tokens(session)
    assert client.get("/api/v1/sync/status").status_code == 401
    body = client.get("/api/v1/sync/status?unit=000.32.26.H26&start=2026-03-01&end=2026-03-31",
                      headers=bearer(read)).json
    assert body["counts"] == {"pending": 0, "synced": 2, "failed": 0, "not_required": 0}
    assert body["labels"]["synced"] == "Đã đồng bộ"
    assert (body["received"], body["on_portal"], body["synced_ratio"]) == (2, 2, 1.0)
    assert body["lag_seconds"] is None and body["last_sync"]["acked"] == 2
    assert body["last_sync"]["started_at"].endswith("+07:00")
    source.step(codes[0], Status.PROCESSING, T0 + dt.timedelta(hours=1))
    source.deliver(T0 + dt.timedelta(hours=1))
    assert client.get("/api/v1/sync/status?start=2026-04-01",
                      headers=bearer(read)).json["received"] == 0
    refused = client.get("/api/v1/sync/status?start=2026-04-01&end=2026-03-01",
                         headers=bearer(read))
    assert refused.status_code == 422 and refused.is_json


def test_dossier_sync_shows_state_and_payload_masked_unless_admin(
        runtime: Runtime, client: Any, session: Session) -> None:
    source = Source(runtime)
    code = source.new(1, T0)
    source.deliver(T0)
    read, admin = tokens(session)
    shown = client.get(f"/api/v1/dossiers/{code}/sync", headers=bearer(read))
    assert shown.status_code == 200, shown.json
    body = shown.json
    assert body["state"] == "pending" and body["state_label"] == "Chờ đồng bộ"
    assert body["attempts"] == 0 and body["last_error"] is None
    assert body["payload"]["MaHoSo"] == code and body["payload"]["TrangThaiHoSo"] == "2"
    assert "0987654321" not in shown.get_data(as_text=True)
    assert "036190001234" not in shown.get_data(as_text=True)
    assert [line["TrangThai"] for line in body["pending_lines"]] == ["2"]
    full = client.get(f"/api/v1/dossiers/{code}/sync", headers=bearer(admin)).json
    assert full["payload"]["SoDienThoai"] == "0987654321"
    missing = client.get("/api/v1/dossiers/NOPE/sync", headers=bearer(read))
    assert missing.status_code == 404 and "NOPE" in missing.json["message"]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """config.toml pointed at a fresh database that holds two dossiers."""
    path = write_config(tmp_path / "config.toml",
                        {"database_url": f"sqlite:///{tmp_path / 'cli.db'}"})
    runtime = Runtime.from_settings(load_settings(path, environ={}))
    Base.metadata.create_all(runtime.engine)
    source = Source(runtime)
    source.new(1, T0)
    source.new(2, T0)
    source.deliver(T0)
    runtime.engine.dispose()
    return path


def tthc(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def counts(config: Path) -> tuple[int, int]:
    runtime = Runtime.from_settings(load_settings(config, environ={}))
    with runtime.sessions() as session:
        found = (session.scalar(select(func.count()).select_from(PortalOutbox)) or 0,
                 session.scalar(select(func.count()).select_from(PortalSync)) or 0)
    runtime.engine.dispose()
    return found


def test_cli_dry_run_prints_the_payloads_and_writes_nothing(config_file: Path) -> None:
    done = tthc(config_file, "sync", "--dry-run")
    assert done.exit_code == 0, done.output
    calls = json.loads(done.stdout)
    assert [c["service"] for c in calls] == ["DongBoHoSoMC", "CapNhatTienDoHoSoMC"] * 2
    assert calls[0]["isUpdating"] == "False" and calls[0]["data"][0]["TrangThaiHoSo"] == "2"
    assert "4 call(s) would be sent (record mode)" in done.stderr
    assert counts(config_file) == (0, 0)


def test_cli_sync_sends_requeues_one_dossier_and_reconciles(config_file: Path) -> None:
    code = "000.32.26.H26-260302-0001"
    done = tthc(config_file, "sync")
    assert done.exit_code == 0, done.output
    assert f"{code}: created, 1 progress line(s)" in done.stdout
    assert "record mode: 2 compared, 2 pending, 2 acknowledged, 0 failed." in done.stdout
    assert tthc(config_file, "sync", "--dossier", code, "--dry-run").stdout.strip() == "[]"
    again = tthc(config_file, "sync", "--dossier", code, "--requeue")
    assert "1 dossier(s) re-queued." in again.stdout
    assert f"{code}: updated, 0 progress line(s)" in again.stdout
    assert counts(config_file) == (5, 2)
    checked = tthc(config_file, "sync", "--reconcile")
    assert "2 looked up, 0 mismatched." in checked.stdout
    unknown = tthc(config_file, "sync", "--dossier", "NOPE")
    assert unknown.exit_code == 1 and "no dossier with code NOPE" in unknown.stderr


@pytest.mark.parametrize(("portal", "message"), [
    ({"mode": "live"}, "portal.gateway_url"),
    ({"mode": "live", "gateway_url": "https://lgsp.example.gov.vn/dvcqg"}, "portal.username"),
    ({"mode": "push"}, "portal.mode"),
    ({"password_env": "TTHC_SECRET_KEY"}, "portal.password_env"),
    ({"password_env": "dvcqg password"}, "portal.password_env"),
    ({"not_required": [{"reason": "tất cả"}]}, "portal.not_required[0]"),
    ({"units": {"xã Thanh Miện": {"madonvi": "000.32.26.H26"}}}, "portal.units"),
    ({"retry": {"jitter": 2}}, "portal.retry.jitter"),
])
def test_bad_portal_settings_name_the_key(portal: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_settings("config.toml", environ={}, overrides={"portal": portal})


def test_environment_switches_the_mirror_to_live() -> None:
    settings = load_settings("config.toml", environ={
        "TTHC_PORTAL__MODE": "live", "TTHC_PORTAL__GATEWAY_URL": "https://lgsp.example.gov.vn/x",
        "TTHC_PORTAL__USERNAME": "motcua_thanhmien"})
    assert settings["portal"]["mode"] == "live"
    assert load_settings("config.toml", environ={})["portal"]["mode"] == "record"
