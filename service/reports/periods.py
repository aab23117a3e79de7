"""Reporting periods: Decree 09/2019 windows, calendar months, quarters, halves, years, ranges."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Literal
from zoneinfo import ZoneInfo

from service.formats import FIRST_DAY, LAST_DAY

Windows = Literal["decree09", "calendar"]
ROMAN = ("I", "II", "III", "IV")
PERIOD_FORMS = "2026-Q3, 2026-H1, 2026-9M, 2026, 2026-03 or 2026-01-01..2026-06-30"
_PATTERNS = {
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE),
    "half": re.compile(r"^(\d{4})-H([12])$", re.IGNORECASE),
    "nine_months": re.compile(r"^(\d{4})-9M$", re.IGNORECASE),
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "year": re.compile(r"^(\d{4})$"),
    "range": re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$"),
}


class PeriodError(ValueError):
    """A period text that cannot be read; the message says which forms are accepted."""


@dataclass(frozen=True)
class Period:
    """A reporting period of whole office days, first and last included."""

    first: dt.date
    last: dt.date
    kind: str
    label: str
    # The text parse_period read it from ("2026-Q3"), upper-cased; empty when built directly.
    code: str = ""

    def bounds(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """The instants [start, end) of the period in the office's time zone."""
        zone = ZoneInfo(timezone)
        start = dt.datetime.combine(self.first, dt.time(), tzinfo=zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        return start, end

    @property
    def dates(self) -> str:
        """The period as 'từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy'."""
        return f"từ ngày {self.first:%d/%m/%Y} đến ngày {self.last:%d/%m/%Y}"


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def months_period(year: int, first_month: int, months: int, windows: Windows,
                  kind: str, label: str) -> Period:
    """`months` calendar months from `first_month`, or the Decree 09 window over them.

    Decree 09/2019 Art. 12: a window runs from the 15th of the month before its first month to
    the 14th of its last month (Q1: 15/12 to 14/3).
    """
    last_year, last_month = _shift(year, first_month, months - 1)
    if windows == "decree09":
        start_year, start_month = _shift(year, first_month, -1)
        return Period(dt.date(start_year, start_month, 15), dt.date(last_year, last_month, 14),
                      kind, label)
    next_year, next_month = _shift(last_year, last_month, 1)
    last = dt.date(next_year, next_month, 1) - dt.timedelta(days=1)
    return Period(dt.date(year, first_month, 1), last, kind, label)


def parse_period(text: str, windows: Windows = "decree09") -> Period:
    """Read a period such as 2026-Q3, 2026-H1, 2026-9M, 2026, 2026-03 or a range
    2026-01-01..2026-06-30."""
    text = text.strip()
    for kind, pattern in _PATTERNS.items():
        match = pattern.match(text)
        if match:
            try:
                period = _build(kind, match.groups(), windows)
            except ValueError as exc:
                raise PeriodError(f"period {text!r}: {exc}") from None
            if period.first < FIRST_DAY or period.last > LAST_DAY:
                raise PeriodError(f"period {text!r}: its days must lie within "
                                  f"{FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}")
            return replace(period, code=text.upper())
    raise PeriodError(f"period {text!r} not understood: expected {PERIOD_FORMS}")


def _build(kind: str, groups: tuple[str, ...], windows: Windows) -> Period:
    if kind == "range":
        first, last = (dt.date.fromisoformat(g) for g in groups)
        if last < first:
            raise ValueError("the end date is before the start date")
        return Period(first, last, "range", f"Từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}")
    year = int(groups[0])
    if kind == "quarter":
        quarter = int(groups[1])
        return months_period(year, 3 * quarter - 2, 3, windows, kind,
                             f"Quý {ROMAN[quarter - 1]} năm {year}")
    if kind == "half":
        half = int(groups[1])
        label = f"{'6 tháng đầu' if half == 1 else '6 tháng cuối'} năm {year}"
        return months_period(year, 6 * half - 5, 6, windows, kind, label)
    if kind == "nine_months":
        # The 9-month report (Decree 09/2019 Art. 12): the first three quarters.
        return months_period(year, 1, 9, windows, kind, f"9 tháng năm {year}")
    if kind == "month":
        month = int(groups[1])
        if not 1 <= month <= 12:
            raise ValueError("month must be 01 to 12")
        return months_period(year, month, 1, windows, kind, f"Tháng {month:02d} năm {year}")
    return months_period(year, 1, 12, windows, kind, f"Năm {year}")


def period_code(period: Period) -> str:
    """The text parse_period reads back into the same dates (a range for a custom period)."""
    return f"{period.first.isoformat()}..{period.last.isoformat()}"


def current_quarter(today: dt.date, windows: Windows = "decree09") -> Period:
    """The quarter whose window contains `today`."""
    for year in (today.year, today.year + 1):
        for quarter in range(1, 5):
            period = parse_period(f"{year}-Q{quarter}", windows)
            if period.first <= today <= period.last:
                return period
    raise AssertionError(f"no quarter contains {today}")  # pragma: no cover - windows tile
