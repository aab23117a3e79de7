"""Precomputed working-day table: one boolean per date and cumulative counts, as numpy arrays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import holidays
import numpy as np

from service.calendar.settings import CalendarSettings

# Dates are held as days since 1970-01-01, the integer behind numpy's datetime64[D].
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
SATURDAY, SUNDAY = 5, 6


def epoch_day(day: dt.date) -> int:
    """Return the number of days from 1970-01-01 to day."""
    return day.toordinal() - EPOCH_ORDINAL


def from_epoch_day(number: int) -> dt.date:
    """Return the date number days after 1970-01-01."""
    return dt.date.fromordinal(number + EPOCH_ORDINAL)


@dataclass(frozen=True, slots=True)
class DayTable:
    """Working days of whole years first_year..last_year, ready for O(1) look-ups.

    `cum[i]` is the number of working days strictly before day `lo + i`, so the working days
    between two dates are a subtraction and the k-th working day is `workdays[k]`. The numpy
    arrays serve bulk calls; plain lists indexed by date ordinal serve single calls faster.
    """

    first_year: int
    last_year: int
    lo: int
    working: np.ndarray
    cum: np.ndarray
    workdays: np.ndarray
    cum_list: list[int]
    workday_ordinals: list[int]
    lo_ordinal: int
    hi_ordinal: int
    names: dict[dt.date, str]

    @property
    def hi(self) -> int:
        """Return the last epoch day the table covers."""
        return self.lo + len(self.working) - 1

    def covers(self, lo: int, hi: int) -> bool:
        """Tell whether epoch days lo..hi all lie inside the table."""
        return self.lo <= lo and hi <= self.hi


def build_table(settings: CalendarSettings, first_year: int, last_year: int) -> DayTable:
    """Compute the working days of the given years: weekdays, package holidays, overrides."""
    lo = epoch_day(dt.date(first_year, 1, 1))
    hi = epoch_day(dt.date(last_year, 12, 31))
    days = np.arange(lo, hi + 1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    last_weekday = SATURDAY if settings.saturday_is_working else SATURDAY - 1
    working = weekday <= last_weekday
    # A year either side: the package records a swap in the year of the day off, which can
    # fall in the neighbouring year (a Saturday in late December worked for 2 January).
    package = holidays.country_holidays(
        "VN", years=range(first_year - 1, last_year + 2), language="vi"
    )
    names = {day: name for day, name in package.items() if first_year <= day.year <= last_year}
    _set(working, lo, hi, names, False)
    _set(working, lo, hi, package.weekend_workdays, True)
    _set(working, lo, hi, [item.date for item in settings.extra_days_off], False)
    _set(working, lo, hi, [item.date for item in settings.extra_working_days], True)
    cum = np.zeros(len(days) + 1, dtype=np.int64)
    np.cumsum(working, out=cum[1:])
    workdays = days[working]
    return DayTable(
        first_year=first_year, last_year=last_year, lo=lo, working=working, cum=cum,
        workdays=workdays, cum_list=cum.tolist(),
        workday_ordinals=(workdays + EPOCH_ORDINAL).tolist(),
        lo_ordinal=lo + EPOCH_ORDINAL, hi_ordinal=hi + EPOCH_ORDINAL, names=names,
    )


def _set(working: np.ndarray, lo: int, hi: int, dates: Iterable[dt.date], value: bool) -> None:
    """Mark the given dates that fall inside lo..hi as working (True) or off (False)."""
    index = [epoch_day(day) - lo for day in dates if lo <= epoch_day(day) <= hi]
    if index:
        working[np.array(index, dtype=np.int64)] = value
