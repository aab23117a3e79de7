"""Backups of the whole database while it runs, and restoring one.

SQLite uses its online backup API: a consistent copy taken page by page under a read lock, so
the web app and the scheduler keep working (a plain `cp` of a WAL database can copy a file
that is neither the old state nor the new). PostgreSQL uses pg_dump's custom format (one
snapshot, restored with pg_restore).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.engine import URL, make_url

from service.db import make_engine
from service.models import SchedulerLease

PG_TIMEOUT_S = 3600


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why."""


def backup(database_url: str, target: Path) -> str:
    """Copy the database to `target` (written beside it first, then renamed); say what."""
    url = make_url(database_url)
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder to write the backup in")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    if url.get_backend_name() == "sqlite":
        with closing(_sqlite(url)) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
    elif url.get_backend_name() == "postgresql":
        _pg("pg_dump", url, "--format=custom", f"--file={partial}")
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")
    partial.replace(target)
    return f"{url.render_as_string(hide_password=True)} -> {target} " \
           f"({target.stat().st_size} bytes)"


def restore(database_url: str, source: Path) -> str:
    """Replace the database's whole content with a backup made by `backup`; say what."""
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as copy:
            _check_sqlite_copy(copy, source)
            with closing(_sqlite(url)) as live:
                copy.backup(live)
    elif url.get_backend_name() == "postgresql":
        _pg("pg_restore", url, "--clean", "--if-exists", "--no-owner", "--single-transaction",
            str(source))
    else:
        raise BackupError(f"no restore method for {url.get_backend_name()}")
    _forget_lease(database_url)
    return f"{source} -> {url.render_as_string(hide_password=True)}"


def _forget_lease(database_url: str) -> None:
    """Drop the scheduler lease the backup carried: its holder ran when the backup was made,
    not now, and would otherwise pass for a running scheduler until the lease lapsed (refusing
    the next restore, delaying a standby). A scheduler that is running takes it again."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(delete(SchedulerLease))
    finally:
        engine.dispose()


def _sqlite(url: URL) -> sqlite3.Connection:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return sqlite3.connect(url.database, timeout=30)


def _check_sqlite_copy(copy: sqlite3.Connection, source: Path) -> None:
    """Refuse a file that is not a sound tthc-monitor database before anything is replaced."""
    try:
        verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        copy.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source}: not a tthc-monitor database: {exc}") from None
    if verdict != "ok":
        raise BackupError(f"{source}: damaged: {verdict}")


def _pg(tool: str, url: URL, *args: str) -> None:
    """Run pg_dump or pg_restore on the database, the password passed outside argv."""
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    target = url.set(drivername="postgresql", password=None)
    done = subprocess.run([program, *args, f"--dbname={target.render_as_string()}"],
                          env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_S)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise BackupError(f"{tool} failed: {lines[-1] if lines else done.returncode}")
