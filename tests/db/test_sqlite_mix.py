"""The embedded SQLite database under the normal mix of processes, for up to a minute.

serve (waitress) answers page loads and webhook pushes while the scheduler back-fills, scans,
raises alerts and mirrors to the portal outbox, and an operator runs `tthc-monitor ingest` in a
loop: every request, every command and every job must succeed, and every pushed record must be
stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select

from service.models import ConnectorRun, Dossier
from tests.pages_support import PASSWORD, TOKEN_RE
from tests.processes import Process, clean_env, free_port, migrate_and_add_clerk, run_cli

DURATION = 60.0
PUSH_SIZE = 20
TOKEN = secrets.token_urlsafe(24)
VN = dt.timezone(dt.timedelta(hours=7))
# What a job, the lease or a request reports when the database refused it.
FAULTS = (r"database is locked|ERROR|Traceback|[1-9]\d* failed|lease lost|does not hold the lease"
          r"|OperationalError")


def write_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
database_url = "sqlite:///{tmp_path / 'mix.db'}"
secret_key = "khoa-bi-mat-cua-xa-thanh-mien-2026"
[server]
port = {port}
[scheduler]
lease_seconds = 15
[scheduler.jobs.scan]
every_seconds = 5
[scheduler.jobs.alerts]
every_seconds = 5
[scheduler.jobs.sync]
every_seconds = 10
[scheduler.jobs.reconcile]
every_seconds = 20
[web]
password_time_cost = 1
password_memory_kib = 8192
[[units]]
code = "000.32.26.H26"
name = "UBND xã Thanh Miện"
[connectors.simulator]
type = "simulator"
seed = 2026
unit_code = "000.32.26.H26"
per_day_min = 40
per_day_max = 60
backfill_days = 60
interval_minutes = 1
[connectors.push]
type = "webhook"
token_sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"
unit_code = "000.32.26.H26"
""", encoding="utf-8")
    return path


def pushed_record(number: int) -> dict[str, object]:
    received = dt.datetime.now(VN) - dt.timedelta(days=1)
    return {"code": f"PUSH-{number:06d}", "procedure_code": "9.000001",
            "procedure_name": "Thủ tục thử đẩy", "limit_value": 3,
            "limit_unit": "working_days", "applicant_name": "Nguyễn Văn Bình", "channel": 2,
            "status": 4, "received_at": received.isoformat(),
            "events": [{"at": received.isoformat(), "status": 4}]}


class Mix:
    """The load generators: each records what went wrong, none stops the others."""

    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url, self.env = url, env
        self.deadline = time.monotonic() + DURATION
        self.stop = threading.Event()
        self.faults: list[str] = []
        self.pushed: list[str] = []
        self.counts = {"pages": 0, "pushes": 0, "ingests": 0}

    def running(self, pace: float) -> bool:
        """Whether to go on; waits `pace` seconds between rounds (a steady, bounded load)."""
        return not self.stop.wait(pace) and time.monotonic() < self.deadline

    def ingest_loop(self) -> None:
        while self.running(0.5):
            done = run_cli(["ingest", "simulator"], self.env, timeout=120)
            self.counts["ingests"] += 1
            if done.returncode != 0:
                self.faults.append(f"ingest exit {done.returncode}: {done.stderr[-500:]}")

    def push_loop(self) -> None:
        number = 0
        while self.running(1.0):
            batch = [pushed_record(number + i) for i in range(PUSH_SIZE)]
            number += PUSH_SIZE
            answer = requests.post(f"{self.url}/api/v1/ingest/push", json=batch, timeout=90,
                                   headers={"Authorization": f"Bearer {TOKEN}"})
            self.counts["pushes"] += 1
            if answer.status_code != 200:
                self.faults.append(f"push {answer.status_code}: {answer.text[:300]}")
                continue
            self.pushed += [r["code"] for r in answer.json()["results"]
                            if r["result"] in ("created", "updated", "unchanged")]

    def page_loop(self) -> None:
        browser = requests.Session()
        page = browser.get(f"{self.url}/dang-nhap", timeout=30)
        token = TOKEN_RE.search(page.text).group(1)  # type: ignore[union-attr]
        signed = browser.post(f"{self.url}/dang-nhap", timeout=30, allow_redirects=False,
                              data={"username": "lan", "password": PASSWORD,
                                    "csrf_token": token})
        if signed.status_code != 302:
            self.faults.append(f"sign-in {signed.status_code}")
        paths = ("/tong-quan", "/ho-so", "/tra-cuu", "/healthz", "/bao-cao")
        while self.running(0.2):
            path = paths[self.counts["pages"] % len(paths)]
            answer = browser.get(f"{self.url}{path}", timeout=60, allow_redirects=False)
            self.counts["pages"] += 1
            if answer.status_code != 200:
                self.faults.append(f"GET {path} {answer.status_code}")


def run_all(loops: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=loop, daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION + 180)


@pytest.mark.slow
def test_serve_scheduler_ingest_pushes_and_pages_together_lose_nothing(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    env = clean_env({"TTHC_CONFIG": str(config)})
    migrate_and_add_clerk(env, "lan", PASSWORD)
    server = Process.cli(["serve"], env)
    scheduler = Process.cli(["scheduler"], env)
    try:
        server.wait_for(r"Serving on http://")
        scheduler.wait_for(r"scheduler started with")
        mix = Mix(f"http://127.0.0.1:{port}", env)
        run_all([mix.ingest_loop, mix.push_loop, mix.page_loop])
    finally:
        mix.stop.set()
        codes = {"scheduler": scheduler.stop(), "serve": server.stop()}
    logs = scheduler.log() + server.log()
    assert mix.faults == [], "\n".join(mix.faults) + "\n" + logs
    assert codes == {"scheduler": 0, "serve": 0}, logs
    assert not re.search(FAULTS, logs), logs
    assert min(mix.counts.values()) > 0, mix.counts
    engine = create_engine(f"sqlite:///{tmp_path / 'mix.db'}")
    with engine.connect() as conn:
        stored = set(conn.scalars(select(Dossier.code).where(Dossier.code.like("PUSH-%"))))
        errors = conn.scalars(select(ConnectorRun.error).where(ConnectorRun.error.is_not(None)))
        errors = list(errors)
        simulated = conn.scalar(select(func.count()).select_from(Dossier)
                                .where(Dossier.source == "simulator"))
    engine.dispose()
    assert len(mix.pushed) == mix.counts["pushes"] * PUSH_SIZE
    assert stored == set(mix.pushed)
    assert errors == []
    assert simulated > 2000
