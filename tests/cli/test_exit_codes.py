"""Commands exit non-zero with one line when the database refuses or cannot be reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.configs import quick_simulator, write_config
from tests.processes import clean_env, run_cli

COMMANDS = (["ingest"], ["ingest", "simulator"], ["scan"], ["sync"], ["db", "upgrade"],
            ["user", "list"], ["dossier", "show", "X"], ["quarantine", "list"])


def environment(tmp_path: Path, url: str) -> dict[str, str]:
    config = tmp_path / "config.toml"
    write_config(config, quick_simulator(2))
    return clean_env({"TTHC_CONFIG": str(config), "TTHC_DATABASE_URL": url})


@pytest.fixture
def read_only_url(tmp_path: Path) -> str:
    """A migrated SQLite file opened read-only (root ignores file modes, so SQLite's mode=ro)."""
    path = tmp_path / "ro.db"
    done = run_cli(["db", "upgrade"], environment(tmp_path, f"sqlite:///{path}"))
    assert done.returncode == 0, done.stderr
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def check_fails_in_one_line(env: dict[str, str], args: list[str], word: str) -> None:
    done = run_cli(args, env)
    assert done.returncode != 0, f"{args}: {done.stdout}{done.stderr}"
    # A logged traceback is folded into its one log line; none is printed raw.
    assert not any(line.startswith(("Traceback", "  File")) for line in done.stderr.splitlines())
    errors = [line for line in done.stderr.splitlines() if word in line]
    assert errors, f"{args}: {done.stderr}"


@pytest.mark.slow
def test_every_writing_command_fails_on_a_read_only_database(tmp_path: Path,
                                                              read_only_url: str) -> None:
    env = environment(tmp_path, read_only_url)
    for args in (["ingest"], ["ingest", "simulator"], ["scan"], ["sync"]):
        check_fails_in_one_line(env, args, "readonly database")


@pytest.mark.slow
def test_every_command_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = environment(tmp_path, "postgresql+psycopg://tthc@127.0.0.1:1/tthc?connect_timeout=2")
    for args in COMMANDS:
        check_fails_in_one_line(env, args, "127.0.0.1")


@pytest.mark.slow
def test_a_file_that_cannot_be_read_or_written_is_one_line(tmp_path: Path) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'files.db'}")
    assert run_cli(["db", "upgrade"], env).returncode == 0
    garbage = tmp_path / "danh-muc.xlsx"
    garbage.write_bytes(b"PK\x03\x04 not really a workbook" * 50)
    missing = tmp_path / "khong-co" / "ban-sao.bak"
    cases = ((["procedures", "import", str(garbage)], "not a readable XLSX workbook"),
             (["backup", str(missing)], "no such folder"),
             (["report", "form06", "--unit", "000.32.26.H26", "--period", "2026-Q4",
               "--out", str(missing.with_suffix(".xlsx"))], "No such file or directory"))
    for args, word in cases:
        check_fails_in_one_line(env, args, word)
