"""Benchmark the clerks' search at 1 000 000 dossiers on SQLite and PostgreSQL, cold and warm.

Run as `python bench/search.py` (`--quick` for 50 000 dossiers). PostgreSQL too when
TTHC_TEST_DATABASE_URL is set. Goal (issue 17): every search page < 300 ms, cold.

Applicants get Vietnamese names drawn with real surname frequencies (Nguyễn about 38 %), so
"nguyen" matches a third of the table, as it would in a commune. Phones and ID numbers are
stored in the formats sources use. Each search is timed through the Flask test client as a
signed-in user: "cold" is its first request after the engine is disposed and the database
files are dropped from the OS page cache (PostgreSQL's own shared buffers cannot be emptied
without restarting the server, so its figures are cold for the OS only); "warm" is the median
of five more requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.schemas import scratch_schema, unit_and_procedure  # noqa: E402
from service.cli.context import load_settings  # noqa: E402
from service.dossiers.search.keys import name_words, search_columns  # noqa: E402
from service.models import Base, Dossier, NameWord  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.users.accounts import create_user  # noqa: E402
from service.vocabulary import Channel, Status  # noqa: E402
from service.web import create_app  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 12, 20, 10, tzinfo=TZ)
FIRST = NOW - dt.timedelta(days=365)
UNIT = "000.32.26.H26"
PASSWORD = "bench-password-1"
CHUNK = 20_000
GOAL = 0.3
EXPORT_GOAL = 5.0
SURNAMES = {"Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7.1, "Hoàng": 4, "Huỳnh": 1.1,
            "Phan": 4.5, "Vũ": 2, "Võ": 1.9, "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3,
            "Ngô": 1.3, "Dương": 1, "Lý": 0.5, "Đinh": 0.7, "Mai": 0.5, "Trịnh": 0.5, "Đào": 0.4}
MIDDLE = {"m": ["Văn"] * 8 + ["Hữu", "Đức", "Minh", "Quang", "Công", "Xuân", "Đình", "Văn Minh"],
          "f": ["Thị"] * 8 + ["Thu", "Ngọc", "Thanh", "Kim", "Thị Thu", "Thị Minh", "Bích", "Mỹ"]}
GIVEN = {"m": "An Bình Cường Dũng Duy Đạt Hải Hiếu Hùng Huy Khánh Khoa Long Minh Nam Phong "
              "Phúc Quân Quang Sơn Tâm Thắng Thành Tiến Trung Tuấn Tú Việt Vinh".split(),
         "f": "Anh Chi Dung Giang Hà Hằng Hạnh Hiền Hoa Hòa Hương Hường Lan Linh Loan Mai Nga "
              "Ngọc Nhung Oanh Phương Quyên Thảo Thủy Trang Tuyết Vân Vy Yến Xuân".split()}
CLERKS = ["Lê Thị Cúc", "Phạm Văn Em", "Nguyễn Thu Hà", "Trần Minh Khoa"]
HANDLERS = ["Văn phòng UBND xã", "Công an xã", "Tư pháp - Hộ tịch", "Địa chính - Xây dựng"]


def person(rng: random.Random) -> tuple[str, str, str]:
    """A name, a phone and an ID number written the ways sources write them."""
    sex = rng.choice("mf")
    name = (f"{rng.choices(list(SURNAMES), list(SURNAMES.values()))[0]} "
            f"{rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}")
    digits = f"9{rng.randrange(10**8):08d}"
    phone = rng.choice([f"0{digits}", f"0{digits}", f"0{digits[:3]}.{digits[3:6]}.{digits[6:]}",
                        f"+84 {digits[:2]} {digits[2:5]} {digits[5:]}", digits])
    cccd = rng.random() < 0.8  # the rest still carry a 9-digit CMND
    id_no = f"0{rng.randrange(10**11):011d}" if cccd else f"{rng.randrange(10**9):09d}"
    return name, phone, id_no


def chunk(rng: random.Random, start: int, size: int, ids: tuple[int, int]) -> list[dict[str, Any]]:
    """Dossiers numbered from `start`, received in order over the year, 97 % finished."""
    rows = []
    step = (NOW - FIRST) / (2 * size * 20)
    for number in range(start, start + size):
        at = FIRST + step * number
        name, phone, id_no = person(rng)
        done = rng.random() < 0.97
        values = dict(
            code=f"{UNIT}-{at:%y%m%d}-{number:07d}", unit_id=ids[0], procedure_id=ids[1],
            applicant_name=name, applicant_phone=phone, applicant_id_no=id_no,
            received_by=rng.choice(CLERKS), handler=rng.choice(HANDLERS),
            channel=Channel.DIRECT, received_at=at, due_at=at + dt.timedelta(days=4),
            status=Status.RETURNED if done else Status.PROCESSING, is_open=not done,
            source="bench", source_id=str(number), fingerprint="", lookup_secret="x",
            updated_at=at)
        values.update(search_columns(values))
        rows.append(values)
    return rows


def load(runtime: Runtime, size: int) -> None:
    """Create the schema and bulk-insert `size` dossiers with their keys and name words."""
    Base.metadata.create_all(runtime.engine)
    with runtime.sessions.begin() as session:
        ids = unit_and_procedure(session)
        for role, handler in (("admin", None), ("clerk", None), ("head", HANDLERS[1])):
            create_user(session, role, PASSWORD, role, [] if role == "admin" else [UNIT], NOW,
                        handler=handler)
    rng = random.Random(2026)
    with runtime.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # Keys arrive in random order: with SQLite's default 2 MB page cache every insert
            # into their indexes reads the disk.
            conn.exec_driver_sql("PRAGMA cache_size=-2000000")
        for start in range(1, size + 1, CHUNK):
            rows = chunk(rng, start, min(CHUNK, size + 1 - start), ids)
            conn.execute(insert(Dossier.__table__), rows)
            found = conn.execute(select(Dossier.id, Dossier.name_key).where(
                Dossier.id >= start, Dossier.id < start + len(rows))).all()
            conn.execute(insert(NameWord.__table__), [
                {"word": word, "dossier_id": row.id} for row in found
                for word in name_words(row.name_key)])
            print(f"\r  loaded {start + len(rows) - 1:>9,}", end="", flush=True)
    print()
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if runtime.engine.dialect.name == "postgresql":
            # As migration 0012 sets it (the bench builds its schema without migrations).
            conn.execute(text("ALTER TABLE dossier_name_word ALTER COLUMN word "
                              "SET STATISTICS 1000"))
        conn.execute(text("VACUUM ANALYZE" if runtime.engine.dialect.name == "postgresql"
                          else "ANALYZE"))


def searches(runtime: Runtime) -> dict[str, str]:
    """What clerks type: common and rare names, given names, a phone, an ID number, codes."""
    with runtime.sessions() as session:
        row = session.execute(select(Dossier.code, Dossier.applicant_phone,
                                     Dossier.applicant_id_no)
                              .where(Dossier.id == 777_777 % session.scalar(
                                  select(Dossier.id).order_by(Dossier.id.desc()).limit(1)))).one()
    digits = "".join(ch for ch in row.applicant_phone if ch.isdigit())[-9:]
    return {
        "name, very common (nguyen)": "nguyen", "name prefix (Nguyễn Văn)": "Nguyễn Văn",
        "name prefix, no diacritics (nguyen van h)": "nguyen van h",
        "full name, rare (tran thi thu huong)": "tran thi thu huong",
        "name prefix, rare (NGO DUC)": "NGO DUC", "given name (huong)": "huong",
        "middle + given name (thu huong)": "thu huong", "name matching nothing": "xyzw",
        "phone as +84 9xx xxx xxx": f"+84 {digits[:2]} {digits[2:5]} {digits[5:]}",
        "phone as 09xxxxxxxx": f"0{digits}", "ID number": row.applicant_id_no,
        "whole code": row.code, "code tail": row.code[-14:],
    }


def evict(runtime: Runtime) -> None:
    """Drop the database's files from the OS page cache and close every pooled connection."""
    runtime.engine.dispose()
    for path in database_files(runtime):
        with open(path, "rb") as handle:
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def database_files(runtime: Runtime) -> list[str]:
    """The files holding this benchmark's tables and indexes."""
    url = runtime.engine.url
    if url.get_backend_name() == "sqlite":
        return [p for p in (url.database, f"{url.database}-wal") if os.path.exists(p)]
    with runtime.engine.connect() as conn:
        home = conn.scalar(text("SHOW data_directory"))
        paths = conn.scalars(text(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN "
            "('r', 'i')")).all()
    runtime.engine.dispose()
    return [f"{home}/{path}{suffix}" for path in paths for suffix in ("", ".1", ".2")
            if os.path.exists(f"{home}/{path}{suffix}")]


