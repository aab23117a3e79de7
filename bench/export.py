"""Benchmark the dossier list export of 100 000 rows: seconds, peak memory, goal ≤ 5 s.

    python bench/export.py                          # SQLite, and PostgreSQL when
                                                    # TTHC_TEST_DATABASE_URL is set
    python bench/export.py --sqlite-file /tmp/export.db --pg-schema bench_export   # kept
    python bench/export.py --profile                # cProfile of one export, top functions

The export runs as a browser asks for it: GET /ho-so/xuat.xlsx through the Flask test client
by a signed-in admin (every unit), the body read chunk by chunk as it streams and dropped. The
reference, timed in the same process, reads the same 100 000 rows' columns with a plain
select; the ratio to it tells a slow export from a loaded machine. Peak memory is what Python
allocated during one export (tracemalloc, in a separate run since tracing slows it), for a
quarter's rows and for 100 000: a streamed export keeps the two close.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.reportdata import TZ  # noqa: E402
from bench.reports import BenchRuntime, postgres_target, prepared  # noqa: E402
from bench.webtiming import Figure, Goal, report, signed_in, timed  # noqa: E402
from service.cli.context import load_settings  # noqa: E402
from service.models import Dossier, Procedure, Unit  # noqa: E402
from service.reports.exports import LIST_FIELDS  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.web import create_app  # noqa: E402
from service.web.pages.dossiers import EXPORT_LIMIT  # noqa: E402

GOAL = Goal(5.0)
SMALL_FROM = dt.date(2026, 10, 1)  # a quarter's dossiers: about 9 000 of 100 000


def streamed(client: FlaskClient, url: str) -> Callable[[], int]:
    """A download of url read chunk by chunk, as a browser receives it; returns its bytes."""
    def get() -> int:
        response = client.get(url, buffered=False)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        return size
    return get


def reference(runtime: Runtime, rows: int) -> Callable[[], object]:
    """Read the export's columns of `rows` dossiers with a plain select, nothing written."""
    query = (select(*LIST_FIELDS).join(Procedure, Procedure.id == Dossier.procedure_id)
             .join(Unit, Unit.id == Dossier.unit_id).order_by(Dossier.id).limit(rows))

    def read() -> None:
        with runtime.sessions() as session:
            for _ in session.execute(query.execution_options(yield_per=2000)):
                pass
    return read


def peak_mb(get: Callable[[], int]) -> tuple[float, int]:
    """Python's peak allocation during one run, in MB, and the run's result."""
    tracemalloc.start()
    try:
        result = get()
        return tracemalloc.get_traced_memory()[1] / 2**20, result
    finally:
        tracemalloc.stop()


def measure(url: str, profile: bool) -> list[Figure]:
    """The reference and the export, timed; the export's memory at two sizes."""
    settings = load_settings("config.toml", environ={}, overrides={"database_url": url})
    runtime = BenchRuntime.from_settings(settings, settings["web"]["sqlite_mmap_mb"])
    client = signed_in(create_app(settings, runtime), "admin")
    full = streamed(client, "/ho-so/xuat.xlsx")
    small = streamed(client, f"/ho-so/xuat.xlsx?received_from={SMALL_FROM:%Y-%m-%d}")
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(full)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    figures = [Figure(f"reference: select the export's columns of {EXPORT_LIMIT:,} rows",
                      timed(reference(runtime, EXPORT_LIMIT)))]
    size = full()
    small_mb, _ = peak_mb(small)
    with runtime.sessions() as session:
        small_rows = session.scalar(select(func.count()).select_from(Dossier).where(
            Dossier.received_at >= dt.datetime.combine(SMALL_FROM, dt.time(), TZ)))
    full_mb, _ = peak_mb(full)
    figures.append(Figure(f"list export, {EXPORT_LIMIT:,} rows [admin], streamed",
                          timed(full), GOAL,
                          f"{size / 2**20:.1f} MB file; peak Python memory {full_mb:.1f} MB, "
                          f"{small_mb:.1f} MB for the {small_rows:,} received since "
                          f"{SMALL_FROM:%d/%m/%Y}"))
    runtime.engine.dispose()
    return figures


def postgres(args: argparse.Namespace) -> None:
    """Measure on PostgreSQL, in a kept or a scratch schema, when a server is configured."""
    target = postgres_target(args)
    if target is None:
        return
    url, drop = target
    try:
        loaded = prepared(url, args.size)
        report(f"PostgreSQL: {args.size:,} dossiers ({loaded})", measure(url, args.profile),
               cpu=False)
    finally:
        drop()


def main() -> None:
    """Parse arguments and run the benchmark on each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=EXPORT_LIMIT, help="dossiers to load")
    parser.add_argument("--sqlite-file", help="keep the SQLite database here; reuse it if present")
    parser.add_argument("--pg-schema", help="keep the PostgreSQL data in this schema; reuse it")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one export")
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parents[1])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.sqlite_file or Path(tmp) / "export.db").resolve()
        url = f"sqlite:///{path}"
        loaded = prepared(url, args.size)
        report(f"SQLite: {args.size:,} dossiers ({loaded})", measure(url, args.profile),
               cpu=True)
    postgres(args)
    print(f"\n(run took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
