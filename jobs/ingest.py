"""Job: one ingest cycle of one connector."""

from __future__ import annotations

import datetime as dt
import logging

from service.ingest.runs import run_connector
from service.runtime import Runtime

log = logging.getLogger(__name__)


def run(runtime: Runtime, now: dt.datetime, connector: str) -> None:
    """Pull what changed from one connector; a failure is recorded on its run and logged."""
    try:
        result = run_connector(runtime.sessions, runtime.connector(connector), runtime.derive,
                               now)
    except Exception:  # noqa: BLE001 - the run row holds the error; the scheduler goes on
        log.exception("ingest %s failed", connector)
        return
    log.info("ingest %s: fetched %d, created %d, updated %d, unchanged %d, rejected %d",
             connector, result.fetched, result.created, result.updated, result.unchanged,
             result.rejected)
