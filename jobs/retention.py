"""Job: prune old operational rows and mask the applicants of long-finished dossiers, nightly."""

from __future__ import annotations

import datetime as dt
import logging

from service.retention import RetentionOptions, RetentionReport, apply_retention
from service.runtime import Runtime

log = logging.getLogger(__name__)


def run(runtime: Runtime, now: dt.datetime) -> RetentionReport:
    """One retention pass, committed as one unit."""
    with runtime.sessions.begin() as session:
        report = apply_retention(session, now, RetentionOptions.from_settings(runtime.config))
    log.info("retention: %s", report.describe())
    return report
