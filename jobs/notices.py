"""Job: find new events in the dossiers' history and send the citizens' notices that are due."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from jobs.lease import process_name
from service.notices import NoticePolicy, NoticeReport, collect, dispatch
from service.notices.senders import Sender, SetupError, build_senders
from service.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoticesOutcome:
    """What one run added and sent (report None when the senders could not be built)."""

    added: int
    report: NoticeReport | None


def run(runtime: Runtime, now: dt.datetime,
        senders: Mapping[str, Sender] | None = None) -> NoticesOutcome | None:
    """One run: collect events (committed), then dispatch; None when notices are off."""
    settings = runtime.config
    if not settings.notices.enabled:
        return None
    policy = NoticePolicy.from_settings(settings, runtime.calendar)
    with runtime.sessions.begin() as session:
        added = collect(session, policy, now)
    own = senders is None
    try:
        senders = build_senders(settings.notices, os.environ, runtime.sessions,
                                settings.timezone) if own else senders
    except SetupError as exc:
        # Events are still collected: they wait, visible on the dossier page, until fixed.
        log.error("notices: cannot send: %s", exc)
        return NoticesOutcome(added, None)
    try:
        report = dispatch(runtime.sessions, senders, policy, now, holder=process_name())
    finally:
        if own:
            for sender in senders.values():
                sender.close()
    if added or report.sent or report.failed or report.skipped:
        log.info("notices: %d added, %d sent, %d failed (%d given up), %d not to be sent, "
                 "%d deferred", added, report.sent, report.failed, report.gave_up,
                 report.skipped, report.deferred)
    return NoticesOutcome(added, report)
