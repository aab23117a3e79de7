"""Kill -9 an ingest process mid-run, run it again: no record lost, none stored twice."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from service.models import Base, ConnectorRun, Dossier, StatusEvent
from service.procedures import builtin_catalogue
from service.procedures.store import upsert_catalogue
from service.runtime import Runtime
from service.vocabulary import Status
from tests.configs import write_config
from tests.conftest import make_settings

ROWS = 2_500
BATCH_ROWS = 100
HEADERS = ["STT", "Mã hồ sơ", "Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Chủ hồ sơ",
           "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả", "Trạng thái"]


def write_export(path: Path, rows: int) -> None:
    """A large export: every third dossier already returned, the rest in progress."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADERS)
        for n in range(rows):
            day = 2 + n % 20
            done = n % 3 == 0
            out.writerow([n + 1, f"000.32.26.H26-2603{day:02d}-{n:06d}", "1.001193",
                          "Thủ tục đăng ký khai sinh", "Hộ tịch", f"Công dân số {n}",
                          f"{day:02d}/03/2026 08:{n % 60:02d}", f"{day + 3:02d}/03/2026",
                          f"{day + 1:02d}/03/2026 10:00" if done else "",
                          "Đã trả kết quả" if done else "Đang xử lý"])


def drop_config(path: Path, database_url: str, folder: Path) -> None:
    write_config(path, {"database_url": database_url, "connectors": {"drop": {
        "type": "spreadsheet", "unit_code": "000.32.26.H26", "folder": str(folder),
        "settle_seconds": 0, "batch_rows": BATCH_ROWS}}})


def ingest(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start `tthc-monitor ingest drop` in its own process, output to a log file."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())}
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "service.cli.run", "--config",
                                 str(config), "ingest", "drop"], stdout=out,
                                stderr=subprocess.STDOUT, env=env)


def committed_batches(runtime: Runtime) -> int:
    try:
        with runtime.sessions() as session:
            return session.scalar(select(func.max(ConnectorRun.batches))) or 0
    except OperationalError:  # SQLite busy while the writer commits; ask again
        return 0


def kill_after_batches(process: subprocess.Popen[bytes], runtime: Runtime, batches: int,
                       deadline_s: float = 120) -> None:
    """Poll the database until `batches` are committed, then SIGKILL the process."""
    deadline = time.monotonic() + deadline_s
    while committed_batches(runtime) < batches:
        assert process.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline, "the ingest never committed enough batches"
        time.sleep(0.05)  # a short polling step, bounded by the deadline above
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.slow
def test_killed_ingest_resumes_without_losing_or_duplicating(database_url: str,
                                                             tmp_path: Path) -> None:
    runtime = Runtime.from_settings(make_settings(database_url))
    Base.metadata.create_all(runtime.engine)
    with runtime.sessions.begin() as session:
        upsert_catalogue(session, builtin_catalogue())
    folder, config = tmp_path / "drop", tmp_path / "config.toml"
    folder.mkdir()
    write_export(folder / "export.csv", ROWS)
    drop_config(config, database_url, folder)
    try:
        first = ingest(config, tmp_path / "first.log")
        kill_after_batches(first, runtime, batches=3)
        assert first.returncode == -signal.SIGKILL
        with runtime.sessions() as session:
            before = session.scalar(select(func.count()).select_from(Dossier))
        assert 0 < before < ROWS and before % BATCH_ROWS == 0  # only whole batches landed

        second = ingest(config, tmp_path / "second.log")
        assert second.wait(timeout=600) == 0, (tmp_path / "second.log").read_text()
        with runtime.sessions() as session:
            runs = session.scalars(select(ConnectorRun).order_by(ConnectorRun.id)).all()
            codes = session.scalars(select(Dossier.code)).all()
            returned = session.scalar(select(func.count()).select_from(Dossier)
                                      .where(Dossier.status == Status.RETURNED))
            events = session.scalar(select(func.count()).select_from(StatusEvent))
        assert runs[0].error.startswith("interrupted") and runs[1].error is None
        assert runs[1].created == ROWS - before and runs[1].unchanged == 0  # resumed, not redone
        assert len(codes) == len(set(codes)) == ROWS
        assert returned == len(range(0, ROWS, 3))
        assert events == ROWS + returned  # receipt line for all, return line for the returned
        assert not (folder / "export.csv").exists()
    finally:
        runtime.engine.dispose()
