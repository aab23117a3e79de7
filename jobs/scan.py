"""Job: the deadline scan of dossiers and complaints, then the alerts their moves call for, in
one transaction."""

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
    settings = runtime.settings
    recheck = dt.timedelta(minutes=settings["scheduler"]["scan_recheck_minutes"])
    result = scan(session, now, recheck)
    # The dossier scan's watermark serves the complaints too: both run under its row lock.
    moves = scan_complaints(session, result.previous, now, recheck)
    report = None
    if settings["alerts"]["enabled"]:
        policy = AlertPolicy.from_settings(settings, runtime.calendar)
        directory, channels = Directory.from_settings(settings), active_channels(
            settings["alerts"])
        report = raise_alerts(session, result, policy, directory, channels)
        raise_complaint_alerts(session, moves, policy, directory, channels, now, report)
    return ScanOutcome(result, report, tuple(moves))


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
