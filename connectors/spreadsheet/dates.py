"""Dates as one-stop exports write them: Excel date cells, serial numbers, Vietnamese text.

A value is read as a wall-clock date-time, or as a date alone when it gives no time; the
caller decides what time of day a date alone stands for (the close of office hours for a due
date, the opening for the others).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Years outside this range are typing errors in a commune's register ("03/03/0226").
FIRST_YEAR, LAST_YEAR = 1990, 2100
SERIALS = ((dt.datetime(FIRST_YEAR, 1, 1) - EXCEL_EPOCH).days,
           (dt.datetime(LAST_YEAR + 1, 1, 1) - EXCEL_EPOCH).days)
# The common form, read without the general path's work: dd/mm/yyyy [HH:MM[:SS]].
DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
                       r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
DAY = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
                 r"|ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
# "08:15", "08:15:30", "8h15", "17h", "8 giờ 15 phút", with an optional SA/CH or AM/PM.
CLOCK = re.compile(r"(\d{1,2})\s*(?::|h|g|giờ)\s*(?:(\d{1,2})\s*(?:phút|p)?)?"
                   r"(?:\s*:\s*(\d{1,2})\s*(?:giây)?)?\s*(am|pm|sa|ch)?", re.IGNORECASE)
# Words and marks around the two parts: "lúc 08:15, ngày 03/03/2026".
FILLER = re.compile(r"\b(?:ngày|lúc|vào)\b|[,;–-]", re.IGNORECASE)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                 r"(?:Z|[+-]\d{2}:?\d{2})?")


def read_moment(value: Any) -> dt.datetime | dt.date | None:
    """A cell as a date-time, or a date when it gives no time; None when it is neither."""
    if isinstance(value, dt.datetime):
        return value if FIRST_YEAR <= value.year <= LAST_YEAR else None
    if isinstance(value, dt.date):
        return value if FIRST_YEAR <= value.year <= LAST_YEAR else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _serial(value)
    text = " ".join(str(value).split())
    quick = DAY_FIRST.fullmatch(text)
    if quick:
        return _build(*quick.groups())
    if ISO.fullmatch(text):
        return _iso(text)
    return _general(text)


def _serial(value: float) -> dt.datetime | dt.date | None:
    """An Excel serial number: whole days are a date, a fraction is a time of day."""
    if not SERIALS[0] <= value < SERIALS[1]:
        return None
    if float(value).is_integer():
        return (EXCEL_EPOCH + dt.timedelta(days=int(value))).date()
    seconds = round(float(value) * 86_400)
    return EXCEL_EPOCH + dt.timedelta(seconds=seconds)


def _iso(text: str) -> dt.datetime | dt.date | None:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    return moment.date() if len(text) == 10 else moment


def _general(text: str) -> dt.datetime | dt.date | None:
    """A date in any of the usual places beside an optional time in any usual form."""
    day = DAY.search(text)
    if day is None:
        return None
    parts = [g for g in day.groups() if g is not None]
    rest = FILLER.sub(" ", text[:day.start()] + " " + text[day.end():]).strip()
    if not rest:
        return _build(*parts, None, None, None)
    clock = CLOCK.fullmatch(rest)
    if clock is None:
        return None
    hour, minute, second, half = clock.groups()
    hour_value = int(hour)
    if half and half.lower() in ("pm", "ch") and hour_value < 12:
        hour_value += 12
    elif half and half.lower() in ("am", "sa") and hour_value == 12:
        hour_value = 0
    return _build(*parts, str(hour_value), minute or "0", second)


def _build(day: str, month: str, year: str, hour: str | None, minute: str | None,
           second: str | None) -> dt.datetime | dt.date | None:
    try:
        date = dt.date(int(year), int(month), int(day))
        if not FIRST_YEAR <= date.year <= LAST_YEAR:
            return None
        if hour is None:
            return date
        return dt.datetime(date.year, date.month, date.day, int(hour), int(minute or 0),
                           int(second or 0))
    except ValueError:
        return None


def has_clock(number_format: str | None) -> bool:
    """Tell whether an Excel number format shows a time of day (h or s outside literals)."""
    if not number_format:
        return False
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format.split(";")[0])
    return re.search(r"[hHsS]", bare) is not None


def show_moment(value: dt.datetime | dt.date) -> str:
    """A date as clerks write it: 05/03/2026, or 05/03/2026 08:15 with a time."""
    if isinstance(value, dt.datetime):
        shown = f"{value:%d/%m/%Y %H:%M}"
        return f"{shown}:{value:%S}" if value.second else shown
    return f"{value:%d/%m/%Y}"
