"""Job: remind the office before Biểu 06 is due, once per report, on the alert channels."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from html import escape
from typing import Any

from service import alerts
from service.config.settings import Settings
from service.models.alerts import MessageKind
from service.reports.reminders import Reminder, pending, record
from service.runtime import Runtime

log = logging.getLogger(__name__)


def run(runtime: Runtime, now: dt.datetime, channels: Mapping[str, Any] | None = None) -> int:
    """Send the reminders due today; return how many reports were reminded.

    Without recipients or channels the reminder is only recorded (the dashboard shows it
    anyway); when every delivery fails it is left for the next run.
    """
    today = runtime.calendar.local(now).date()
    done = 0
    with runtime.sessions.begin() as session:
        for reminder in pending(session, runtime.config, today):
            delivered, failed = _deliver(runtime.config, reminder, channels)
            if failed and not delivered:
                log.warning("report reminder %s: every delivery failed; retrying next run",
                            reminder.report.key)
                continue
            record(session, reminder, now, delivered)
            log.info("report reminder %s sent to %d recipient(s)", reminder.report.key,
                     delivered)
            done += 1
    return done


def _deliver(settings: Settings, reminder: Reminder,
             channels: Mapping[str, Any] | None) -> tuple[int, int]:
    """Send to the configured recipients of the reminder roles; (delivered, failed)."""
    roles = set(settings.reports.remind_roles)
    recipients = [r for r in alerts.Directory.from_settings(settings) if r.roles & roles]
    own = channels is None
    channels = alerts.build_channels(settings.alerts, os.environ) if own else channels
    delivered = failed = 0
    try:
        for recipient in recipients:
            message = _message(recipient.name, reminder)
            for name in recipient.channels:
                if name not in channels:
                    continue
                try:
                    channels[name].send(recipient, message)
                    delivered += 1
                except alerts.DeliveryError as exc:
                    log.warning("report reminder via %s failed: %s", name, exc)
                    failed += 1
    finally:
        if own:
            for channel in channels.values():
                channel.close()
    return delivered, failed


def _message(name: str, reminder: Reminder) -> alerts.Rendered:
    """The reminder addressed to one person, as the alert channels send it."""
    text = f"Kính gửi: {name},\n\n{reminder.text}\n--\nHệ thống theo dõi hồ sơ TTHC"
    return alerts.Rendered(
        kind=MessageKind.SINGLE, subject=reminder.subject, text=text,
        html="<p>" + escape(text).replace("\n", "<br>") + "</p>",
        payload={"kind": "report_reminder", "subject": reminder.subject, "text": text,
                 "period": reminder.report.period_code, "due": reminder.report.due.isoformat()})
