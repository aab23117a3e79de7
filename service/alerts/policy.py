"""The alert rules of one configuration and the calendar instants they turn on."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from service.calendar import WorkCalendar
from service.config.settings import Settings
from service.models.alerts import AlertKind

ESCALATION = "escalation"
# Wide enough for any gap between working days (Tết is the longest), narrowed by bisection.
SEARCH_SPAN = dt.timedelta(days=40)


@dataclass(frozen=True)
class AlertPolicy:
    """Who gets what, when alerts may be sent, and how deliveries are retried."""

    calendar: WorkCalendar
    rules: Mapping[str, tuple[str, ...]]
    escalation_days: int
    office_hours_only: bool
    escalation_any_time: bool
    digest_threshold: int
    digest_at: dt.time
    base_url: str
    retry_attempts: int
    backoff: dt.timedelta
    max_backoff: dt.timedelta

    @classmethod
    def from_settings(cls, settings: Settings, calendar: WorkCalendar) -> AlertPolicy:
        """Build the policy from the [alerts] settings."""
        section = settings.alerts
        retry = section.retry
        return cls(
            calendar=calendar,
            rules={item.name: getattr(section.rules, item.name)
                   for item in dataclasses.fields(section.rules)},
            escalation_days=section.escalation_working_days,
            office_hours_only=section.office_hours_only,
            escalation_any_time=section.escalation_any_time,
            digest_threshold=section.digest_threshold,
            digest_at=dt.time.fromisoformat(section.digest_at),
            base_url=section.base_url.rstrip("/"),
            retry_attempts=retry.attempts,
            backoff=dt.timedelta(seconds=retry.backoff_seconds),
            max_backoff=dt.timedelta(seconds=retry.max_backoff_seconds))

    def roles(self, kind: AlertKind, level: int) -> tuple[str, ...]:
        """The recipient roles of an alert kind and level."""
        return tuple(self.rules.get(ESCALATION if level == 2 else kind.value, ()))

    def apology_at(self, due: dt.datetime) -> dt.datetime:
        """The opening of the last working day before the due date: the apology must be out
        by its close (Decree 118/2025/NĐ-CP Art. 19.6: no later than one day before)."""
        cal = self.calendar
        return cal.opening(previous_working_day(cal, cal.local(due).date()))

    def escalation_at(self, due: dt.datetime) -> dt.datetime:
        """When an open dossier has been overdue for the configured number of working days."""
        cal = self.calendar
        return cal.add_working_time(due, cal.office_day * self.escalation_days)

    def send_after(self, now: dt.datetime, level: int) -> dt.datetime:
        """When an alert raised at now may go out: at once, or at the next office opening."""
        if not self.office_hours_only or (level == 2 and self.escalation_any_time):
            return now
        return self.calendar.next_office_instant(now)

    def digest_due(self, now: dt.datetime) -> dt.date | None:
        """Today's date once today's digest is due (a working day, past digest time)."""
        local = self.calendar.local(now)
        if not self.calendar.is_working_day(local.date()) or local.time() < self.digest_at:
            return None
        return local.date()

    def overdue_days(self, due: dt.datetime, now: dt.datetime) -> int:
        """Whole working days elapsed since the due date."""
        cal = self.calendar
        return max(cal.working_days_between(cal.local(due).date(), cal.local(now).date()), 0)


def previous_working_day(cal: WorkCalendar, day: dt.date) -> dt.date:
    """The last working day strictly before day."""
    day -= dt.timedelta(days=1)
    while not cal.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def last_due_reaching(instant_of: Callable[[dt.datetime], dt.datetime],
                      now: dt.datetime) -> dt.datetime:
    """The latest due instant whose milestone has come by now.

    `instant_of` maps a due instant to its milestone and never decreases, so the dossiers whose
    milestone fell in (a, b] are those with due_at in (last_due_reaching(a), ..(b)]: one
    indexed range read on due_at instead of a calendar computation per dossier.
    """
    low, high = now - SEARCH_SPAN, now + SEARCH_SPAN
    while instant_of(low) > now:
        low -= SEARCH_SPAN
    while instant_of(high) <= now:
        high += SEARCH_SPAN
    step = dt.timedelta(microseconds=1)
    while high - low > step:
        middle = low + (high - low) // 2
        if instant_of(middle) <= now:
            low = middle
        else:
            high = middle
    return low