def signed_in(runtime: Runtime, user: str) -> Any:
    """A test client of the app signed in as `user`."""
    client = create_app(runtime.settings, runtime).test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/dang-nhap", data={"username": user, "password": PASSWORD, "csrf_token": token})
    return client


def measure(runtime: Runtime, user: str, typed: str) -> tuple[float, float]:
    """Cold and warm seconds of one search page."""
    client = signed_in(runtime, user)
    client.get("/ho-so", query_string={"limit": 1})  # templates compiled: the database is cold
    evict(runtime)
    started = time.perf_counter()
    response = client.get("/ho-so", query_string={"q": typed})
    cold = time.perf_counter() - started
    assert response.status_code == 200, (typed, response.status_code)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        client.get("/ho-so", query_string={"q": typed})
        times.append(time.perf_counter() - started)
    return cold, statistics.median(times)


def bench(label: str, url: str, size: int) -> None:
    """Load when empty, then print each search's cold and warm times against the goal."""
    settings = load_settings("config.toml", environ={}, overrides={"database_url": url})
    runtime = Runtime.from_settings(settings)
    runtime.now = lambda: NOW  # type: ignore[method-assign] - a fixed clock for the bench
    with runtime.engine.connect() as conn:
        loaded = runtime.engine.dialect.has_table(conn, "dossier")
    started = time.perf_counter()
    if not loaded:
        load(runtime, size)
    how = "kept" if loaded else f"loaded in {time.perf_counter() - started:.0f} s"
    print(f"\n{label}: {size:,} dossiers ({how})")
    print(f"  {'search':<44} {'user':<6} {'cold':>8} {'warm':>8}")
    for name, typed in searches(runtime).items():
        for user in ("admin", "clerk", "head"):
            cold, warm = measure(runtime, user, typed)
            verdict = "ok" if max(cold, warm) < GOAL else "MISS"
            print(f"  {name:<44} {user:<6} {cold * 1000:6.0f} ms {warm * 1000:6.0f} ms  {verdict}")
    export_time(runtime)
    runtime.engine.dispose()


