"""Settings of the office's working calendar: overrides, office hours, cut-off, time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from service.config.settings import CalendarSection

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_OFFICE_HOURS = (
    (dt.time(7, 30), dt.time(11, 30)),
    (dt.time(13, 30), dt.time(17, 0)),
)
# Decree 118/2025/NĐ-CP: papers received after 15:00 are handed on the next working day.
DEFAULT_CUTOFF = dt.time(15, 0)


@dataclass(frozen=True)
class DayOverride:
    """One date the Government or the province moved, with the reason clerks read."""

    date: dt.date
    reason: str


@dataclass(frozen=True)
class CalendarSettings:
    """Everything that shapes the working calendar, validated on construction."""

    extra_days_off: tuple[DayOverride, ...] = ()
    extra_working_days: tuple[DayOverride, ...] = ()
    saturday_is_working: bool = False
    office_hours: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_OFFICE_HOURS
    cutoff: dt.time = DEFAULT_CUTOFF
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        _check_overrides(self.extra_days_off, self.extra_working_days)
        _check_office_hours(self.office_hours)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None

    @classmethod
    def from_config(cls, section: CalendarSection, timezone: str) -> CalendarSettings:
        """Build settings from the typed `[calendar]` section of config.toml."""
        return cls(
            extra_days_off=section.extra_days_off,
            extra_working_days=section.extra_working_days,
            saturday_is_working=section.saturday_is_working,
            office_hours=tuple(sorted(_parse_range(text) for text in section.office_hours)),
            cutoff=_parse_time(section.cutoff, "cutoff"),
            timezone=timezone,
        )


def _parse_time(text: str, key: str) -> dt.time:
    """Parse HH:MM, naming the config key when it is malformed."""
    try:
        return dt.time.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{key}: expected a time HH:MM, got {text!r}") from None


def _parse_range(text: str) -> tuple[dt.time, dt.time]:
    """Parse HH:MM-HH:MM into a pair of times."""
    start, _, end = str(text).partition("-")
    return _parse_time(start, "office_hours"), _parse_time(end, "office_hours")


def _check_overrides(off: tuple[DayOverride, ...], working: tuple[DayOverride, ...]) -> None:
    """Refuse duplicated dates and a date that is both a day off and a working day."""
    for key, items in (("extra_days_off", off), ("extra_working_days", working)):
        seen: set[dt.date] = set()
        for item in items:
            if not isinstance(item.date, dt.date) or isinstance(item.date, dt.datetime):
                raise ValueError(f"{key}: expected a date, got {item.date!r}")
            if item.date in seen:
                raise ValueError(f"{key}: {item.date.isoformat()} is listed twice")
            seen.add(item.date)
    clash = sorted({item.date for item in off} & {item.date for item in working})
    if clash:
        raise ValueError(
            f"extra_working_days: {clash[0].isoformat()} is also listed in extra_days_off"
        )


def _check_office_hours(hours: tuple[tuple[dt.time, dt.time], ...]) -> None:
    """Require at least one interval, each start before its end, sorted and not overlapping."""
    if not hours:
        raise ValueError("office_hours: at least one interval is required")
    for start, end in hours:
        if start >= end:
            raise ValueError(f"office_hours: {start:%H:%M}-{end:%H:%M} ends before it starts")
    for (_, end), (start, _) in zip(hours, hours[1:], strict=False):
        if start < end:
            raise ValueError(
                f"office_hours: interval starting {start:%H:%M} overlaps or is out of order"
            )
