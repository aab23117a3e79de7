"""/healthz reports the database's writability and the scheduler's heartbeat; the lookup 503s."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from migrations import upgrade
from service.models import SchedulerLease
from service.runtime import Runtime
from service.web import create_app
from tests.conftest import make_settings
from tests.pages_support import TOKEN_RE

DOWN = "postgresql+psycopg://tthc@127.0.0.1:1/tthc?connect_timeout=2"


def app_on(url: str) -> Any:
    settings = make_settings(url)
    return create_app(settings, Runtime.from_settings(settings))


def migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    runtime = Runtime.from_settings(make_settings(url))
    upgrade(runtime.engine)
    runtime.engine.dispose()
    return url


def test_health_reports_the_scheduler_heartbeat(tmp_path: Path) -> None:
    url = migrated(tmp_path)
    app = app_on(url)
    client = app.test_client()
    absent = client.get("/healthz")
    assert absent.status_code == 200
    assert absent.json["status"] == "degraded" and absent.json["scheduler"] == "absent"
    runtime = app.extensions["tthc"]
    now = dt.datetime.now(dt.UTC)
    with runtime.sessions.begin() as session:
        session.add(SchedulerLease(name="scheduler", holder="may-chu:4242:ab12cd",
                                   acquired_at=now, expires_at=now + dt.timedelta(seconds=50)))
    fresh = client.get("/healthz").json
    assert (fresh["status"], fresh["database"], fresh["scheduler"]) == ("ok", "ok", "ok")
    assert fresh["scheduler_holder"] == "may-chu:4242:ab12cd"
    # lease_seconds = 60: the last renewal was 10 s ago
    assert fresh["scheduler_heartbeat"] == (now - dt.timedelta(seconds=10)).isoformat()
    with runtime.sessions.begin() as session:
        session.get(SchedulerLease, "scheduler").expires_at = now - dt.timedelta(seconds=1)
    assert client.get("/healthz").json["scheduler"] == "stale"


def test_health_is_503_when_the_database_refuses_writes(tmp_path: Path) -> None:
    url = migrated(tmp_path)
    read_only = app_on(url.replace("sqlite:///", "sqlite:///file:") + "?mode=ro&uri=true")
    answer = read_only.test_client().get("/healthz")
    assert answer.status_code == 503
    # Reads still work, so the scheduler's state is told too (here it never ran).
    assert answer.json == {"status": "error",
                           "database": "OperationalError: attempt to write a readonly database",
                           "scheduler": "absent", "scheduler_holder": None,
                           "scheduler_heartbeat": None}
    down = app_on(DOWN).test_client().get("/healthz")
    assert down.status_code == 503 and down.json["scheduler"] == "unknown"


def test_the_lookup_answers_503_in_vietnamese_when_the_database_is_down() -> None:
    client = app_on(DOWN).test_client()
    token = TOKEN_RE.search(client.get("/tra-cuu").get_data(as_text=True)).group(1)
    page = client.post("/tra-cuu", data={"code": "000.32.26.H26-260302-0001",
                                         "factor": "4567", "csrf_token": token})
    assert page.status_code == 503
    assert "Hệ thống tra cứu đang tạm gián đoạn" in page.get_data(as_text=True)
    api = client.get("/api/v1/lookup/000.32.26.H26-260302-0001?factor=4567")
    assert api.status_code == 503
    assert api.json["message"].startswith("Hệ thống tra cứu đang tạm gián đoạn")
