"""Benchmark the deadline scan on 1 000 000 open dossiers, on SQLite and on PostgreSQL.

Run as `python bench/scan.py [--quick] [--size N] [--postgres URL]`. Dossiers are bulk-loaded
through the driver (COPY on PostgreSQL, executemany on SQLite; not the ingest path), classified
as of a Tuesday noon, as if scanned then. Measured:

- the scan after a day boundary (the next day's noon: a day of due and near instants passed),
- a scan with nothing changed (a minute later),
- scan plus alert raising after the next day boundary,

each against a reference measured in the same run: reading every open dossier into Python and
classifying it, which is what a scan without indexed ranges would cost. The issue's target:
the day-boundary scan within 2 s at 1 000 000 dossiers; the no-change scan a small fraction.
PostgreSQL is used when --postgres or TTHC_TEST_DATABASE_URL names a server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select, text, true

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.schemas import unit_and_procedure  # noqa: E402
from jobs.scan import scan_and_raise  # noqa: E402
from service.cli.context import load_settings  # noqa: E402
from service.dossiers.scan import SCAN_NAME, deadline_class, scan  # noqa: E402
from service.models import Base, Dossier, ScanState  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.vocabulary import Channel, Status  # noqa: E402

T0 = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))  # a Tuesday
SPAN_DAYS = 100  # due dates spread over this many working days before and after T0
LIMIT_SPREAD = 15
CHUNK = 20_000
HANDLERS = ["Công chức Tư pháp - Hộ tịch", "Công an xã", "Phòng Kinh tế", "Văn phòng UBND"]
CLERKS = ["Lê Thị Cúc", "Phạm Văn Em", "Nguyễn Thu Hà", "Trần Minh Khoa"]


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def settings_for(url: str) -> dict[str, Any]:
    recipients = [{"roles": ["clerk"], "name": name, "email": f"clerk{i}@example.vn"}
                  for i, name in enumerate(CLERKS)]
    recipients += [{"roles": ["department", "head"], "name": name, "handlers": [name],
                    "email": f"body{i}@example.vn"} for i, name in enumerate(HANDLERS)]
    return load_settings(Path(__file__).resolve().parents[1] / "config.toml", environ={},
                       overrides={"database_url": url, "alerts": {
                           "recipients": recipients, "email": {"host": "127.0.0.1"}}})


def due_days(runtime: Runtime) -> list[tuple[dt.datetime, dt.datetime]]:
    """(due_at, near_at) of each working day around T0: due at closing, near a day before."""
    cal, day, back = runtime.calendar, T0.date(), 0
    while back < SPAN_DAYS:
        day -= dt.timedelta(days=1)
        back += cal.is_working_day(day)
    days, previous, current = [], day, cal.next_working_day(day)
    for _ in range(2 * SPAN_DAYS):
        days.append((cal.closing(current), cal.closing(previous)))
        previous, current = current, cal.next_working_day(current)
    return days


COLUMNS = ("code", "unit_id", "procedure_id", "applicant_name", "applicant_type", "channel",
           "received_at", "status", "is_open", "source", "source_id", "fingerprint",
           "lookup_secret", "updated_at", "due_at", "near_at", "handler", "received_by",
           "deadline_class", "fee_due", "paid_online", "digitized", "electronic_result")


def rows(size: int, unit_id: int, procedure_id: int,
         days: list[tuple[dt.datetime, dt.datetime]]) -> Iterator[tuple[Any, ...]]:
    """Dossier rows in COLUMNS order, with enums as codes and instants in UTC."""
    rng = random.Random(2026)
    updated = (T0 - dt.timedelta(days=2)).astimezone(dt.UTC)
    utc_days = [(due.astimezone(dt.UTC), near.astimezone(dt.UTC)) for due, near in days]
    for number in range(size):
        # Ids follow receipt, as ingestion writes them; limits of 1 to 15 working days spread
        # the due dates of one day's receipts over the following weeks.
        received = number * (len(utc_days) - LIMIT_SPREAD) // size
        due, near = utc_days[received + rng.randrange(LIMIT_SPREAD)]
        paused = rng.random() < 0.05
        status = Status.WAITING_SUPPLEMENT if paused else Status.PROCESSING
        near_at = None if paused else near
        kind = deadline_class(status, True, due, near_at, T0)
        yield (f"BENCH-{number:07d}", unit_id, procedure_id, "Nguyễn Văn Bình", 1,
               Channel.DIRECT.value, due - dt.timedelta(days=7), status.value, True, "bench",
               str(number), "", "BENCH", updated, due, near_at, rng.choice(HANDLERS),
               rng.choice(CLERKS), kind.value if kind else None, False, False, False, False)


def bulk_insert(engine: Engine, data: Iterator[tuple[Any, ...]]) -> None:
    """Load rows through the driver: COPY on PostgreSQL, executemany on SQLite.

    Instants go to SQLite as the naive-UTC text SQLAlchemy writes, so comparisons match.
    """
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY dossier ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in COLUMNS)
            sql = f"INSERT INTO dossier ({', '.join(COLUMNS)}) VALUES ({marks})"
            batch: list[tuple[Any, ...]] = []
            for row in data:
                batch.append(tuple(_sqlite(value) for value in row))
                if len(batch) == CHUNK:
                    cursor.executemany(sql, batch)
                    batch = []
            cursor.executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()


def _sqlite(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def load(runtime: Runtime, size: int, fillfactor: int | None = None) -> None:
    """Bulk-load size open dossiers, classified and scanned as of T0."""
    Base.metadata.create_all(runtime.engine)
    if fillfactor and runtime.engine.dialect.name == "postgresql":
        # Free room in each page lets PostgreSQL update deadline_class in place (a HOT
        # update, no new entry in any index); a table in service gets such room anyway.
        with runtime.engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE dossier SET (fillfactor = {int(fillfactor)})"))
    with runtime.sessions.begin() as session:
        unit_id, procedure_id = unit_and_procedure(session)
        session.add(ScanState(name=SCAN_NAME, scanned_through=T0, runs=1))
    bulk_insert(runtime.engine, rows(size, unit_id, procedure_id, due_days(runtime)))
    with runtime.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def full_pass(runtime: Runtime, now: dt.datetime) -> int:
    """The reference: every open dossier read into Python and classified."""
    changed = 0
    with runtime.sessions() as session:
        result = session.execute(select(
            Dossier.id, Dossier.status, Dossier.is_open, Dossier.due_at, Dossier.near_at,
            Dossier.deadline_class).where(Dossier.is_open == true())
            .execution_options(yield_per=CHUNK))
        for row in result:
            now_class = deadline_class(row.status, row.is_open, row.due_at, row.near_at, now)
            changed += now_class is not row.deadline_class
    return changed


def scan_at(runtime: Runtime, now: dt.datetime) -> int:
    with runtime.sessions.begin() as session:
        return len(scan(session, now).transitions)


def scan_and_alert_at(runtime: Runtime, now: dt.datetime) -> tuple[int, int]:
    with runtime.sessions.begin() as session:
        outcome = scan_and_raise(session, runtime, now)
    assert outcome.alerts is not None
    return len(outcome.scan.transitions), outcome.alerts.total


def measure(name: str, url: str, size: int, fillfactor: int | None = None) -> None:
    runtime = Runtime.from_settings(settings_for(url))
    load_s, _ = timed(lambda: load(runtime, size, fillfactor))
    day = dt.timedelta(days=1)
    reference_s, would_change = timed(lambda: full_pass(runtime, T0 + day))
    boundary_s, moved = timed(lambda: scan_at(runtime, T0 + day))
    quiet_s, quiet_moved = timed(lambda: scan_at(runtime, T0 + day + dt.timedelta(minutes=1)))
    alerts_s, (moved2, raised) = timed(lambda: scan_and_alert_at(runtime, T0 + 2 * day))
    assert moved == would_change and quiet_moved == 0
    runtime.engine.dispose()
    verdict = "ok" if boundary_s <= 2.0 else "OVER 2 s"
    print(f"{name}: {size:,} open dossiers (loaded in {load_s:.0f} s)\n"
          f"  reference, read and classify every open dossier: {reference_s:7.3f} s\n"
          f"  scan after a day boundary ({moved:,} transitions): {boundary_s:7.3f} s "
          f"= {boundary_s / reference_s:.3f} x reference [{verdict}]\n"
          f"  scan with nothing changed:                {quiet_s:7.3f} s "
          f"= {quiet_s / reference_s:.4f} x reference, {quiet_s / boundary_s:.4f} x boundary\n"
          f"  next boundary, scan + alerts ({moved2:,} transitions, {raised:,} alerts): "
          f"{alerts_s:7.3f} s", flush=True)


def pg_schema(url: str) -> tuple[str, Engine, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", admin, schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 000 dossiers, not 1 000 000")
    parser.add_argument("--size", type=int, help="number of open dossiers")
    parser.add_argument("--postgres", default=os.environ.get("TTHC_TEST_DATABASE_URL"),
                        help="PostgreSQL URL (default: $TTHC_TEST_DATABASE_URL)")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--pg-fillfactor", type=int, metavar="PERCENT",
                        help="load PostgreSQL's dossier table with this fillfactor")
    args = parser.parse_args()
    size = args.size or (100_000 if args.quick else 1_000_000)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{folder}/bench.db", size)
    if not args.postgres:
        print("PostgreSQL: skipped (no --postgres and no TTHC_TEST_DATABASE_URL)")
        return
    url, admin, schema = pg_schema(args.postgres)
    name = "PostgreSQL" + (f" (fillfactor {args.pg_fillfactor})" if args.pg_fillfactor else "")
    try:
        measure(name, url, size, args.pg_fillfactor)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
