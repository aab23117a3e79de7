"""The scheduler process: one BlockingScheduler, run only while this process holds the lease."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from jobs.alerts import release_others_claims
from jobs.lease import LeaseKeeper
from jobs.schedule import PORTAL, SERIAL, Timing, planned
from service.logs import setup_logging
from service.runtime import Runtime

log = logging.getLogger(__name__)


def _trigger(timing: Timing, timezone: str) -> IntervalTrigger | CronTrigger:
    if timing.every is not None:
        return IntervalTrigger(seconds=timing.every.total_seconds(), timezone=timezone)
    if timing.at is None:
        raise ValueError("a job needs an interval or a time of day")
    return CronTrigger(hour=timing.at.hour, minute=timing.at.minute, timezone=timezone)


def build_scheduler(runtime: Runtime, lease: LeaseKeeper | None = None) -> BlockingScheduler:
    """A BlockingScheduler with every planned job: coalesced, one instance each, misfire grace.

    With a lease, a job whose turn comes after the lease lapsed is skipped.
    """
    config = runtime.config
    grace = config.scheduler.misfire_grace_seconds
    scheduler = BlockingScheduler(
        timezone=config.timezone,
        executors={"default": ThreadPoolExecutor(4), SERIAL: ThreadPoolExecutor(1),
                   PORTAL: ThreadPoolExecutor(1)})
    app = _flask_app(runtime)
    for job, timing in planned(config):
        scheduler.add_job(_call, _trigger(timing, config.timezone), id=job.name,
                          name=job.name, executor=job.executor, coalesce=True, max_instances=1,
                          misfire_grace_time=grace,
                          args=[runtime, app, lease, job.name, job.run],
                          kwargs=dict(job.kwargs))
    return scheduler


def _flask_app(runtime: Runtime) -> Flask:
    """The app whose context jobs run in, sharing this runtime's engine."""
    from service.web import create_app

    app = create_app(runtime.settings, runtime)
    return app


def _call(runtime: Runtime, app: Flask, lease: LeaseKeeper | None, name: str,
          func: Callable[..., Any], **kwargs: Any) -> None:
    """Run one job with a fresh clock inside an app context; log, never raise."""
    if lease is not None and not lease.held():
        log.warning("job %s skipped: this scheduler does not hold the lease", name)
        return
    with app.app_context():
        try:
            func(runtime, runtime.now(), **kwargs)
        except Exception:  # noqa: BLE001 - one failing job never stops the scheduler
            log.exception("job %s failed", name)


def _terminate(signum: int, frame: Any) -> None:
    """Turn SIGTERM into SystemExit so running jobs finish and the lease is given back."""
    raise SystemExit(128 + signum)


def run_scheduler(runtime: Runtime, stop: threading.Event | None = None) -> None:
    """Wait for the lease, run the schedule while holding it, wait again if it is lost."""
    settings = runtime.settings
    setup_logging(settings)
    # Every run of every job would log twice ("Running job", "executed successfully").
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    if not runtime.config.scheduler.enabled:
        log.warning("scheduler not started: [scheduler] enabled = false")
        return
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    keeper = LeaseKeeper(runtime.sessions,
                         dt.timedelta(seconds=runtime.config.scheduler.lease_seconds))
    try:
        while keeper.wait(stop):
            release_others_claims(runtime, keeper.holder)
            _run_while_held(runtime, keeper, stop)
            if not stop.is_set():
                log.warning("scheduler paused: lease lost; waiting to take it back")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        keeper.release()
        log.info("scheduler stopped")


def _run_while_held(runtime: Runtime, keeper: LeaseKeeper, stop: threading.Event) -> None:
    """Run the schedule until stopped or until the keeper reports the lease lost."""
    keeper.keep()  # from the moment it is won: building the scheduler takes a while
    scheduler = None
    try:
        scheduler = build_scheduler(runtime, keeper)
        log.info("scheduler started with %d job(s): %s", len(scheduler.get_jobs()),
                 ", ".join(job.id for job in scheduler.get_jobs()))
        scheduler.add_job(_watch_lease, "interval", seconds=keeper.interval, id="lease",
                          args=[scheduler, keeper], coalesce=True, max_instances=1)
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        stop.set()
    finally:
        keeper.stop_keeping()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=True)


def _watch_lease(scheduler: BlockingScheduler, keeper: LeaseKeeper) -> None:
    """Stop the schedule once the lease is lost; the process then waits to take it back."""
    if keeper.lost.is_set():
        scheduler.shutdown(wait=False)
