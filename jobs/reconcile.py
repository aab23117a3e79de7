"""Job: ask the portal (TraCuuHoSo) what it holds for a sample of dossiers; re-queue mismatches."""

from __future__ import annotations

import datetime as dt
import logging

from jobs.sync import gateway_for
from service.portal import PortalOptions, ReconcileReport, run_reconcile
from service.runtime import Runtime

log = logging.getLogger(__name__)


def run(runtime: Runtime, now: dt.datetime) -> ReconcileReport | None:
    """One reconcile run; a fault is logged and the next run starts afresh."""
    options = PortalOptions.from_settings(runtime.config)
    try:
        report = run_reconcile(runtime.sessions, gateway_for(runtime, now, "reconcile"), now,
                               options)
    except Exception:  # noqa: BLE001 - the scheduler goes on; the next run retries
        log.exception("portal reconcile failed")
        return None
    log.info("portal reconcile (%s): %d looked up, %d mismatched and re-queued%s",
             options.mode, len(report.results), report.mismatched,
             f"; stopped: {report.stopped or report.error}" if report.stopped or report.error
             else "")
    return report