def export_time(runtime: Runtime) -> None:
    """Seconds to download the list export of 100 000 dossiers as a clerk (goal: 5 s)."""
    client = signed_in(runtime, "clerk")
    started = time.perf_counter()
    response = client.get("/ho-so/xuat.xlsx")
    size = sum(len(chunk) for chunk in response.response)
    seconds = time.perf_counter() - started
    verdict = "ok" if seconds <= EXPORT_GOAL else "MISS"
    print(f"  list export, 100 000 rows as clerk: {seconds:.2f} s, {size / 1e6:.1f} MB "
          f"(goal {EXPORT_GOAL:.0f} s) {verdict}")


def main() -> None:
    """Parse arguments and run the benchmark on each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50 000 dossiers")
    parser.add_argument("--sqlite-file", help="Keep the SQLite database here; reuse it if present.")
    parser.add_argument("--pg-schema", help="Keep the PostgreSQL data in this schema; reuse it.")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    size = 50_000 if args.quick else args.size
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite", f"sqlite:///{args.sqlite_file or Path(tmp) / 'search.db'}", size)
    base = os.environ.get("TTHC_TEST_DATABASE_URL")
    if base and not args.no_postgres:
        if args.pg_schema:
            with create_engine(base).begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{args.pg_schema}"'))
            bench("PostgreSQL", f"{base}?options=-csearch_path%3D{args.pg_schema}", size)
            return
        url, drop = scratch_schema(base)
        try:
            bench("PostgreSQL", url, size)
        finally:
            drop()


if __name__ == "__main__":
    main()
