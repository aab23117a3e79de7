"""Numbers and dates as Vietnamese readers write them: 1.000, 66,14 and 02/03/2026.

One definition for every page, chart and form, so no surface mixes 66.14 with 1.000 or shows
a browser's mm/dd/yyyy. A leaf module: it imports nothing of the project.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

DASH = "–"
DAY_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
# The days any page, the API or a report accepts. Nothing the office handles lies outside, and
# bounds far from Python's year 1 and year 9999 leave room for time zones and a day's arithmetic.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def vn_number(value: float | int | Fraction | None, digits: int = 0, unit: str = "") -> str:
    """`value` rounded to `digits` decimals, then `unit`: 1234.5 -> '1.234,5',
    (66.14, 1, '%') -> '66,1%'; None or NaN -> '–'.

    The template filter `num` is this function, so `{{ rate | num(1, '%') }}` on every page.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if isinstance(value, Fraction):
        # Exact ratios (the 766 figures) round half up, as their page states.
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        value = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{value:,.{digits}f}"  # "1,234.5": swap the separators
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".") + unit


def read_day(text: str) -> dt.date:
    """A day typed as dd/mm/yyyy (d/m/yyyy too) or given as ISO yyyy-mm-dd by a link.

    Raises ValueError saying which form is expected, or that the day lies outside
    FIRST_DAY..LAST_DAY.
    """
    match = DAY_RE.match(text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return within_days(dt.date(year, month, day))
        return within_days(dt.date.fromisoformat(text.strip()))
    except OutOfRange:
        raise
    except ValueError:
        pass
    raise ValueError(f"«{text}» không phải ngày hợp lệ (dd/mm/yyyy)")


class OutOfRange(ValueError):
    """A day outside FIRST_DAY..LAST_DAY; the message is Vietnamese."""


def within_days(day: dt.date) -> dt.date:
    """The day itself if it lies within FIRST_DAY..LAST_DAY; else OutOfRange."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise OutOfRange(f"ngày {day.day:02d}/{day.month:02d}/{day.year:04d} nằm ngoài khoảng "
                         f"{FIRST_DAY:%d/%m/%Y} – {LAST_DAY:%d/%m/%Y}")
    return day


def official_date(day: dt.date) -> str:
    """'ngày 05 tháng 3 năm 2026' as Decree 30/2020/NĐ-CP writes dates on documents: a zero
    before days below 10 and before months 1 and 2 only."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def show_day(day: dt.date | None) -> str:
    """A day as dd/mm/yyyy ('' for none), the form date inputs show and read back."""
    return "" if day is None else f"{day:%d/%m/%Y}"
