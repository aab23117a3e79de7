"""The office's working calendar: Vietnamese public holidays, overrides and office hours.

Working days come from the `holidays` package (country VN: lunar dates, substitute days and
swapped Saturdays) with the overrides of config.toml applied on top; office hours and the
15:00 cut-off of Decree 118/2025/NĐ-CP come from the same `[calendar]` section.
"""

from service.calendar.days import WorkingDays
from service.calendar.office import WorkCalendar
from service.calendar.settings import CalendarSettings, DayOverride

__all__ = ["CalendarSettings", "DayOverride", "WorkCalendar", "WorkingDays"]
