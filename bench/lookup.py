"""Benchmark the citizen lookup API against a trivial JSON route of the same app.

The service runs under gunicorn (2 workers) on a database of 1 000 000 dossiers; a load
generator in a second process keeps 50 loopback connections busy for 30 s on each route.
Targets: lookup throughput >= 0.5x the trivial route, lookup p99 < 50 ms, no errors. The lookup
rate limits are raised through configuration (TTHC_LOOKUP__*), not switched off; they are kept
in memory as configured by default, or in Redis with --storage.

Throughput is measured closed-loop (each connection sends as soon as it is answered), where
latency is only queueing (50 connections / throughput) and says nothing about the service. The
p99 target is therefore checked in a third run that offers the lookup half its measured
throughput on a fixed schedule, latency counted from when each request was due.

    python bench/lookup.py            # full size (builds var/bench/lookup-1000000.db once)
    python bench/lookup.py --quick    # 20 000 dossiers, 5 s per route
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from service.db import make_engine  # noqa: E402
from service.models import Base, Dossier, Procedure, StatusEvent, Unit  # noqa: E402
from service.vocabulary import Channel, LimitUnit, Status  # noqa: E402

UNIT = "000.32.26.H26"
CHUNK = 20_000
UNLIMITED = "1000000000 per second"
PING = "/bench/ping"
START = dt.datetime(2025, 1, 1, 1, tzinfo=dt.UTC)


def bench_app() -> Any:
    """The service's app plus one trivial JSON route, for gunicorn ('bench.lookup:bench_app()')."""
    from service.cli.context import load_settings
    from service.web import create_app, settle_heap

    app = create_app(load_settings())
    app.add_url_rule(PING, "bench_ping", lambda: {"ok": True})
    settle_heap()  # as service.web.wsgi does for the app it serves
    return app


def code_of(n: int) -> str:
    return f"{UNIT}-{n:07d}"


def phone_of(n: int) -> str:
    return f"09{n:08d}"


def dossier_rows(first: int, count: int) -> list[dict[str, Any]]:
    """Dossiers numbered first.., each received an hour after the previous."""
    rows = []
    for n in range(first, first + count):
        received = START + dt.timedelta(minutes=7 * n)
        rows.append({
            "id": n + 1, "code": code_of(n), "unit_id": 1, "procedure_id": 1,
            "applicant_name": "Nguyễn Văn Bình", "applicant_phone": phone_of(n),
            "applicant_type": 1, "channel": Channel.ONLINE, "received_at": received,
            "due_at": received + dt.timedelta(days=5), "status": Status.PROCESSING,
            "is_open": True, "handler": "Công chức Tư pháp - Hộ tịch", "source": "bench",
            "source_id": str(n), "fingerprint": "", "lookup_secret": "ABCD2345",
            "updated_at": received, "fee_due": False, "paid_online": False, "digitized": False,
            "electronic_result": False})
    return rows


def event_rows(first: int, count: int) -> list[dict[str, Any]]:
    """Two history lines per dossier."""
    rows = []
    for n in range(first, first + count):
        received = START + dt.timedelta(minutes=7 * n)
        rows.append({"dossier_id": n + 1, "at": received, "status": Status.ACCEPTED})
        rows.append({"dossier_id": n + 1, "at": received + dt.timedelta(hours=1),
                     "status": Status.PROCESSING})
    return rows


def build_database(url: str, size: int) -> None:
    """Create the tables and fill them with `size` dossiers, unless already done."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        have = conn.execute(Dossier.__table__.select().with_only_columns(
            Dossier.id).order_by(Dossier.id.desc()).limit(1)).scalar() or 0
        if have == 0:
            conn.execute(insert(Unit), [{"id": 1, "code": UNIT, "name": "UBND xã Thanh Miện"}])
            conn.execute(insert(Procedure), [{
                "id": 1, "code": "1.004873", "name": "Cấp Giấy xác nhận tình trạng hôn nhân",
                "domain_name": "Hộ tịch", "limit_value": 3,
                "limit_unit": LimitUnit.WORKING_DAYS}])
    for first in range(have, size, CHUNK):
        count = min(CHUNK, size - first)
        with engine.begin() as conn:
            conn.execute(insert(Dossier), dossier_rows(first, count))
            conn.execute(insert(StatusEvent), event_rows(first, count))
        print(f"\r  {first + count:,} / {size:,} dossiers", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    engine.dispose()


def lookup_targets(size: int, count: int = 20_000) -> list[tuple[str, int]]:
    """Random lookups: nine in ten with the right phone digits, one in ten wrong."""
    picks = random.Random(2026)
    targets = []
    for _ in range(count):
        n = picks.randrange(size)
        right = picks.random() < 0.9
        factor = phone_of(n)[-4:] if right else f"{(int(phone_of(n)[-4:]) + 1) % 10000:04d}"
        targets.append((f"/api/v1/lookup/{code_of(n)}?factor={factor}", 200 if right else 404))
    return targets


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int, workers: int, worker: str, storage: str
                 ) -> subprocess.Popen[bytes]:
    """Start gunicorn and return once it answers."""
    env = {**os.environ, "TTHC_DATABASE_URL": url, "TTHC_LOG_LEVEL": "WARNING",
           "TTHC_WEB__RATELIMIT_STORAGE": storage,
           "TTHC_LOOKUP__RATE_LIMIT": UNLIMITED, "TTHC_LOOKUP__CODE_RATE_LIMIT": UNLIMITED,
           "TTHC_CONFIG": str(ROOT / "config.toml")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", worker,
         "--threads", "4", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "bench.lookup:bench_app()"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited during start-up") from None
            time.sleep(0.2)  # polling for the port; no readiness signal from gunicorn
    server.terminate()
    raise SystemExit("gunicorn did not start within 60 s")


def server_cpu(server: subprocess.Popen[bytes]) -> float:
    """CPU seconds used so far by gunicorn's workers (not by the load generator)."""
    workers = psutil.Process(server.pid).children()
    return sum(w.cpu_times().user + w.cpu_times().system for w in workers)


