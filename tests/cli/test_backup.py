"""backup while the scheduler runs, restore into an empty database: the same rows come back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from service.models import Base
from tests.configs import merged, quick_simulator, write_config
from tests.conftest import PG_URL
from tests.processes import ROOT, Process, clean_env, run_cli

FAST_JOBS = {"scheduler": {"jobs": {"scan": {"every_seconds": 1}, "sync": {"every_seconds": 2}}}}


def counts(url: str) -> dict[str, int]:
    """Rows per table, and the schema revision."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {table.name: conn.scalar(select(func.count()).select_from(table)) or 0
                 for table in Base.metadata.sorted_tables}
        found["revision"] = conn.scalar(text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A live database and an empty one to restore into."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'restored.db'}"
        return
    if not PG_URL:
        pytest.skip("TTHC_TEST_DATABASE_URL is not set: PostgreSQL tests need a server")
    server = make_url(PG_URL)
    names = [f"tthc_backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield tuple(server.set(database=n).render_as_string(hide_password=False)
                for n in names)  # type: ignore[misc]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.slow
def test_a_backup_taken_while_the_scheduler_runs_restores_whole(
        databases: tuple[str, str], tmp_path: Path) -> None:
    live, empty = databases
    config = tmp_path / "config.toml"
    write_config(config, merged(quick_simulator(3), FAST_JOBS))
    env = clean_env({"TTHC_CONFIG": str(config), "TTHC_DATABASE_URL": live})
    for step in (["db", "upgrade"], ["ingest"]):
        assert run_cli(step, env).returncode == 0
    scheduler = Process.cli(["scheduler"], env)
    archive = tmp_path / "sao-luu.bak"
    try:
        scheduler.wait_for(r"deadline scan: \d+ examined")
        made = run_cli(["backup", str(archive)], env)
        assert made.returncode == 0, made.stderr
        refused = run_cli(["restore", "--yes", str(archive)], env)
        assert refused.returncode == 1 and "stop the services first" in refused.stderr
    finally:
        assert scheduler.stop() == 0, scheduler.log()
    restored = run_cli(["restore", "--yes", str(archive)], {**env, "TTHC_DATABASE_URL": empty})
    assert restored.returncode == 0, restored.stderr
    source, copy = counts(live), counts(empty)
    assert copy["dossier"] == source["dossier"] > 100
    assert copy["status_event"] == source["status_event"]
    assert copy["revision"] == source["revision"]
    # The backup's scheduler is not running on the restored database: its lease is dropped,
    # so nothing passes for a running scheduler there.
    assert copy["scan_state"] == 1 and copy["scheduler_lease"] == 0


def test_a_file_that_is_no_backup_is_refused_before_anything_changes(tmp_path: Path) -> None:
    env = clean_env({"TTHC_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}",
                     "TTHC_CONFIG": str(ROOT / "config.toml")})
    assert run_cli(["db", "upgrade"], env).returncode == 0
    garbage = tmp_path / "khong-phai.bak"
    garbage.write_bytes(b"not a database" * 100)
    done = run_cli(["restore", "--yes", str(garbage)], env)
    assert done.returncode == 1 and "not a tthc-monitor database" in done.stderr
    assert counts(env["TTHC_DATABASE_URL"])["revision"]
