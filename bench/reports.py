"""Benchmark what users of the clerks' web app wait for, on SQLite and PostgreSQL.

    python bench/reports.py                   # 1 000 000 dossiers
    python bench/reports.py --size 20000      # or --quick: a smoke run of about a minute
    python bench/reports.py --sqlite-file /tmp/reports.db --pg-schema bench_reports  # kept

Four communes over three years (bench/reportdata.py), then, through the Flask test client with
a signed-in admin (every unit) and clerk (the largest commune): name and digit search warm and
cold, the list pages, the dashboard warm and with its month cache emptied, the handling-time
report, Biểu 06 page and XLSX for a year, and the list export (the page stops at its cap; the
100 000-row export runs the functions the page calls). PostgreSQL runs when
TTHC_TEST_DATABASE_URL is set. Each figure is printed against its goal with ok or MISS, and as
a ratio to a plain count(*) of one unit's year in the same run, which tells the machine apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cold import postgres_cold, sqlite_cold  # noqa: E402
from bench.reportdata import NOW, TZ, UNITS, load, loaded_size  # noqa: E402
from bench.schemas import schema_url, scratch_schema  # noqa: E402
from bench.webtiming import Figure, Goal, Timing, getter, report, signed_in, timed  # noqa: E402
from service.cli.context import load_settings  # noqa: E402
from service.dossiers.filters import EVERYTHING, load_query, matching_rows  # noqa: E402
from service.models import Dossier, Unit  # noqa: E402
from service.privacy import NOTHING  # noqa: E402
from service.reports.exports import (  # noqa: E402
    LIST_FIELDS,
    dossier_list_rows,
    dossier_list_sheet,
)
from service.reports.sheets import xlsx_chunks  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.web import create_app  # noqa: E402
from service.web.pages.dossiers import EXPORT_LIMIT  # noqa: E402

UNIT = UNITS[0][0]
YEAR = "2026"
EXPORT_ROWS = 100_000
FAST, HANDLING, HEAVY = Goal(0.3, strict=True), Goal(2.0), Goal(5.0)
LIST_PAGES = {
    "list, first page": "/ho-so",
    "list, overdue by due date": "/ho-so?class=overdue&sort=due",
    "list, status + lĩnh vực": "/ho-so?status=4&domain=H%E1%BB%99%20t%E1%BB%8Bch",
    "list, received period": "/ho-so?received_from=2026-06-01&received_to=2026-06-30",
}


class BenchRuntime(Runtime):
    """The app's runtime with the benchmark's fixed clock."""

    def now(self) -> dt.datetime:
        """The benchmark's instant, whatever the wall clock says."""
        return NOW.astimezone(dt.UTC)


@dataclass(frozen=True)
class Searches:
    """What the searches look for: a name and a phone number of a dossier of the clerk's unit,
    and how many dossiers the name matches for each user."""

    name: str
    phone: str
    code_tail: str
    matches: dict[str, int]

    @classmethod
    def pick(cls, runtime: Runtime) -> Searches:
        """Take them from a dossier a third of the way into the table."""
        with runtime.sessions() as session:
            unit_id = session.scalar(select(Unit.id).where(Unit.code == UNIT))
            third = session.scalar(select(func.max(Dossier.id))) // 3
            name, phone, code = session.execute(
                select(Dossier.applicant_name, Dossier.applicant_phone, Dossier.code)
                .where(Dossier.unit_id == unit_id, Dossier.id >= third)
                .order_by(Dossier.id).limit(1)).one()
            like = Dossier.applicant_name.ilike(f"%{name}%")
            count = select(func.count()).select_from(Dossier).where(like)
            matches = {"admin": session.scalar(count),
                       "clerk": session.scalar(count.where(Dossier.unit_id == unit_id))}
        return cls(name, phone, code[-14:], matches)


