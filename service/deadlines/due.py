"""Statutory due instants for the three kinds of time limit (Decree 118/2025/NĐ-CP)."""

from __future__ import annotations

import datetime as dt

from service.calendar import WorkCalendar
from service.vocabulary import LimitUnit


def as_unit(unit: LimitUnit | str) -> LimitUnit:
    """Return the LimitUnit for a member or its code; ValueError names the accepted codes."""
    if isinstance(unit, LimitUnit):
        return unit
    try:
        return LimitUnit(unit)
    except ValueError:
        codes = ", ".join(member.value for member in LimitUnit)
        raise ValueError(f"unknown limit unit {unit!r}: expected one of {codes}") from None


def check_limit(limit: int, unit: LimitUnit) -> None:
    """Refuse a limit that makes no sense for its unit, and a procedure without a limit."""
    if unit is LimitUnit.NONE:
        raise ValueError("the procedure has no time limit, so a dossier of it has no due date")
    if unit is LimitUnit.SAME_DAY and limit != 0:
        raise ValueError(f"a same_day limit is 0, got {limit}")
    if unit is LimitUnit.WORKING_DAYS and limit < 1:
        raise ValueError(f"a working_days limit is at least 1, got {limit}")
    if unit is LimitUnit.WORKING_HOURS and limit < 0:
        raise ValueError(f"a working_hours limit must not be negative, got {limit}")


def due_at(
    cal: WorkCalendar, start: dt.datetime, limit: int, unit: LimitUnit | str
) -> dt.datetime:
    """Return the due instant of a limit counted from start (the receipt, or a restart).

    working_days N: the clock starts on the day of start if it is a working day, else on the
    next working day; the dossier is due at the close of office hours of the N-th working day
    after that start day, which itself does not count (Decree 118/2025/NĐ-CP).

    The 15:00 cut-off of Decree 118/2025/NĐ-CP does **not** shift the start day of a
    working_days limit. The decree starts the limit at the moment on the receipt and says only
    that papers received after 15:00 are handed on at the start of the next working day.
    Since the receipt day never counts, that next day is already the first counted day, so
    shifting again would grant a day the decree does not give. The cut-off governs same_day
    procedures: due at the close of the receipt day when received on a working day by 15:00,
    otherwise at the close of the next working day.

    working_hours H: only office hours count (lunch, nights, days off excluded), from start
    or from the next opening when start is outside office hours; the cut-off does not apply.
    """
    if unit is LimitUnit.WORKING_DAYS and type(limit) is int and limit >= 1:
        # The call every consumer makes, checked and answered without the general dispatch.
        return cal.closing_after(start, limit)
    unit = as_unit(unit)
    check_limit(limit, unit)
    local = cal.local(start)
    if unit is LimitUnit.WORKING_HOURS:
        return cal.add_working_time(local, dt.timedelta(hours=limit))
    if unit is LimitUnit.SAME_DAY:
        return cal.closing(same_day_due_date(cal, local))
    return cal.closing_after(local, limit)


def same_day_due_date(cal: WorkCalendar, start: dt.datetime) -> dt.date:
    """Return the day a same_day dossier received at start is due."""
    local = cal.local(start)
    day = local.date()
    if cal.is_working_day(day) and local.time() <= cal.settings.cutoff:
        return day
    return cal.next_working_day(day)


def limit_working_time(
    cal: WorkCalendar, start: dt.datetime, limit: int, unit: LimitUnit | str
) -> dt.timedelta:
    """Return the length of a limit in office time (the base of the 'near' warning)."""
    unit = as_unit(unit)
    if unit is LimitUnit.WORKING_HOURS:
        return dt.timedelta(hours=limit)
    if unit is LimitUnit.WORKING_DAYS:
        return cal.office_day * limit
    return max(cal.working_time_between(start, due_at(cal, start, limit, unit)), dt.timedelta())
