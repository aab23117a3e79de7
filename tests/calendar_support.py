"""The 2026 calendar tests share: the official days off and swapped Saturdays."""

from __future__ import annotations

import datetime as dt
import functools

from service.calendar import CalendarSettings, DayOverride, WorkCalendar

D = dt.date


# What the holidays package (0.109) lacks of the 2026 calendar (docs/domain.md):
# it knows 16–20/2, 26–27/4, 30/4, 1/5, 31/8 (against Saturday 22/8), 1–2/9 and 24/11,
# but not the New Year swap of Friday 2/1 against Saturday 10/1. config.toml carries the same.
EXTRA_DAYS_OFF_2026 = (
    DayOverride(D(2026, 1, 2), "Nghỉ bù Tết Dương lịch (làm bù thứ Bảy 10/01/2026)"),
)


EXTRA_WORKING_DAYS_2026 = (
    DayOverride(D(2026, 1, 10), "Làm bù cho ngày 02/01/2026"),
)


def calendar_2026(**changes: object) -> WorkCalendar:
    """Build the default calendar: the package plus the 2026 overrides."""
    values: dict[str, object] = {
        "extra_days_off": EXTRA_DAYS_OFF_2026,
        "extra_working_days": EXTRA_WORKING_DAYS_2026,
    }
    values.update(changes)
    return WorkCalendar(CalendarSettings(**values))  # type: ignore[arg-type]


@functools.cache
def shared_calendar() -> WorkCalendar:
    """One default calendar shared by tests that only read it (property tests too)."""
    return calendar_2026()