def search_figures(app: Flask, client: FlaskClient, user: str, searches: Searches,
                   cold: Callable[[], int] | None) -> list[Figure]:
    """Name search and digit search (a phone number), warm and cold."""
    runtime = app.extensions["tthc"]
    found = []
    left: list[int] = []

    def empty_caches() -> None:
        runtime.engine.dispose()  # closes the connections, so the file is no longer mapped
        left.append(cold())  # type: ignore[misc]
    for label, q in ((f"name search “{searches.name}” ({searches.matches[user]} matches)",
                      searches.name),
                     ("digit search (a phone number)", searches.phone)):
        get = getter(client, f"/ho-so?q={quote(q)}")
        found.append(Figure(f"{label} [{user}], warm", timed(get), FAST))
        if cold is not None:
            left.clear()
            timing = timed(get, empty_caches)
            note = (f"{max(left) / 2**20:.0f} MB of the schema stayed in shared_buffers"
                    if max(left) else "")
            found.append(Figure(f"{label} [{user}], cold", timing, FAST, note))
    return found


def page_figures(app: Flask, client: FlaskClient, user: str, code_tail: str) -> list[Figure]:
    """The list pages and the dashboard, warm and with its month cache emptied."""
    first = client.get("/ho-so").get_data(as_text=True)
    cursor = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    urls = {**LIST_PAGES, "list, page 2 (cursor)": cursor,
            "list, a code's tail": f"/ho-so?q={code_tail}", "dashboard": "/tong-quan"}
    found = [Figure(f"{name} [{user}]", timed(getter(client, url)), FAST)
             for name, url in urls.items()]
    cold = timed(getter(client, "/tong-quan"),
                 lambda: app.extensions.pop("tthc_month_cache", None))
    found.append(Figure(f"dashboard, month cache empty [{user}]", cold, FAST))
    return found


def report_figures(client: FlaskClient, user: str) -> list[Figure]:
    """Handling times and Biểu 06 (page and XLSX) for one unit's year."""
    query = f"unit={UNIT}&period={YEAR}"
    paths = (("handling-time report", f"/bao-cao/thoi-gian-giai-quyet?{query}", HANDLING),
             ("Biểu 06 page (Decree 09 year)", f"/bao-cao/bieu-06?{query}", HEAVY),
             ("Biểu 06 page (calendar year)", f"/bao-cao/bieu-06?{query}&windows=calendar",
              HEAVY),
             ("Biểu 06 XLSX (Decree 09 year)", f"/bao-cao/bieu-06.xlsx?{query}", HEAVY))
    return [Figure(f"{name}, {YEAR} [{user}]", timed(getter(client, url)), goal)
            for name, url, goal in paths]


def export_figures(runtime: Runtime, client: FlaskClient, size: int) -> list[Figure]:
    """The list export: the page (which stops at its cap) and 100 000 rows by its functions."""
    rows = min(size, EXPORT_ROWS)

    def export() -> None:
        with runtime.sessions() as session:
            found = matching_rows(session, load_query({}), NOW, runtime.settings["timezone"],
                                  EVERYTHING, rows, LIST_FIELDS)
            sheet = dossier_list_sheet("Danh sách hồ sơ", "", NOW, runtime.calendar, NOTHING)
            for _ in xlsx_chunks(sheet, dossier_list_rows(found, NOW, runtime.calendar, NOTHING)):
                pass  # the bytes a browser would receive, streamed and dropped
    capped = " (the page's cap)" if size > EXPORT_LIMIT else ""
    page = Figure(f"list export page, {min(size, EXPORT_LIMIT):,} rows{capped} [admin]",
                  timed(getter(client, "/ho-so/xuat.xlsx")), HEAVY)
    if not capped:  # the page already exported every dossier
        return [page]
    return [page, Figure(f"list export, {rows:,} rows (the page's functions)", timed(export),
                         HEAVY)]


