"""Benchmark the ingest path against raw Core executemany, re-ingest, and a streamed run's RSS.

    .venv/bin/python bench/ingest.py            # 100 000 records, 1 000 000 streamed
    .venv/bin/python bench/ingest.py --quick    # 10 000 and 100 000, for a quick look

Prints ratios measured in the same run: ingest speed / raw INSERT speed (goal >= 0.3),
first ingest time / unchanged re-ingest time (goal >= 3), and the streamed run's own peak RSS
(goal < 300 MB). Repeats the first two on PostgreSQL when TTHC_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, insert, select  # noqa: E402

import service  # noqa: E402,F401 - imports the models before the connectors
from bench.schemas import scratch_schema  # noqa: E402
from connectors.base import Batch, Connector, DossierRecord  # noqa: E402
from connectors.simulator import SimulatorConnector  # noqa: E402
from service.cli.context import load_settings  # noqa: E402
from service.ingest.runs import run_connector  # noqa: E402
from service.models import Base, Dossier, StatusEvent, SupplementRound, Unit  # noqa: E402
from service.procedures import builtin_catalogue  # noqa: E402
from service.procedures.store import upsert_catalogue  # noqa: E402
from service.runtime import Runtime  # noqa: E402

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
BATCH = 1000


def simulated(count: int) -> list[list[DossierRecord]]:
    """`count` simulator records in batches of BATCH, as a connector would hand them over."""
    days = count // 800 + 60
    sim = SimulatorConnector("bench", {"per_day_min": 1000, "per_day_max": 1000,
                                       "backfill_days": days})
    records: list[DossierRecord] = []
    for batch in sim.fetch(None, NOW):
        records.extend(r for r in batch.records if isinstance(r, DossierRecord))
        if len(records) >= count:
            break
    records = records[:count]
    return [records[i:i + BATCH] for i in range(0, len(records), BATCH)]


def runtime_for(url: str) -> Runtime:
    """A runtime on `url` with every table and the procedure catalogue."""
    settings = load_settings("config.toml", environ={}, overrides={"database_url": url})
    runtime = Runtime.from_settings(settings)
    Base.metadata.create_all(runtime.engine)
    with runtime.sessions.begin() as session:
        upsert_catalogue(session, builtin_catalogue())
    return runtime


def verdict(met: bool) -> str:
    """The word printed after a figure and its goal."""
    return "ok" if met else "MISS"


class Clock:
    """Wall time, and this process's CPU time: on a shared machine the CPU time of a SQLite
    run is the steadier figure, since SQLite works inside this process."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


class Replay(Connector):
    """Hands over prepared batches, so a run measures storing and not the simulator."""

    type_name = "bench-replay"
    options_schema = SimulatorConnector.options_schema

    def __init__(self, batches: list[list[DossierRecord]]) -> None:
        super().__init__("bench", {})
        self.batches = batches

    def fetch(self, cursor: dict[str, Any] | None, now: dt.datetime) -> Iterator[Batch]:
        for number, batch in enumerate(self.batches, start=1):
            yield Batch(batch, {"next": number})


def ingest(runtime: Runtime, batches: list[list[DossierRecord]]) -> Clock:
    """Store every batch through a real connector run: one transaction per batch, the run's
    bookkeeping and cursor, one catalogue shared by the batches, statistics refreshed."""
    with Clock() as clock:
        run_connector(runtime.sessions, Replay(batches), runtime.derive, NOW)
    return clock


def raw_insert(source: Runtime, target: Runtime) -> Clock:
    """Seconds for Core executemany of the same dossier rows into the same table, per batch."""
    with source.engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(select(Dossier.__table__))]
        units = [dict(row._mapping) for row in conn.execute(select(Unit.__table__))]
    with target.engine.begin() as conn:  # the rows' units, untimed
        conn.execute(insert(Unit.__table__), units)
    table = Dossier.__table__
    with Clock() as clock:
        for i in range(0, len(rows), BATCH):
            with target.engine.begin() as conn:
                conn.execute(insert(table), rows[i:i + BATCH])
    return clock


