"""The APScheduler process: the schedule as data, each job wrapped with a fresh clock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler

from jobs import ingest
from service.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id, function, trigger and trigger arguments."""

    id: str
    func: Callable[..., None]
    trigger: str
    trigger_args: dict[str, Any]
    kwargs: dict[str, Any] = field(default_factory=dict)


def job_specs(runtime: Runtime) -> list[JobSpec]:
    """The schedule for this configuration."""
    specs = []
    for name, options in sorted(runtime.settings["connectors"].items()):
        minutes = options.get("interval_minutes", 5)
        specs.append(JobSpec(f"ingest:{name}", ingest.run, "interval", {"minutes": minutes},
                             {"connector": name}))
    return specs


def build_scheduler(runtime: Runtime) -> BlockingScheduler:
    """A BlockingScheduler with every job: coalesced, one instance at a time, misfire grace."""
    scheduler = BlockingScheduler(timezone=runtime.settings["timezone"], job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    for spec in job_specs(runtime):
        scheduler.add_job(_call, spec.trigger, id=spec.id, args=[runtime, spec.func],
                          kwargs=spec.kwargs, **spec.trigger_args)
    return scheduler


def _call(runtime: Runtime, func: Callable[..., None], **kwargs: Any) -> None:
    func(runtime, runtime.now(), **kwargs)


def run_scheduler(runtime: Runtime) -> None:
    """Block running the schedule until interrupted."""
    logging.basicConfig(level=runtime.settings["log_level"],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler = build_scheduler(runtime)
    log.info("scheduler started with %d job(s)", len(scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
