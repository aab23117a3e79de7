"""Office hours on working days: opening, closing and arithmetic in working time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from service.calendar.closings import ClosingIndex
from service.calendar.days import SLACK_DAYS, WorkingDays
from service.calendar.settings import CalendarSettings

MICRO = 1_000_000


def _micro(value: dt.time) -> int:
    """Return microseconds since midnight for a wall-clock time."""
    return ((value.hour * 60 + value.minute) * 60 + value.second) * MICRO + value.microsecond


def _delta_micro(value: dt.timedelta) -> int:
    """Return a timedelta as whole microseconds."""
    return (value.days * 86_400 + value.seconds) * MICRO + value.microseconds


class WorkCalendar(WorkingDays):
    """The office's working calendar: working days plus office hours in one time zone."""

    def __init__(self, settings: CalendarSettings | None = None) -> None:
        super().__init__(settings)
        self.tz = ZoneInfo(self.settings.timezone)
        self._hours = [(_micro(a), _micro(b)) for a, b in self.settings.office_hours]
        self._day_length = sum(b - a for a, b in self._hours)
        self._closings: ClosingIndex | None = None

    @property
    def office_day(self) -> dt.timedelta:
        """Return the length of office time in one working day."""
        return dt.timedelta(microseconds=self._day_length)

    def local(self, instant: dt.datetime) -> dt.datetime:
        """Return an aware instant in the calendar's time zone; refuse naive datetimes."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"expected a timezone-aware instant, got {instant.isoformat()}")
        return instant.astimezone(self.tz)

    def at(self, day: dt.date, clock: dt.time) -> dt.datetime:
        """Return the aware instant of a wall-clock time on a date in the calendar's zone."""
        return dt.datetime.combine(day, clock, tzinfo=self.tz)

    def opening(self, day: dt.date) -> dt.datetime:
        """Return the instant office hours begin on day."""
        return self.at(day, self.settings.office_hours[0][0])

    def closing(self, day: dt.date) -> dt.datetime:
        """Return the instant office hours end on day (the close of the day)."""
        return self.at(day, self.settings.office_hours[-1][1])

    def closing_after(self, start: dt.datetime, count: int) -> dt.datetime:
        """Return the closing of the count-th working day after start's first working day.

        Equal to `closing(add_working_days(local(start).date(), count))`, the working_days
        due instant; for an instant in the office's zone or at a fixed UTC offset inside the
        precomputed years it is one addition and three list look-ups.
        """
        index = self._closings
        if index is not None and count >= 0:
            shift = index.shifts.get(start.tzinfo)
            if shift is not None:
                ordinal = (start + shift).toordinal()
                if index.lo <= ordinal and ordinal + 2 * count + SLACK_DAYS <= index.hi:
                    position = index.cum[ordinal - index.lo_ordinal] + count
                    if position < len(index.closings):
                        return index.closings[position]
        return self._closing_after_general(start, count)

    def _closing_after_general(self, start: dt.datetime, count: int) -> dt.datetime:
        """closing_after the general way; then index the table it used for the next call."""
        due = self.closing(self.add_working_days(self.local(start).date(), count))
        table, index = self._table, self._closings
        if table is not None and (index is None or index.table is not table):
            index = ClosingIndex(table, self.tz, self.settings.office_hours[-1][1])
            self._closings = index  # one assignment: readers see the old index or the new
        if index is not None and start.tzinfo not in index.shifts:
            index.learn(start.tzinfo)
        return due

    def is_office_time(self, instant: dt.datetime) -> bool:
        """Tell whether instant falls inside office hours of a working day."""
        local = self.local(instant)
        position = _micro(local.time())
        inside = any(a <= position < b for a, b in self._hours)
        return inside and self.is_working_day(local.date())

    def _before(self, position: int) -> int:
        """Return office time in a working day before a time of day, in microseconds."""
        return sum(min(max(position - a, 0), b - a) for a, b in self._hours)

    def _instant(self, day: dt.date, position: int) -> dt.datetime:
        """Return the aware instant at position microseconds after midnight of day."""
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.tz)
        return midnight + dt.timedelta(microseconds=position)

    def _walk(self, day: dt.date, office_offset: int) -> dt.datetime:
        """Return the instant when office_offset of office time has passed since opening."""
        for a, b in self._hours:
            if office_offset <= b - a:
                return self._instant(day, a + office_offset)
            office_offset -= b - a
        raise AssertionError("offset exceeds the office day")  # pragma: no cover

    def next_office_instant(self, instant: dt.datetime) -> dt.datetime:
        """Return instant itself inside office hours, otherwise the next opening."""
        local = self.local(instant)
        day, position = local.date(), _micro(local.time())
        if self.is_working_day(day):
            for a, b in self._hours:
                if position < b:
                    return local if position >= a else self._instant(day, a)
        return self.opening(self.next_working_day(day))

    def add_working_time(self, instant: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """Return the instant when amount of office time has passed after instant.

        Lunch breaks, nights and days off do not count. An amount that ends exactly at a
        closing (11:30, 17:00) returns that closing rather than the next opening.
        """
        remaining = _delta_micro(amount)
        if remaining < 0:
            raise ValueError(f"amount must not be negative, got {amount}")
        start = self.next_office_instant(instant)
        if remaining == 0:
            return start
        day = start.date()
        used = self._before(_micro(start.time()))
        full_days, rest = divmod(used + remaining, self._day_length)
        if rest == 0:
            return self.closing(self.add_working_days(day, full_days - 1))
        return self._walk(self.add_working_days(day, full_days), rest)

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Return office time from start to end; negative when end is before start."""
        first, last = self.local(start), self.local(end)
        if last < first:
            return -self.working_time_between(end, start)
        first_day, last_day = first.date(), last.date()
        total = self._day_length * self.working_days_between(first_day, last_day)
        if self.is_working_day(first_day):
            total += self._day_length - self._before(_micro(first.time()))
        if self.is_working_day(last_day):
            total -= self._day_length - self._before(_micro(last.time()))
        return dt.timedelta(microseconds=total)
