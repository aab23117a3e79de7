"""Job: the deadline scan of dossiers and complaints, then the alerts their moves call for,
in one transaction.

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

from service.alerts import (
    AlertPolicy,
    Directory,
    RaiseReport,
    active_channels,
    raise_alerts,
    raise_complaint_alerts,
)
from service.complaints import ComplaintMove, scan_complaints
from service.dossiers.scan import ScanResult, scan
from service.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanOutcome:
    """A scan, the complaints it moved, and the alerts raised (None when alerts are off)."""

    scan: ScanResult
    alerts: RaiseReport | None
    complaints: tuple[ComplaintMove, ...] = ()


def scan_and_raise(session: Session, runtime: Runtime, now: dt.datetime) -> ScanOutcome:
    """Scan and raise alerts in the caller's transaction."""
    settings = runtime.config
    recheck = dt.timedelta(minutes=runtime.config.scheduler.scan_recheck_minutes)
    result = scan(session, now, recheck)
    # The dossier scan's watermark serves the complaints too: both run under its row lock.
    moves = scan_complaints(session, result.previous, now, recheck)
    report = None
    if runtime.config.alerts.enabled:
        policy = AlertPolicy.from_settings(settings, runtime.calendar)
        baseline = is_baseline(result, runtime.config.alerts.baseline_threshold)
        directory, channels = Directory.from_settings(settings), active_channels(
            settings.alerts, settings.notices)
        report = raise_alerts(session, result, policy, directory, channels, baseline=baseline)
        raise_complaint_alerts(session, moves, policy, directory, channels, now, report)
        if baseline and report.total:
            log.info("baseline scan: %d alert(s) recorded for %d recipient(s), sent as %d "
                     "summary digest(s)", report.total, len(report.recipients),
                     report.summaries)
    return ScanOutcome(result, report, tuple(moves))


def is_baseline(result: ScanResult, threshold: int) -> bool:
    """The first scan of a database, or one classifying a bulk import (many dossiers new)."""
    first_seen = sum(1 for move in result.transitions if move.before is None)
    return result.previous is None or first_seen > threshold


def run(runtime: Runtime, now: dt.datetime) -> ScanOutcome:
    """One scan, committed; transitions and alerts are all recorded or none."""
    with runtime.sessions.begin() as session:
        outcome = scan_and_raise(session, runtime, now)
    raised = outcome.alerts.total if outcome.alerts else 0
    moved = outcome.scan.transitions or outcome.complaints
    log.log(logging.INFO if moved or raised else logging.DEBUG,
            "deadline scan: %d examined, %d transition(s), %d complaint move(s), "
            "%d alert(s) raised", outcome.scan.examined, len(outcome.scan.transitions),
            len(outcome.complaints), raised)
    return outcome
