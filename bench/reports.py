"""Benchmark Biểu 06 and the clerks' dashboard and list pages on a year of dossiers.

Run as `python bench/reports.py` (1 000 000 dossiers; `--quick` for 50 000). SQLite always,
PostgreSQL too when TTHC_TEST_DATABASE_URL is set. Budgets (issue 7): Form 06 for a year
<= 5 s; dashboard and list pages < 300 ms. Each figure is also printed as a ratio to a plain
`count(*)` over the same year measured in the same run, which tells the machine apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.schemas import scratch_schema  # noqa: E402
from service import create_app  # noqa: E402
from service.cli.context import load_settings  # noqa: E402
from service.models import Base, Dossier, Procedure, Unit  # noqa: E402
from service.procedures import builtin_catalogue  # noqa: E402
from service.procedures.store import upsert_catalogue  # noqa: E402
from service.reports.form06 import form06  # noqa: E402
from service.reports.periods import parse_period  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.users.accounts import create_user  # noqa: E402
from service.vocabulary import Channel, Outcome, Status  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 12, 20, 10, tzinfo=TZ)
FIRST = NOW - dt.timedelta(days=365)
UNIT = "000.32.26.H26"
HANDLERS = ["Văn phòng UBND xã", "Phòng Kinh tế", "Phòng Văn hóa - Xã hội", "Công an xã",
            "Tư pháp - Hộ tịch", "Địa chính - Xây dựng"]
PASSWORD = "bench-password-1"
CHUNK = 20_000
PAGES = {
    "dashboard": "/tong-quan",
    "list, first page": "/ho-so",
    "list, page 2 (cursor)": None,
    "list, overdue by due date": "/ho-so?class=overdue&sort=due",
    "list, status + lĩnh vực": "/ho-so?status=4&domain=H%E1%BB%99%20t%E1%BB%8Bch",
    "list, code search": None,
    "list, received period": "/ho-so?received_from=2026-06-01&received_to=2026-06-30",
}


def chunk_rows(rng: np.random.Generator, start: int, received: np.ndarray, unit_id: int,
               procedures: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Build dossiers received at the given offsets (seconds after FIRST), mostly finished."""
    size = len(received)
    pick = rng.integers(0, len(procedures), size)
    channel = rng.choice([1, 2, 3], size, p=[0.55, 0.43, 0.02])
    handler = rng.integers(0, len(HANDLERS), size)
    took = rng.gamma(2.0, 2.0, size) * 86400
    rows = []
    for k in range(size):
        at = FIRST + dt.timedelta(seconds=float(received[k]))
        pid, limit = procedures[pick[k]]
        due = at + dt.timedelta(days=max(limit, 1) * 1.4)
        finish = at + dt.timedelta(seconds=float(took[k]))
        done = finish < NOW and rng.random() < 0.97
        outcome = (Outcome.LATE if finish > due else Outcome.ON_TIME
                   if finish.date() == due.date() else Outcome.EARLY) if done else None
        status = Status.RETURNED if done else (Status.WAITING_SUPPLEMENT
                                               if k % 23 == 0 else Status.PROCESSING)
        number = start + k
        rows.append(dict(
            code=f"{UNIT}-{at:%y%m%d}-{number:07d}", unit_id=unit_id, procedure_id=pid,
            applicant_name=f"Nguyễn Văn {number % 997}", channel=Channel(int(channel[k])),
            handler=HANDLERS[handler[k]], received_at=at, source_due_at=due,
            statutory_due_at=due, due_at=due, portal_due_at=due,
            near_at=None if done else due - dt.timedelta(days=1), status=status,
            is_open=not done, finished_at=finish if done else None,
            returned_at=finish if done else None, outcome=outcome, portal_outcome=outcome,
            fee_due=bool(k % 4 == 0), paid_online=bool(k % 8 == 0), digitized=bool(k % 3),
            electronic_result=done and bool(k % 2), source="bench", source_id=str(number),
            fingerprint="", lookup_secret="x", updated_at=finish if done else at))
    return rows


def load(runtime: Runtime, size: int) -> float:
    """Create the schema and bulk-insert `size` dossiers; return the seconds it took."""
    started = time.perf_counter()
    Base.metadata.create_all(runtime.engine)
    with runtime.sessions.begin() as session:
        unit = Unit(code=UNIT, name="UBND xã Thanh Miện")
        session.add(unit)
        upsert_catalogue(session, builtin_catalogue())
        session.flush()
        create_user(session, "admin", PASSWORD, "admin", [], NOW)
        create_user(session, "clerk", PASSWORD, "clerk", [UNIT], NOW)
        unit_id = unit.id
        procedures = [(p.id, p.limit_value) for p in session.scalars(select(Procedure))]
    rng = np.random.default_rng(2026)
    # Dossiers arrive in the order they are received, as ingestion stores them.
    received = np.sort(rng.uniform(0, (NOW - FIRST).total_seconds(), size))
    table = Dossier.__table__
    with runtime.engine.begin() as conn:
        for start in range(0, size, CHUNK):
            conn.execute(insert(table), chunk_rows(rng, start, received[start:start + CHUNK],
                                                   unit_id, procedures))
            print(f"\r  loaded {min(start + CHUNK, size):>9,}", end="", flush=True)
    print()
    # What autovacuum does on a live server: statistics, and the visibility map that lets
    # PostgreSQL answer from covering indexes alone.
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if runtime.engine.dialect.name == "postgresql"
                          else "ANALYZE"))
    return time.perf_counter() - started