def clear(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        for model in (StatusEvent, SupplementRound, Dossier):
            session.execute(delete(model))


def compare(label: str, url_a: str, url_b: str, batches: list[list[DossierRecord]]) -> dict:
    """Ingest, re-ingest and raw insert on one kind of database; print and return ratios."""
    first_rt, raw_rt = runtime_for(url_a), runtime_for(url_b)
    count = sum(len(b) for b in batches)
    first = ingest(first_rt, batches)
    again = ingest(first_rt, batches)
    raw = raw_insert(first_rt, raw_rt)
    result = {"database": label, "records": count}
    # PostgreSQL works in its own processes: only wall time measures it.
    for kind in ("wall", "cpu") if label == "sqlite" else ("wall",):
        a, b, r = getattr(first, kind), getattr(again, kind), getattr(raw, kind)
        result[kind] = {"ingest_s": round(a, 2), "reingest_s": round(b, 2), "raw_s": round(r, 2),
                        "ingest_vs_raw": round(r / a, 3), "reingest_speedup": round(a / b, 2)}
        print(f"{label} ({kind} time): {count} records: ingest {a:.2f} s ({count / a:,.0f}/s), "
              f"unchanged re-ingest {b:.2f} s, raw executemany {r:.2f} s; ingest speed / raw "
              f"= {r / a:.3f} (goal >= 0.3) {verdict(r / a >= 0.3)}; first / re-ingest = "
              f"{a / b:.2f}x (goal >= 3) {verdict(a / b >= 3)}")
    first_rt.engine.dispose()
    raw_rt.engine.dispose()
    return result


class Stream(Connector):
    """Streams `count` records cloned from a pool of simulator records, never holding them."""

    type_name = "bench-stream"
    options_schema = SimulatorConnector.options_schema

    def __init__(self, count: int) -> None:
        super().__init__("stream", {})
        self.count = count
        self.pool = [r for b in simulated(2000) for r in b]

    def fetch(self, cursor: dict[str, Any] | None, now: dt.datetime) -> Iterator[Batch]:
        for start in range(0, self.count, BATCH):
            records = [dataclasses.replace(self.pool[n % len(self.pool)], code=f"S-{n:08d}",
                                           source_id=f"S-{n:08d}")
                       for n in range(start, min(start + BATCH, self.count))]
            yield Batch(records, {"next": start + BATCH})


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM), in MB.

    Not getrusage's ru_maxrss: Linux carries the parent's high-water mark across fork and
    exec into it, so a child started by a parent holding 750 MB reports 750 MB.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM line in /proc/self/status (Linux only)")


def child_stream(count: int, url: str) -> None:
    """Run in a subprocess: stream `count` records through run_connector; print JSON."""
    runtime = runtime_for(url)
    started = time.perf_counter()
    run = run_connector(runtime.sessions, Stream(count), runtime.derive, NOW)
    print(json.dumps({"records": run.created, "seconds": round(time.perf_counter() - started, 1),
                      "peak_rss_mb": round(peak_rss_mb(), 1)}))


def stream(count: int, folder: Path) -> dict:
    """Measure the streamed run in a fresh process that reports its own peak RSS."""
    url = f"sqlite:///{folder / 'stream.db'}"
    done = subprocess.run([sys.executable, __file__, "--child-stream", str(count), url],
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"stream: {result['records']} records in {result['seconds']} s, the streaming "
          f"process's own peak RSS (VmHWM) {result['peak_rss_mb']} MB (goal < 300 MB) "
          f"{verdict(result['peak_rss_mb'] < 300)}")
    return result


def main() -> None:
    """Parse the sizes and run every measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--stream", type=int, default=1_000_000, help="0 skips the stream")
    parser.add_argument("--quick", action="store_true", help="10 000 records, 100 000 streamed")
    parser.add_argument("--child-stream", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_stream:
        child_stream(int(args.child_stream[0]), args.child_stream[1])
        return
    records, streamed = (10_000, 100_000) if args.quick else (args.records, args.stream)
    os.chdir(Path(__file__).resolve().parents[1])
    batches = simulated(records)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results.append(compare("sqlite", f"sqlite:///{folder / 'a.db'}",
                               f"sqlite:///{folder / 'b.db'}", batches))
        base = os.environ.get("TTHC_TEST_DATABASE_URL")
        if base:
            (url_a, drop_a), (url_b, drop_b) = scratch_schema(base), scratch_schema(base)
            try:
                results.append(compare("postgresql", url_a, url_b, batches))
            finally:
                drop_a()
                drop_b()
        if streamed > 0:
            results.append(stream(streamed, folder))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
