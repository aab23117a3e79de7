"""Working days of the office: which dates count, why a date is off, and day arithmetic."""

from __future__ import annotations

import datetime as dt

import numpy as np

from service.calendar.settings import CalendarSettings
from service.calendar.table import (
    SATURDAY,
    DayTable,
    build_table,
    epoch_day,
    from_epoch_day,
)

WEEKEND_REASONS = {SATURDAY: "Thứ Bảy", SATURDAY + 1: "Chủ nhật"}
# Enough calendar days to hold n working days: Tết and weekends never eat half of a span.
SLACK_DAYS = 40


class WorkingDays:
    """Day-level working calendar backed by a lazily extended numpy table."""

    def __init__(self, settings: CalendarSettings | None = None) -> None:
        self.settings = settings or CalendarSettings()
        self._off = {item.date: item.reason for item in self.settings.extra_days_off}
        self._on = {item.date: item.reason for item in self.settings.extra_working_days}
        years = [day.year for day in (*self._off, *self._on)]
        self._table: DayTable | None = None
        if years:
            self._table = build_table(self.settings, min(years), max(years))

    def _covering(self, lo: int, hi: int) -> DayTable:
        """Return a table covering epoch days lo..hi, rebuilding it a year wider if needed."""
        table = self._table
        if table is not None and table.covers(lo, hi):
            return table
        first = from_epoch_day(lo).year - 1
        last = from_epoch_day(hi).year + 1
        if table is not None:
            first, last = min(first, table.first_year), max(last, table.last_year)
        # One assignment swaps the table, so concurrent readers see the old or the new one.
        self._table = build_table(self.settings, first, last)
        return self._table

    def is_working_day(self, day: dt.date) -> bool:
        """Tell whether day is a working day of the office."""
        number = epoch_day(day)
        table = self._covering(number, number)
        return bool(table.working[number - table.lo])

    def day_off_reason(self, day: dt.date) -> str | None:
        """Return why day is not a working day, in Vietnamese, or None on a working day."""
        if self.is_working_day(day):
            return None
        if day in self._off:
            return self._off[day]
        table = self._covering(epoch_day(day), epoch_day(day))
        if day in table.names:
            return table.names[day]
        return WEEKEND_REASONS.get(day.weekday(), "Ngày nghỉ")

    def first_working_day(self, day: dt.date) -> dt.date:
        """Return day itself when it is a working day, otherwise the next working day."""
        return self.add_working_days(day, 0)

    def next_working_day(self, day: dt.date) -> dt.date:
        """Return the first working day strictly after day."""
        return self.add_working_days(day + dt.timedelta(days=1), 0)

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """Return the count-th working day after the first working day on or after day.

        With count 0 this is the first working day on or after day. O(1): two list look-ups
        in the precomputed cumulative counts, indexed by date ordinal.
        """
        table, ordinal = self._table, day.toordinal()
        if table is not None and count >= 0:
            offset = ordinal - table.lo_ordinal
            if offset >= 0 and ordinal + 2 * count + SLACK_DAYS <= table.hi_ordinal:
                index = table.cum_list[offset] + count
                if index < len(table.workday_ordinals):
                    return dt.date.fromordinal(table.workday_ordinals[index])
        return self._add_working_days_growing(day, count)

    def _add_working_days_growing(self, day: dt.date, count: int) -> dt.date:
        """add_working_days when the table must first grow to hold the answer."""
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        number = epoch_day(day)
        table = self._covering(number, number + 2 * count + SLACK_DAYS)
        index = table.cum_list[number - table.lo] + count
        while index >= len(table.workday_ordinals):
            table = self._covering(number, table.hi + 366)
            index = table.cum_list[number - table.lo] + count
        return dt.date.fromordinal(table.workday_ordinals[index])

    def add_working_days_many(self, days: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Vectorised add_working_days: datetime64[D] dates and counts in, datetime64[D] out."""
        numbers = np.asarray(days, dtype="datetime64[D]").astype(np.int64)
        counts = np.asarray(counts, dtype=np.int64)
        if numbers.size == 0:
            return numbers.astype("datetime64[D]")
        if counts.min() < 0:
            raise ValueError("counts must not be negative")
        lo, hi = int(numbers.min()), int(numbers.max())
        table = self._covering(lo, hi + 2 * int(counts.max()) + SLACK_DAYS)
        index = table.cum[numbers - table.lo] + counts
        while int(index.max()) >= len(table.workdays):
            table = self._covering(lo, table.hi + 366)
            index = table.cum[numbers - table.lo] + counts
        return table.workdays[index].astype("datetime64[D]")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Count working days d with start < d <= end; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        table = self._covering(epoch_day(start), epoch_day(end))
        return table.cum_list[epoch_day(end) - table.lo + 1] - table.cum_list[
            epoch_day(start) - table.lo + 1
        ]

    def days_off(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
        """List the days off from first to last inclusive, each with its Vietnamese reason."""
        result = []
        day = first
        while day <= last:
            reason = self.day_off_reason(day)
            if reason is not None:
                result.append((day, reason))
            day += dt.timedelta(days=1)
        return result
