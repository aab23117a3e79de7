"""The command line: upgrade, catalogue import, ingest, dossier show."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.configs import quick_simulator, write_config

CLI = [sys.executable, "-m", "service.cli.run"]


# Each test starts `tthc-monitor` in subprocesses, seconds each.
pytestmark = pytest.mark.slow


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(tmp_path / "config.toml", {
        "database_url": f"sqlite:///{tmp_path / 'cli.db'}", **quick_simulator(3)})


def tthc(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())}
    return subprocess.run([*CLI, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_upgrade_ingest_and_show(config_file: Path) -> None:
    done = tthc(config_file, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert "25 procedure(s) added" in done.stdout
    done = tthc(config_file, "ingest", "simulator")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("simulator: run 1: fetched ")
    assert "; cursor none -> {" in done.stdout
    created = int(done.stdout.split("created ")[1].split(",")[0])
    assert created > 0
    # The second run resumes where the first stopped: it reads only what the simulator did
    # in the seconds between the runs (often nothing), never the back-fill again.
    again = tthc(config_file, "ingest")
    assert again.stdout.startswith("simulator: run 2: fetched "), again.stderr
    assert "; cursor {" in again.stdout
    assert int(again.stdout.split("fetched ")[1].split(",")[0]) < created / 10
    code = done_code(config_file)
    shown = tthc(config_file, "dossier", "show", code, "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["code"] == code and data["history"]
    assert "0912" not in shown.stdout and "applicant_phone" not in data


def done_code(config: Path) -> str:
    import sqlite3

    url = [line for line in config.read_text().splitlines() if line.startswith("database_url")]
    path = url[0].split("sqlite:///")[1].rstrip('"')
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT code FROM dossier ORDER BY code LIMIT 1").fetchone()[0]


def test_unknown_dossier_and_connector_fail_clearly(config_file: Path) -> None:
    tthc(config_file, "db", "upgrade")
    done = tthc(config_file, "dossier", "show", "NOPE")
    assert done.returncode == 1 and "no dossier with code NOPE" in done.stderr
    done = tthc(config_file, "ingest", "opencps9")
    assert done.returncode == 1 and "no connector 'opencps9'" in done.stderr


def test_procedures_import_csv_and_xlsx(config_file: Path, tmp_path: Path) -> None:
    tthc(config_file, "db", "upgrade")
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("code,name,linh_vuc,handler,limit,unit\n"
                        "1.999001,Thủ tục thử,Hộ tịch,UBND xã,4,working_days\n", encoding="utf-8")
    done = tthc(config_file, "procedures", "import", str(csv_file))
    assert "1 created, 0 updated" in done.stdout, done.stderr
    book = Workbook()
    book.active.append(["code", "name", "linh_vuc", "handler", "limit", "unit"])
    book.active.append(["1.999001", "Thủ tục thử", "Hộ tịch", "UBND xã", 5, "working_days"])
    book.save(tmp_path / "p.xlsx")
    done = tthc(config_file, "procedures", "import", str(tmp_path / "p.xlsx"))
    assert "0 created, 1 updated" in done.stdout, done.stderr


def test_procedures_import_names_the_bad_row(config_file: Path, tmp_path: Path) -> None:
    tthc(config_file, "db", "upgrade")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,linh_vuc,handler,limit,unit\n"
                   "1.999001,A,Hộ tịch,,3,working_days\n1.999002,B,Hộ tịch,,3,weeks\n",
                   encoding="utf-8")
    done = tthc(config_file, "procedures", "import", str(bad))
    assert done.returncode == 1
    assert "bad.csv row 3, column unit: 'weeks'" in done.stderr
