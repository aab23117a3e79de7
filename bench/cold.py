"""Empty the caches between a benchmark's database files and its next query (a cold read).

SQLite: the file's pages are dropped from the OS page cache (posix_fadvise DONTNEED, after
the connections that map it are closed). PostgreSQL on this machine: the schema's relations are
pushed out of shared_buffers by reading a filler table twice its size through them
(pg_prewarm), then their files are dropped from the OS page cache; this needs a superuser and
the right to open the server's files, and tells how much stayed in shared_buffers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

FILLER = "bench_cold_filler"
# The schema's tables and indexes, their TOAST tables and the indexes of those.
RELATIONS = f"""
WITH own AS (SELECT oid, reltoastrelid FROM pg_class
             WHERE relnamespace = current_schema()::regnamespace AND relname <> '{FILLER}')
SELECT c.oid, pg_relation_filepath(c.oid) FROM pg_class c
WHERE c.relkind IN ('r', 'i', 't', 'm') AND (c.oid IN (SELECT oid FROM own)
   OR c.oid IN (SELECT reltoastrelid FROM own)
   OR c.oid IN (SELECT indexrelid FROM pg_index
                WHERE indrelid IN (SELECT reltoastrelid FROM own)))
"""


def evict_files(paths: Iterable[Path]) -> int:
    """Write back and drop the files' pages from the OS page cache; return their bytes."""
    total = 0
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)  # dirty pages cannot be dropped
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            total += os.fstat(descriptor).st_size
        finally:
            os.close(descriptor)
    return total


def sqlite_cold(database: Path) -> Callable[[], int]:
    """A function dropping a SQLite database (and its WAL) from the page cache; returns 0,
    the bytes still cached in the database's own processes (none once its engine is disposed)."""
    def evict() -> int:
        evict_files(p for p in (database, Path(f"{database}-wal")) if p.exists())
        return 0
    return evict


def _extension_schema(conn: Connection, name: str) -> str:
    """Create an extension if missing (in public) and return the schema holding it."""
    conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {name} SCHEMA public"))
    return conn.scalar(text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                            "WHERE extname = :name"), {"name": name})


def _segments(folder: Path, node: str) -> list[Path]:
    """A relation's files: its segments and the free-space and visibility-map forks."""
    pattern = re.compile(rf"{node}(_(fsm|vm|init))?(\.\d+)?")
    return [path for path in folder.iterdir() if pattern.fullmatch(path.name)]


def postgres_cold(engine: Engine) -> Callable[[], int]:
    """A function emptying the caches of the engine's schema; returns bytes left in
    shared_buffers. Raises PermissionError when this process may not open the server's files."""
    with engine.begin() as conn:
        prewarm, buffercache = (_extension_schema(conn, "pg_prewarm"),
                                _extension_schema(conn, "pg_buffercache"))
        data = Path(conn.scalar(text("SHOW data_directory")))
        shared = conn.scalar(text("SELECT pg_size_bytes(current_setting('shared_buffers'))"))
        if conn.scalar(text("SELECT to_regclass(:name)"), {"name": FILLER}) is None:
            rows = 2 * shared // 8192 * 7  # seven 1 000-byte rows fill a page
            conn.execute(text(f"CREATE UNLOGGED TABLE {FILLER} AS SELECT repeat('x', 1000) "
                              f"AS pad FROM generate_series(1, {rows})"))
    with engine.connect() as conn:
        relations = dict(conn.execute(text(RELATIONS)).all())
    files = [path for relative in relations.values()
             for path in _segments((data / relative).parent, Path(relative).name)]
    os.close(os.open(files[0], os.O_RDONLY))  # PermissionError now rather than mid-run
    cached = text(f"""SELECT count(*) * current_setting('block_size')::int
        FROM {buffercache}.pg_buffercache b JOIN pg_class c
          ON b.relfilenode = pg_relation_filenode(c.oid)
        WHERE b.reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND c.oid = ANY(:oids)""")

    def evict() -> int:
        with engine.connect() as conn:
            left = 0
            for _ in range(4):  # a buffer used often survives a few passes of the clock
                conn.execute(text(f"SELECT {prewarm}.pg_prewarm('{FILLER}'::regclass, 'buffer')"))
                left = conn.scalar(cached, {"oids": list(relations)})
                if left == 0:
                    break
            conn.rollback()
        evict_files(files)
        return left
    return evict
