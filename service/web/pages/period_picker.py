"""The report pages' period picker: Quý I–IV, 6 tháng, 9 tháng, Năm, or a range of days.

The picker's fields (ky, nam, tu, den) become one period code that service.reports.periods
reads (2026-Q3, 2026-H1, 2026-9M, 2026, 2026-01-01..2026-06-30); links keep `period=CODE`,
and a page opened with a code shows it back in the picker.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from service.formats import read_day, show_day
from service.reports.periods import Period

KINDS = (("q1", "Quý I"), ("q2", "Quý II"), ("q3", "Quý III"), ("q4", "Quý IV"),
         ("h1", "6 tháng đầu năm"), ("h2", "6 tháng cuối năm"), ("9m", "9 tháng"),
         ("year", "Cả năm"), ("range", "Khoảng ngày tự chọn"))
CODES = {"q1": "{}-Q1", "q2": "{}-Q2", "q3": "{}-Q3", "q4": "{}-Q4", "h1": "{}-H1",
         "h2": "{}-H2", "9m": "{}-9M", "year": "{}"}
BACK = [(re.compile(r"^(\d{4})-Q([1-4])$"), "q{}"), (re.compile(r"^(\d{4})-H([12])$"), "h{}"),
        (re.compile(r"^(\d{4})-9M$"), "9m"), (re.compile(r"^(\d{4})$"), "year")]


class PickError(ValueError):
    """The picker's fields do not make a period; the message is Vietnamese."""


@dataclass(frozen=True)
class Picker:
    """What the picker shows: the kind, the year and the range's first and last day."""

    kind: str
    year: int
    first: str
    last: str


def picked_code(args: Mapping[str, str]) -> str | None:
    """The period code the request asks for: from the picker, else `period=`; None: default."""
    kind = args.get("ky", "")
    if not kind:
        return args.get("period", "").strip() or None
    if kind == "range":
        try:
            first, last = read_day(args.get("tu", "")), read_day(args.get("den", ""))
        except ValueError as exc:
            raise PickError(f"Khoảng ngày: {exc}.") from None
        return f"{first.isoformat()}..{last.isoformat()}"
    year = args.get("nam", "")
    if kind not in CODES or not re.fullmatch(r"\d{4}", year):
        raise PickError("Hãy chọn kỳ báo cáo và năm.")
    return CODES[kind].format(year)


def picker_for(period: Period) -> Picker:
    """The picker's fields that give this period back."""
    for pattern, kind in BACK:
        match = pattern.match(period.code)
        if match:
            return Picker(kind.format(*match.groups()[1:]), int(match.group(1)),
                          show_day(period.first), show_day(period.last))
    return Picker("range", period.last.year, show_day(period.first), show_day(period.last))


def typed(args: Mapping[str, str], today: dt.date) -> Picker:
    """The picker as the clerk filled it in, to show it back with the error."""
    year = args.get("nam", "")
    return Picker(args.get("ky", ""), int(year) if year.isdigit() else today.year,
                  args.get("tu", "")[:10], args.get("den", "")[:10])


def years(today: dt.date) -> list[int]:
    """The years offered, newest first."""
    return list(range(today.year + 1, today.year - 5, -1))
