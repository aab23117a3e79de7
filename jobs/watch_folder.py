"""Job: import the exports clerks drop into each spreadsheet connector's watched folder."""

from __future__ import annotations

import datetime as dt
import logging

from service.ingest.runs import describe_run, run_connector
from service.runtime import Runtime

log = logging.getLogger(__name__)


def watched_connectors(runtime: Runtime) -> list[str]:
    """Names of the spreadsheet connectors that have a drop folder."""
    return sorted(name for name, options in runtime.settings["connectors"].items()
                  if options.get("type") == "spreadsheet" and options.get("folder"))


def run(runtime: Runtime, now: dt.datetime) -> None:
    """Import every settled file of every watched folder; one failing folder skips only itself."""
    for name in watched_connectors(runtime):
        try:
            result = run_connector(runtime.sessions, runtime.connector(name), runtime.derive,
                                   now)
        except Exception:  # noqa: BLE001 - the run row holds the error; other folders go on
            log.exception("watch folder %s failed", name)
            continue
        if result.fetched:
            log.info("watch folder %s", describe_run(result))
