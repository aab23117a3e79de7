"""Job: send the alerts and digests that are due, on the configured channels."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping

from jobs.lease import process_name
from service.alerts import AlertPolicy, Channel, DeliveryReport, Directory, build_channels, deliver
from service.alerts.claims import release_claims
from service.notices.senders import Sender, SetupError, build_senders
from service.runtime import Runtime

log = logging.getLogger(__name__)


def release_others_claims(runtime: Runtime, holder: str) -> None:
    """On taking the lease over, free the claims of the scheduler that held it before.

    That scheduler stopped renewing (killed, paused, cut off): its claims would otherwise
    hold their deliveries for the rest of CLAIM_FOR (10 minutes) while this one could send.
    """
    with runtime.sessions.begin() as session:
        released = release_claims(session, keep=holder)
    if released:
        log.info("released %d claim(s) of the previous scheduler", released)


def run(runtime: Runtime, now: dt.datetime,
        channels: Mapping[str, Channel] | None = None) -> DeliveryReport | None:
    """One dispatch run; None when alerts are off."""
    settings = runtime.config
    if not settings.alerts.enabled:
        return None
    if channels is None:
        channels = build_channels(settings.alerts, os.environ, texting(runtime), now)
    report = deliver(runtime.sessions, channels,
                     AlertPolicy.from_settings(settings, runtime.calendar),
                     Directory.from_settings(settings), now, holder=process_name())
    if report.sent or report.failed or report.cancelled or report.digests_created:
        log.info("alerts: %d message(s) sent carrying %d alert(s), %d failed, %d given up, "
                 "%d cancelled, %d deferred, %d digest(s) created", report.sent,
                 report.alerts, report.failed, report.gave_up, report.cancelled,
                 report.deferred, report.digests_created)
    return report


def texting(runtime: Runtime) -> dict[str, Sender]:
    """The SMS and Zalo senders of [notices], for recipients who take alerts by phone; none
    when a credential is missing (e-mail and the webhook still go)."""
    settings = runtime.config
    try:
        return build_senders(settings.notices, os.environ, runtime.sessions, settings.timezone)
    except SetupError as exc:
        log.error("alerts: no SMS or Zalo: %s", exc)
        return {}