def reference(runtime: Runtime) -> tuple[Timing, int]:
    """The time of a plain count(*) of one unit's year, and the count."""
    start = dt.datetime(int(YEAR), 1, 1, tzinfo=TZ)
    query = (select(func.count()).select_from(Dossier).join(Unit)
             .where(Unit.code == UNIT, Dossier.received_at >= start,
                    Dossier.received_at < start.replace(year=start.year + 1)))
    with runtime.sessions() as session:
        return timed(lambda: session.scalar(query)), session.scalar(query)


def measure(url: str, size: int, cold: Callable[[], int] | None) -> list[Figure]:
    """Every figure of one database, through an app on its own runtime."""
    settings = load_settings("config.toml", environ={}, overrides={"database_url": url})
    runtime = BenchRuntime.from_settings(settings, settings["web"]["sqlite_mmap_mb"])
    app = create_app(settings, runtime)
    searches = Searches.pick(runtime)
    timing, count = reference(runtime)
    figures = [Figure(f"reference: count(*) of one unit's {YEAR} ({count:,} dossiers)", timing)]
    for user in ("admin", "clerk"):
        client = signed_in(app, user)
        figures += search_figures(app, client, user, searches, cold)
        figures += page_figures(app, client, user, searches.code_tail)
    clerk, admin = signed_in(app, "clerk"), signed_in(app, "admin")
    figures += report_figures(clerk, "clerk") + export_figures(runtime, admin, size)
    runtime.engine.dispose()
    return figures


def title(database: str, size: int, loaded: str) -> str:
    """The line above one database's figures."""
    return (f"{database}: {size:,} dossiers in {len(UNITS)} units received 2024-01-01 to "
            f"{NOW:%Y-%m-%d} ({loaded})")


def prepared(url: str, size: int) -> str:
    """Load `size` dossiers at url unless it already holds them; say which."""
    engine = Runtime.from_settings(load_settings(
        "config.toml", environ={}, overrides={"database_url": url})).engine
    held = loaded_size(engine)
    if held is not None and held != size:
        raise SystemExit(f"{url} holds {held:,} dossiers, not {size:,}: delete it or pick "
                         "another place")
    text_ = "kept from an earlier run" if held else f"loaded in {load(engine, size):.0f} s"
    engine.dispose()
    return text_


def postgres_target(args: argparse.Namespace) -> tuple[str, Callable[[], None]] | None:
    """The PostgreSQL URL to measure (a kept or a scratch schema), and how to clean up."""
    base = os.environ.get("TTHC_TEST_DATABASE_URL")
    if not base or args.no_postgres:
        return None
    if not args.pg_schema:
        return scratch_schema(base)
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{args.pg_schema}"'))
    admin.dispose()
    return schema_url(base, args.pg_schema), lambda: None


def run_postgres(args: argparse.Namespace) -> None:
    """Load (or reuse) and measure the PostgreSQL database, when there is one."""
    target = postgres_target(args)
    if target is None:
        return
    url, drop = target
    try:
        loaded = prepared(url, args.size)
        engine = create_engine(url)
        try:
            cold = postgres_cold(engine)
        except PermissionError as exc:
            print(f"PostgreSQL: cold searches skipped, the server's files cannot be read ({exc})")
            cold = None
        report(title("PostgreSQL", args.size, loaded), measure(url, args.size, cold), cpu=False)
        engine.dispose()
    finally:
        drop()


def main() -> None:
    """Parse arguments and run the benchmark on each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="dossiers in the database")
    parser.add_argument("--quick", action="store_true", help="20 000 dossiers: a smoke run")
    parser.add_argument("--sqlite-file", help="keep the SQLite database here; reuse it if present")
    parser.add_argument("--pg-schema", help="keep the PostgreSQL data in this schema; reuse it")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.size = 20_000
    os.chdir(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.sqlite_file or Path(tmp) / "bench.db").resolve()
        url = f"sqlite:///{path}"
        loaded = prepared(url, args.size)
        report(title("SQLite", args.size, loaded), measure(url, args.size, sqlite_cold(path)),
               cpu=True)
    run_postgres(args)


if __name__ == "__main__":
    main()
