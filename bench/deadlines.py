"""Benchmark the deadline engine against a day-by-day loop and numpy.busday_offset.

Run as `python bench/deadlines.py`; prints ratios (higher is better for the engine).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

import holidays
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.calendar import CalendarSettings, DayOverride, WorkCalendar  # noqa: E402
from service.deadlines import due_at  # noqa: E402
from service.vocabulary import LimitUnit  # noqa: E402

YEARS = range(2025, 2028)
SETTINGS = CalendarSettings(
    extra_days_off=(DayOverride(dt.date(2026, 1, 2), "Nghỉ bù Tết Dương lịch"),),
    extra_working_days=(DayOverride(dt.date(2026, 1, 10), "Làm bù cho ngày 02/01/2026"),),
)
TZ = dt.timezone(dt.timedelta(hours=7))


def best_of(repeats: int, run: Callable[[], object]) -> float:
    """Return the fastest of several timed runs, in seconds."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def day_loop(package: holidays.HolidayBase, day: dt.date, count: int) -> dt.date:
    """The naive way: step one day at a time, asking the package each time."""
    while not package.is_working_day(day):
        day += dt.timedelta(days=1)
    for _ in range(count):
        day += dt.timedelta(days=1)
        while not package.is_working_day(day):
            day += dt.timedelta(days=1)
    return day


def single_call(cal: WorkCalendar, starts: list[dt.date]) -> tuple[float, float]:
    """Return speed-ups of add_working_days and due_at over the day loop, 15 working days."""
    package = holidays.country_holidays("VN", years=YEARS, language="vi")
    instants = [dt.datetime.combine(day, dt.time(9), tzinfo=TZ) for day in starts]
    loop = best_of(3, lambda: [day_loop(package, day, 15) for day in starts])
    fast = best_of(3, lambda: [cal.add_working_days(day, 15) for day in starts])
    due = best_of(3, lambda: [due_at(cal, t, 15, LimitUnit.WORKING_DAYS) for t in instants])
    return loop / fast, loop / due


def numpy_holidays(cal: WorkCalendar) -> np.ndarray:
    """Weekdays off in the benchmark years, the holiday list numpy is given."""
    first, last = dt.date(YEARS[0], 1, 1), dt.date(YEARS[-1], 12, 31)
    days = [day for day, _ in cal.days_off(first, last) if day.weekday() < 5]
    return np.array(days, dtype="datetime64[D]")


def working_weekend_days(cal: WorkCalendar) -> np.ndarray:
    """Saturdays worked in exchange for a day off: numpy's weekmask cannot express them."""
    first = dt.date(YEARS[0], 1, 1)
    days = (first + dt.timedelta(days=n) for n in range(366 * len(YEARS)))
    return np.array(
        [day for day in days if day.weekday() >= 5 and cal.is_working_day(day)],
        dtype="datetime64[D]",
    )


def bulk(cal: WorkCalendar, size: int) -> tuple[float, float, int]:
    """Return the engine's speed relative to numpy.busday_offset and how far they agree."""
    rng = np.random.default_rng(2026)
    starts = np.datetime64("2025-01-01") + rng.integers(0, 700, size).astype("timedelta64[D]")
    counts = rng.choice(np.array([1, 3, 5, 7, 10, 15, 20, 30]), size)
    busdays = np.busdaycalendar(weekmask="1111100", holidays=numpy_holidays(cal))
    cal.add_working_days_many(starts, counts)  # build the table before timing, as numpy's is
    ours = best_of(5, lambda: cal.add_working_days_many(starts, counts))
    theirs = best_of(5, lambda: np.busday_offset(starts, counts, roll="forward",
                                                 busdaycal=busdays))
    mine = cal.add_working_days_many(starts, counts)
    numpys = np.busday_offset(starts, counts, roll="forward", busdaycal=busdays)
    special = working_weekend_days(cal)
    upper = np.maximum(mine, numpys)
    touched = (np.searchsorted(special, upper, side="right")
               - np.searchsorted(special, starts, side="left")) > 0
    clean = ~touched
    return theirs / ours, float(np.mean(mine[clean] == numpys[clean])), int(clean.sum())


def main() -> None:
    """Print the benchmark ratios."""
    cal = WorkCalendar(SETTINGS)
    rng = np.random.default_rng(15)
    starts = [dt.date(2026, 1, 1) + dt.timedelta(days=int(n)) for n in rng.integers(0, 365, 2000)]
    cal.add_working_days(starts[0], 15)
    add_speedup, due_speedup = single_call(cal, starts)
    print(f"single-call speedup vs day loop: {add_speedup:.1f}x (goal >= 50x)")
    print(f"single-call due_at (with time zone) vs day loop: {due_speedup:.1f}x")
    ratio, agree, clean = bulk(cal, 100_000)
    print(f"bulk speed vs numpy.busday_offset (100 000 dossiers): {ratio:.2f}x (goal >= 0.5x)")
    print(f"bulk results equal numpy's on {agree:.2%} of the {clean} dossiers whose span holds "
          "no working Saturday (numpy's weekmask cannot express those)")


if __name__ == "__main__":
    main()
