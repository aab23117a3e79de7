"""The schedule as data: each job's run function, its default timing, where to override it.

[scheduler.jobs.NAME] in config.toml overrides a job's timing (every_minutes, every_seconds or
at = "HH:MM") or turns it off (enabled = false). Ingest jobs come from [connectors.*], each at
its connector's interval_minutes, for the connectors that are pulled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobs import (
    alerts,
    digest,
    ingest,
    notices,
    reconcile,
    report_reminder,
    retention,
    scan,
    sync,
    watch_folder,
)
from service.config.settings import Settings

# Jobs that read and write the deadline state run one at a time in their own executor, so a
# scan, a dispatch and the digest never interleave inside one scheduler.
SERIAL = "serial"
# The portal sync and reconcile both create the portal_sync row of a dossier that has none; run
# at once they raced to insert the same row (a UNIQUE violation failed one of them), so they
# take turns in an executor of their own, apart from the deadline jobs.
PORTAL = "portal"


@dataclass(frozen=True)
class ScheduledJob:
    """One job of the schedule and its default timing."""

    name: str
    run: Callable[..., Any]
    every: dt.timedelta | None = None
    at: str | None = None
    # A [section, key] of the configuration that sets the default: minutes, or "HH:MM".
    setting: tuple[str, str] | None = None
    executor: str = "default"
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Timing:
    """When a planned job runs: an interval, or a time of day."""

    every: dt.timedelta | None = None
    at: dt.time | None = None


JOBS: tuple[ScheduledJob, ...] = (
    ScheduledJob("scan", scan.run, every=dt.timedelta(minutes=5), executor=SERIAL),
    ScheduledJob("alerts", alerts.run, every=dt.timedelta(minutes=1), executor=SERIAL),
    # Serial too: it shares the Zalo OA's tokens with the alerts job, and a refresh token
    # works once.
    ScheduledJob("notices", notices.run, every=dt.timedelta(minutes=1), executor=SERIAL),
    ScheduledJob("digest", digest.run, at="07:30", setting=("alerts", "digest_at"),
                 executor=SERIAL),
    ScheduledJob("sync", sync.run, every=dt.timedelta(minutes=2),
                 setting=("portal", "interval_minutes"), executor=PORTAL),
    ScheduledJob("reconcile", reconcile.run, every=dt.timedelta(hours=1),
                 setting=("portal", "reconcile_interval_minutes"), executor=PORTAL),
    ScheduledJob("watch_folder", watch_folder.run, every=dt.timedelta(minutes=1)),
    ScheduledJob("report_reminder", report_reminder.run, at="08:00"),
    # At night, apart from the deadline jobs: it deletes in bulk.
    ScheduledJob("retention", retention.run, at="02:30"),
)
# Connector types no interval ingest job pulls: webhook connectors are pushed to over HTTP,
# spreadsheet connectors are read from their drop folder by the watch_folder job (two jobs
# reading one folder would race for its files).
NOT_PULLED = frozenset({"webhook", "spreadsheet"})
JOB_NAMES = frozenset(job.name for job in JOBS)


def timing(job: ScheduledJob, settings: Settings) -> Timing:
    """The job's timing: [scheduler.jobs.NAME], else its setting, else its default."""
    # A job's table holds only the keys given, so which timing it names is a key test.
    override = settings.scheduler.jobs.get(job.name, {})
    if "every_seconds" in override:
        return Timing(every=dt.timedelta(seconds=override["every_seconds"]))
    if "every_minutes" in override:
        return Timing(every=dt.timedelta(minutes=override["every_minutes"]))
    if "at" in override:
        return Timing(at=dt.time.fromisoformat(override["at"]))
    if job.setting is not None:
        section, key = job.setting
        value = getattr(getattr(settings, section), key)
        if isinstance(value, int):
            return Timing(every=dt.timedelta(minutes=value))
        if isinstance(value, str):
            return Timing(at=dt.time.fromisoformat(value))
    return Timing(every=job.every, at=dt.time.fromisoformat(job.at) if job.at else None)


def planned(settings: Settings) -> list[tuple[ScheduledJob, Timing]]:
    """Every enabled job of this configuration with its timing, ingest jobs first."""
    plan = [(ScheduledJob(f"ingest:{name}", ingest.run, kwargs={"connector": name}),
             Timing(every=dt.timedelta(minutes=options.get("interval_minutes", 5))))
            for name, options in sorted(settings.connectors.items())
            if options["type"] not in NOT_PULLED]
    for job in JOBS:
        # A job without a table of its own runs; JobTimingSchema fills enabled in one given.
        if settings.scheduler.jobs.get(job.name, {"enabled": True})["enabled"]:
            plan.append((job, timing(job, settings)))
    return plan
