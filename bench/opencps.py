"""Benchmark the OpenCPS connector's change detection: a first run, then one where nothing moved.

    .venv/bin/python bench/opencps.py            # 10 000 dossiers
    .venv/bin/python bench/opencps.py --quick    # 2 000

OpenCPS's list API leaves `modifiedDate` empty, so the connector tells a changed dossier from
the item's own content (connectors/opencps/items.py `content_print`). Both runs page through
the same lists of a local server that answers in OpenCPS's real shape (the stand-in the tests
use, tests/fixtures/opencps); the second run finds every item unchanged, the clock-driven texts
OpenCPS recomputes on each request ("Quá 3 ngày") aside. Prints the first run / unchanged run
ratio of this process's CPU (goal >= 3: fingerprints must spare the parsing and the writes;
the pages are still fetched) and the unchanged run's writes to the dossier tables (goal 0).
The ratio is of CPU, not wall time: the stand-in server runs in this process and filters its
whole list in Python for every page, which real OpenCPS answers from its search index, so
wall time here is mostly the stand-in's. SQLite, and PostgreSQL when TTHC_TEST_DATABASE_URL
is set (there the database's own work is in its server and not counted, which only lowers the
first run's figure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from bench.ingest import runtime_for, verdict  # noqa: E402
from bench.schemas import scratch_schema  # noqa: E402
from connectors.opencps import OpenCPSConnector  # noqa: E402
from service.ingest.runs import run_connector  # noqa: E402
from service.models import ConnectorRun  # noqa: E402
from tests.fixtures.opencps.server import OpenCPSServer, OpenCPSState, make_item  # noqa: E402

NOW = dt.datetime(2025, 3, 6, 3, 0, tzinfo=dt.UTC)
PASSWORD_ENV = "TTHC_BENCH_OPENCPS_PASSWORD"
# What a commune's list holds: mostly in processing, some waiting or paying, some released.
STATUSES = ("processing",) * 6 + ("waiting", "paying", "releasing", "done")
DOSSIER_TABLES = ("dossier", "status_event", "supplement_round", "name_word")


def items(count: int) -> list[dict[str, Any]]:
    """`count` dossiers shaped like the recorded OpenCPS page, each with its own number."""
    return [make_item(n, STATUSES[n % len(STATUSES)]) for n in range(1, count + 1)]


def timed_run(runtime: Any, server: OpenCPSServer, now: dt.datetime
              ) -> tuple[float, float, Any]:
    """One ingest cycle as the scheduler runs it: its wall seconds, the CPU seconds of this
    thread (the connector and the ingest, without the stand-in server's threads), its run."""
    connector = OpenCPSConnector("opencps", {
        "base_url": server.url, "group_id": "35417", "username": server.state.username,
        "password_env": PASSWORD_ENV, "page_size": 200})
    started, cpu = time.perf_counter(), time.thread_time()
    run: ConnectorRun = run_connector(runtime.sessions, connector, runtime.derive, now)
    return time.perf_counter() - started, time.thread_time() - cpu, run


def measure(label: str, url: str, count: int) -> bool:
    """Both runs on one database; print the figures and return whether both goals are met."""
    runtime = runtime_for(url)
    state = OpenCPSState(items=items(count), delay_s=0)
    os.environ[PASSWORD_ENV] = state.password
    writes: list[str] = []

    def count_writes(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split(None, 3)
        if words and words[0].upper() in ("INSERT", "UPDATE", "DELETE", "COPY") and any(
                table in statement.split("(")[0] for table in DOSSIER_TABLES):
            writes.append(statement)

    with OpenCPSServer(state) as server:
        first, first_cpu, run = timed_run(runtime, server, NOW)
        for item in state.items:  # texts OpenCPS recomputes on every request
            item.update(dossierOverdue="Quá 3 ngày", stepOverdue="Quá 1 ngày",
                        dueDateComing="1741300000000")
        event.listen(runtime.engine, "before_cursor_execute", count_writes)
        again, again_cpu, rerun = timed_run(runtime, server, NOW + dt.timedelta(minutes=10))
        event.remove(runtime.engine, "before_cursor_execute", count_writes)
    runtime.engine.dispose()
    ratio = first_cpu / again_cpu
    print(f"{label}: {count:,} dossiers, {len(state.requests)} list requests in all")
    print(f"  first run    {first:7.2f} s wall, {first_cpu:6.2f} s CPU here  created "
          f"{run.created:,}, rejected {run.rejected}")
    print(f"  unchanged    {again:7.2f} s wall, {again_cpu:6.2f} s CPU here  fetched "
          f"{rerun.fetched}, updated {rerun.updated}")
    print(f"  first / unchanged, CPU here {ratio:5.1f}x   goal >= 3  {verdict(ratio >= 3)}   "
          f"(wall {first / again:.1f}x)")
    print(f"  writes to dossier tables in the unchanged run: {len(writes)}   goal 0  "
          f"{verdict(not writes)}")
    return ratio >= 3 and not writes and run.created == count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, help="dossiers (default 10 000, 2 000 --quick)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count = args.count or (2_000 if args.quick else 10_000)
    os.chdir(Path(__file__).resolve().parents[1])
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= measure("SQLite", f"sqlite:///{tmp}/opencps.db", count)
    pg = os.environ.get("TTHC_TEST_DATABASE_URL")
    if pg:
        url, drop = scratch_schema(pg)
        try:
            ok &= measure("PostgreSQL", url, count)
        finally:
            drop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
