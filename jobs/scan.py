"""Job: the deadline scan, then the alerts its transitions call for, in one transaction.

Going live on a backlog (the first scan of a database, or the scan after a bulk import) would
raise an alert per dossier already near or overdue: 31 000 messages on a district's data. Such
a baseline scan records the classes and alerts as usual but sends each recipient one summary
digest of their open items instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.alerts import AlertPolicy, Directory, RaiseReport, active_channels, raise_alerts
from service.dossiers.scan import ScanResult, scan
from service.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanOutcome:
    """A scan and the alerts it raised (None when alerts are off)."""

    scan: ScanResult
    alerts: RaiseReport | None


def scan_and_raise(session: Session, runtime: Runtime, now: dt.datetime) -> ScanOutcome:
    """Scan and raise alerts in the caller's transaction."""
    settings = runtime.settings
    recheck = dt.timedelta(minutes=settings["scheduler"]["scan_recheck_minutes"])
    result = scan(session, now, recheck)
    report = None
    if settings["alerts"]["enabled"]:
        policy = AlertPolicy.from_settings(settings, runtime.calendar)
        baseline = is_baseline(result, settings["alerts"]["baseline_threshold"])
        report = raise_alerts(session, result, policy, Directory.from_settings(settings),
                              active_channels(settings["alerts"], settings["notices"]),
                              baseline=baseline)
        if baseline and report.total:
            log.info("baseline scan: %d alert(s) recorded for %d recipient(s), sent as %d "
                     "summary digest(s)", report.total, len(report.recipients),
                     report.summaries)
    return ScanOutcome(result, report)


def is_baseline(result: ScanResult, threshold: int) -> bool:
    """The first scan of a database, or one classifying a bulk import (many dossiers new)."""
    first_seen = sum(1 for move in result.transitions if move.before is None)
    return result.previous is None or first_seen > threshold


def run(runtime: Runtime, now: dt.datetime) -> ScanOutcome:
    """One scan, committed; transitions and alerts are all recorded or none."""
    with runtime.sessions.begin() as session:
        outcome = scan_and_raise(session, runtime, now)
    raised = outcome.alerts.total if outcome.alerts else 0
    log.log(logging.INFO if outcome.scan.transitions or raised else logging.DEBUG,
            "deadline scan: %d examined, %d transition(s), %d alert(s) raised",
            outcome.scan.examined, len(outcome.scan.transitions), raised)
    return outcome