def timed(run: Callable[[], object], repeats: int) -> float:
    """Median seconds of `repeats` runs after one warm-up run."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def reference(runtime: Runtime) -> float:
    """A plain count(*) of the year's dossiers: the yardstick of this machine and database."""
    query = select(func.count()).select_from(Dossier).where(Dossier.received_at >= FIRST)
    with runtime.sessions() as session:
        return timed(lambda: session.scalar(query), 3)


def form06_times(runtime: Runtime) -> dict[str, float]:
    """Seconds for Biểu 06 over the Decree 09 year and the calendar year."""
    found = {}
    with runtime.sessions() as session:
        for windows in ("decree09", "calendar"):
            period = parse_period("2026", windows)  # type: ignore[arg-type]
            found[f"Form 06, year ({windows})"] = timed(
                lambda p=period: form06(session, UNIT, p, "Asia/Ho_Chi_Minh", NOW), 3)
    return found


def page_times(runtime: Runtime, user: str) -> dict[str, float]:
    """Median seconds per page for one signed-in user, through the Flask test client."""
    runtime.now = lambda: NOW  # type: ignore[method-assign] - a fixed clock for the bench
    app = create_app(runtime.settings, runtime)
    client = app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/dang-nhap", data={"username": user, "password": PASSWORD, "csrf_token": token})
    first = client.get("/ho-so").get_data(as_text=True)
    cursor = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    with runtime.sessions() as session:
        code = session.scalar(select(Dossier.code).where(Dossier.id == 123_457 % 40_000 + 1))
    urls = {**PAGES, "list, page 2 (cursor)": cursor, "list, code search": f"/ho-so?q={code[-14:]}"}
    found = {}
    for name, url in urls.items():
        def get(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        found[f"{name} [{user}]"] = timed(get, 5)

    def cold() -> None:
        app.extensions.pop("tthc_month_cache", None)  # closed months counted again
        assert client.get("/tong-quan").status_code == 200
    found[f"dashboard, months recounted [{user}]"] = timed(cold, 3)
    return found


def bench(label: str, url: str, size: int, keep: bool) -> None:
    """Load (unless kept), measure and print one database's figures."""
    settings = load_settings("config.toml", environ={}, overrides={"database_url": url})
    runtime = Runtime.from_settings(settings)
    loaded = "kept"
    if not keep:
        loaded = f"{load(runtime, size):.0f} s"
    base = reference(runtime)
    figures = {**form06_times(runtime), **page_times(runtime, "admin"),
               **page_times(runtime, "clerk")}
    print(f"\n{label}: {size:,} dossiers (load {loaded}); reference count(*) "
          f"{base * 1000:.0f} ms")
    for name, seconds in figures.items():
        budget = 5.0 if name.startswith("Form 06") else 0.3
        if "recounted" in name:
            budget = 1.0  # once per process every MONTH_CACHE_SECONDS, not per page view
        verdict = "ok" if seconds <= budget else "OVER BUDGET"
        print(f"  {name:<44} {seconds * 1000:8.0f} ms  {seconds / base:6.1f}× count(*)  "
              f"budget {budget * 1000:.0f} ms {verdict}")
    runtime.engine.dispose()


def postgres_url() -> tuple[str, Callable[[], None]] | None:
    """A fresh schema on the test PostgreSQL, and how to drop it; None without a server."""
    base = os.environ.get("TTHC_TEST_DATABASE_URL")
    return scratch_schema(base) if base else None


def main() -> None:
    """Parse arguments and run the benchmark on each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50 000 dossiers")
    parser.add_argument("--sqlite-file", default=None,
                        help="Keep the SQLite database here and reuse it when it exists.")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    size = 50_000 if args.quick else args.size
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.sqlite_file or Path(tmp) / "bench.db")
        keep = path.exists()
        bench("SQLite", f"sqlite:///{path}", size, keep)
    target = None if args.no_postgres else postgres_url()
    if target is not None:
        url, drop = target
        try:
            bench("PostgreSQL", url, size, False)
        finally:
            drop()


if __name__ == "__main__":
    main()
