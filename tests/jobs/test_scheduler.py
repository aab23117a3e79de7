"""The scheduler: the schedule as data, the lease, and two real processes sharing PostgreSQL."""

from __future__ import annotations

import datetime as dt
import inspect
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from flask import current_app
from sqlalchemy import func, select

from jobs.lease import LeaseKeeper, acquire, holder_of, release
from jobs.schedule import JOBS, PORTAL, SERIAL, planned
from jobs.scheduler import _call, build_scheduler, run_scheduler
from service.config import ConfigError
from service.config.settings import Settings
from service.db import make_engine, make_sessionmaker
from service.models import Alert, AlertDelivery, AlertMessage, Base
from service.models.alerts import DeliveryState
from service.runtime import Runtime
from service.web import create_app
from tests.alerts_support import webhook_server
from tests.conftest import UNIT_CODE, make_settings
from tests.scheduler_support import add_dossiers, config_file, went_live

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(seconds=60)


def test_every_scheduled_job_resolves_to_a_run_function(settings: dict[str, Any]) -> None:
    for job, _ in planned(Settings.from_dict(settings)):
        assert callable(job.run), job.name
        assert list(inspect.signature(job.run).parameters)[:2] == ["runtime", "now"]
    assert {job.name for job in JOBS} >= {"scan", "alerts", "digest"}


def test_the_scheduler_plans_each_job_coalesced_once_at_a_time(runtime: Runtime) -> None:
    scheduler = build_scheduler(runtime)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"ingest:simulator", *(job.name for job in JOBS)}
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 300)
    assert jobs["scan"].trigger.interval == dt.timedelta(minutes=5)
    assert jobs["ingest:simulator"].trigger.interval == dt.timedelta(minutes=5)
    assert isinstance(jobs["digest"].trigger, CronTrigger)
    assert str(jobs["digest"].trigger.fields[5]) == "7"  # hour
    assert str(jobs["digest"].trigger.fields[6]) == "30"  # minute
    assert {job.executor for job in jobs.values() if job.executor == SERIAL} == {SERIAL}
    assert {name for name, job in jobs.items() if job.executor == SERIAL} == {
        "scan", "alerts", "digest", "notices"}
    assert {name for name, job in jobs.items() if job.executor == PORTAL} == {
        "sync", "reconcile"}


def test_pushed_and_dropped_connectors_get_no_ingest_job(tmp_path: Any) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 's.db'}", connectors={
        "drop": {"type": "spreadsheet", "unit_code": UNIT_CODE, "folder": str(tmp_path)},
        "push": {"type": "webhook", "unit_code": UNIT_CODE}})
    names = {job.name for job, _ in planned(Settings.from_dict(settings))}
    assert "ingest:simulator" in names and "watch_folder" in names
    assert not {"ingest:drop", "ingest:push"} & names


def test_job_timings_come_from_configuration(tmp_path: Any) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 's.db'}", scheduler={"jobs": {
        "scan": {"every_seconds": 30}, "sync": {"enabled": False},
        "digest": {"at": "06:45"}}}, alerts={"digest_at": "08:00"})
    timings = {job.name: timing for job, timing in planned(Settings.from_dict(settings))}
    assert timings["scan"].every == dt.timedelta(seconds=30)
    assert timings["digest"].at == dt.time(6, 45)
    assert "sync" not in timings
    default = make_settings(f"sqlite:///{tmp_path / 's.db'}", alerts={"digest_at": "08:00"})
    plan = {job.name: t for job, t in planned(Settings.from_dict(default))}
    assert plan["digest"].at == dt.time(8, 0)


@pytest.mark.parametrize(("jobs", "key"), [
    ({"nightly": {"every_minutes": 5}}, "scheduler.jobs.nightly"),
    ({"scan": {"every_minutes": 5, "at": "07:00"}}, "scheduler.jobs.scan.at"),
    ({"scan": {"every_seconds": 0}}, "scheduler.jobs.scan.every_seconds"),
])
def test_a_bad_schedule_is_refused_naming_the_key(tmp_path: Any, jobs: dict[str, Any],
                                                  key: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"key '{key}'")):
        make_settings(f"sqlite:///{tmp_path / 's.db'}", scheduler={"jobs": jobs})


def test_a_job_runs_in_an_app_context_with_a_fresh_clock(runtime: Runtime) -> None:
    app = create_app(runtime.settings)
    seen: list[tuple[str, dt.datetime]] = []

    def probe(rt: Runtime, now: dt.datetime, word: str) -> None:
        seen.append((current_app.name + word, now))

    before = runtime.now()
    _call(runtime, app, None, "probe", probe, word="!")
    assert seen[0][0] == "service.web!" and seen[0][1] >= before


def test_a_job_is_skipped_when_the_lease_is_not_held(runtime: Runtime) -> None:
    keeper = LeaseKeeper(runtime.sessions, TTL)
    calls: list[object] = []
    _call(runtime, create_app(runtime.settings), keeper, "probe", lambda *a: calls.append(a))
    assert calls == []