def load(server: subprocess.Popen[bytes], port: int, seconds: float, connections: int,
         targets: list[tuple[str, int]], rate: float = 0.0) -> dict[str, Any]:
    """Run the load generator in its own process against the targets (closed loop or at rate).

    Also reports the workers' CPU per request: on a machine shared with other work the rates
    move with the neighbours' load, while CPU per request does not.
    """
    lines = "".join(json.dumps(t) + "\n" for t in targets)
    before = server_cpu(server)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "loadgen.py"), "127.0.0.1", str(port),
         str(seconds), str(connections), str(rate)], input=lines, capture_output=True,
        text=True, check=True)
    result = json.loads(done.stdout)
    result["cpu_ms"] = (server_cpu(server) - before) * 1000 / max(result["requests"], 1)
    return result


def report(name: str, result: dict[str, Any]) -> None:
    print(f"{name:<8} {result['rate']:8.0f} req/s   p50 {result['p50_ms']:6.1f} ms   "
          f"p99 {result['p99_ms']:6.1f} ms   server CPU {result['cpu_ms']:5.2f} ms/req   "
          f"errors {result['errors']}"
          + (f" {result['error_kinds']}" if result["errors"] else ""))


def main() -> None:
    """Build the data, start the service, load both routes, print the figures and verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, short runs")
    parser.add_argument("--dossiers", type=int, help="default 1 000 000 (20 000 with --quick)")
    parser.add_argument("--seconds", type=float, help="per route; default 30 (5 with --quick)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", help="gunicorn's; sync is its default")
    parser.add_argument("--database-url", help="default: a SQLite file under var/bench/")
    parser.add_argument("--storage", default="memory://",
                        help="rate-limit storage: memory:// (the default configuration, one "
                             "count per worker) or redis://127.0.0.1:6379/14 (shared)")
    args = parser.parse_args()
    size = args.dossiers or (20_000 if args.quick else 1_000_000)
    seconds = args.seconds or (5.0 if args.quick else 30.0)
    url = args.database_url or f"sqlite:///{ROOT / 'var' / 'bench' / f'lookup-{size}.db'}"
    print(f"building {size:,} dossiers (kept for later runs) ...", file=sys.stderr)
    build_database(url, size)
    port = free_port()
    storage = args.storage
    server = start_server(url, port, args.workers, args.worker_class, storage)
    try:
        lookups = lookup_targets(size)
        load(server, port, min(2.0, seconds), args.connections, lookups)  # warm up
        trivial = load(server, port, seconds, args.connections, [(PING, 200)])
        lookup = load(server, port, seconds, args.connections, lookups)
        steady = load(server, port, seconds, args.connections, lookups, rate=lookup["rate"] / 2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{size:,} dossiers, {args.workers} gunicorn {args.worker_class} workers, "
          f"{args.connections} connections, "
          f"{seconds:.0f} s per route, rate limits in {storage.split(':')[0]}")
    report("trivial", trivial)
    report("lookup", lookup)
    report("steady", steady)
    print(f"  (steady: lookup offered {lookup['rate'] / 2:.0f} req/s, half its throughput)")
    ratio = lookup["rate"] / trivial["rate"]
    print(f"server CPU per request, trivial/lookup {trivial['cpu_ms'] / lookup['cpu_ms']:.2f}")
    checks = {"throughput ratio >= 0.5": ratio >= 0.5,
              "lookup p99 < 50 ms at half its throughput": steady["p99_ms"] < 50,
              "no errors": trivial["errors"] == lookup["errors"] == steady["errors"] == 0}
    print(f"ratio lookup/trivial {ratio:.2f}")
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
