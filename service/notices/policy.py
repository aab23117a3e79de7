"""The notice rules of one configuration: which events, which channels, when, how retried."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from service.calendar import WorkCalendar
from service.config.settings import Settings
from service.models.notices import NoticeKind


@dataclass(frozen=True)
class NoticePolicy:
    """What [notices] decides, with the working calendar its office hours come from."""

    calendar: WorkCalendar
    channels: tuple[str, ...]
    kinds: frozenset[NoticeKind]
    office_hours_only: bool
    consent_required: bool
    max_event_age: dt.timedelta
    recheck: dt.timedelta
    office_name: str
    lookup_url: str
    retry_attempts: int
    backoff: dt.timedelta
    max_backoff: dt.timedelta

    @classmethod
    def from_settings(cls, settings: Settings, calendar: WorkCalendar) -> NoticePolicy:
        """Build the policy from the [notices] settings (and [lookup] public_url)."""
        section, retry = settings.notices, settings.notices.retry
        public = settings.lookup.public_url.rstrip("/")
        return cls(
            calendar=calendar, channels=section.channels,
            kinds=frozenset(NoticeKind(kind) for kind in section.events),
            office_hours_only=section.office_hours_only,
            consent_required=section.consent == "required",
            max_event_age=dt.timedelta(hours=section.max_event_age_hours),
            recheck=dt.timedelta(minutes=section.recheck_minutes),
            office_name=section.office_name,
            lookup_url=section.lookup_url or (f"{public}/tra-cuu" if public else ""),
            retry_attempts=retry.attempts,
            backoff=dt.timedelta(seconds=retry.backoff_seconds),
            max_backoff=dt.timedelta(seconds=retry.max_backoff_seconds))

    def send_after(self, now: dt.datetime) -> dt.datetime:
        """When a notice due at now may go: at once, or at the next office opening."""
        return self.calendar.next_office_instant(now) if self.office_hours_only else now

    def retry_after(self, attempts: int, row_id: int) -> dt.timedelta:
        """Exponential delay after the n-th failed try, capped, spread by up to 10 % per row
        so that the retries of many notices do not all fall on the same minute."""
        delay = min(self.backoff * 2 ** (attempts - 1), self.max_backoff)
        return delay * (1 + (row_id * 7919 % 100) / 1000)