def test_the_lease_is_exclusive_until_it_expires(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        assert acquire(s, "a", T0, TTL)
    with runtime.sessions.begin() as s:
        assert not acquire(s, "b", T0 + TTL / 2, TTL)
        assert acquire(s, "a", T0 + TTL / 2, TTL)  # renewal pushes the expiry
    with runtime.sessions.begin() as s:
        assert not acquire(s, "b", T0 + TTL, TTL)
        assert acquire(s, "b", T0 + TTL * 2, TTL)  # "a" stopped renewing: taken over
    with runtime.sessions.begin() as s:
        assert not acquire(s, "a", T0 + TTL * 2, TTL)
        release(s, "a")  # not the holder: nothing happens
        assert holder_of(s).holder == "b"
        release(s, "b")
    with runtime.sessions.begin() as s:
        assert acquire(s, "a", T0 + TTL * 2, TTL)  # released: free at once


def test_a_keeper_that_cannot_renew_in_time_stops_holding(runtime: Runtime) -> None:
    instants = iter([T0, T0 + TTL + dt.timedelta(seconds=1)])
    keeper = LeaseKeeper(runtime.sessions, TTL, holder="a", clock=lambda: next(instants))
    assert keeper.try_acquire() is True
    assert not keeper.held()


def test_a_busy_database_does_not_cost_the_lease_it_holds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    engine = make_engine(url, connect_args={"timeout": 0.05})
    Base.metadata.create_all(engine)
    keeper = LeaseKeeper(make_sessionmaker(engine), TTL, holder="a")
    assert keeper.try_acquire() is True
    writer = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        assert keeper.try_acquire() is None
        assert keeper.held()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert keeper.try_acquire() is True
    engine.dispose()


def test_the_keeper_notices_a_takeover(runtime: Runtime) -> None:
    keeper = LeaseKeeper(runtime.sessions, dt.timedelta(seconds=0.3), holder="a")
    assert keeper.try_acquire() is True
    with runtime.sessions.begin() as s:
        row = holder_of(s)
        row.holder, row.expires_at = "b", runtime.now() + dt.timedelta(hours=1)
    keeper.keep()
    assert keeper.lost.wait(timeout=30)
    keeper.stop_keeping()
    assert not keeper.held()


# Two scheduler processes against PostgreSQL --------------------------------------------------


class Process:
    """A scheduler subprocess whose log lines are collected as they come."""

    def __init__(self, config: Path, arrived: threading.Condition) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("TTHC_")}
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "jobs", "--config", str(config)], cwd=ROOT, env=env,
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.arrived = arrived
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            with self.arrived:
                self.seen.append(line)
                self.arrived.notify_all()

    def count(self, pattern: str) -> int:
        """How many log lines so far match pattern."""
        return sum(1 for line in list(self.seen) if re.search(pattern, line))

    def log(self) -> str:
        """Everything the process logged so far."""
        return "".join(self.seen)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        code = self.popen.wait(timeout=60)
        self.reader.join(timeout=10)
        if self.popen.stderr is not None:
            self.popen.stderr.close()
        return code


def wait_until(arrived: threading.Condition, predicate: Callable[[], bool],
               processes: list[Process], timeout: float = 120) -> None:
    """Block until predicate holds; fail with the processes' logs after timeout seconds."""
    with arrived:
        if not arrived.wait_for(predicate, timeout):
            raise AssertionError("\n".join(p.log() for p in processes))


@pytest.fixture
def pg_runtime(pg_schema_url: str) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(make_settings(pg_schema_url))
    Base.metadata.create_all(runtime.engine)
    yield runtime
    runtime.engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_second_scheduler_takes_over_when_the_first_is_killed_and_nothing_is_sent_twice(
        pg_runtime: Runtime, pg_schema_url: str, tmp_path: Path) -> None:
    went_live(pg_runtime)
    add_dossiers(pg_runtime, "W1-", 3, due_in=-dt.timedelta(minutes=1))  # overdue already
    arrived = threading.Condition()
    with webhook_server() as hook:
        config = config_file(tmp_path / "config.toml", pg_schema_url, hook.url)
        both = [Process(config, arrived), Process(config, arrived)]
        try:
            wait_until(arrived, lambda: any(p.count("lease acquired") for p in both), both)
            first = next(p for p in both if p.count("lease acquired"))
            second = next(p for p in both if p is not first)
            wait_until(arrived, lambda: second.count("lease held by .*; waiting") > 0, both)
            wait_until(arrived, lambda: first.count("sent single message") >= 3, both)
            # Due while the first may still run, or only after it is gone.
            add_dossiers(pg_runtime, "W2-", 3, due_in=dt.timedelta(seconds=2))
            first.stop(signal.SIGKILL)
            add_dossiers(pg_runtime, "W3-", 3, due_in=-dt.timedelta(minutes=1))
            wait_until(arrived, lambda: second.count("lease acquired") > 0, both)
            assert hook.wait_for(9, timeout=120), first.log() + second.log()
            assert second.stop() == 0
        finally:
            for process in both:
                process.stop(signal.SIGKILL)
        codes = sorted(body["items"][0]["code"] for body, _ in hook.posts)
    assert codes == sorted(f"W{w}-{i}" for w in (1, 2, 3) for i in range(3))
    assert second.count("sent single message") > 0
    with pg_runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 9
        assert session.scalar(select(func.count()).select_from(AlertMessage)) == 9
        states = session.execute(select(AlertDelivery.state, AlertDelivery.attempts)).all()
    assert states == [(DeliveryState.SENT, 1)] * 9


def test_a_disabled_scheduler_returns_at_once(tmp_path: Any) -> None:
    runtime = Runtime.from_settings(make_settings(f"sqlite:///{tmp_path / 's.db'}",
                                                  scheduler={"enabled": False}))
    run_scheduler(runtime, threading.Event())
    with runtime.engine.connect() as conn:
        assert "scheduler_lease" not in conn.dialect.get_table_names(conn)
    runtime.engine.dispose()
