"""Benchmark the deadline engine against a day-by-day loop and numpy.busday_offset.

Run as `python bench/deadlines.py`; prints ratios (higher is better for the engine). The
single-call goal (>= 50x the day loop) is stated against `due_at`, the call every consumer
makes; the bare day arithmetic under it is printed beside it. When `due_at` misses the goal,
a profile of its calls says where the time goes.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import pstats
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
CHUNK = 100


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


def instants_of(starts: list[dt.date]) -> list[dt.datetime]:
    """Receipts at 09:00 local time on the given days, as the consumers pass them."""
    return [dt.datetime.combine(day, dt.time(9), tzinfo=TZ) for day in starts]


def single_call(cal: WorkCalendar, starts: list[dt.date]) -> dict[str, float]:
    """Microseconds per call of the day loop, add_working_days and due_at, 15 working days."""
    package = holidays.country_holidays("VN", years=YEARS, language="vi")
    instants = instants_of(starts)
    runs = {
        "loop": lambda a, b: [day_loop(package, day, 15) for day in starts[a:b]],
        "days": lambda a, b: [cal.add_working_days(day, 15) for day in starts[a:b]],
        "due_at": lambda a, b: [due_at(cal, t, 15, LimitUnit.WORKING_DAYS)
                                for t in instants[a:b]],
    }
    # Short timed runs (a few ms each), the fastest of each kept: on a shared machine a long
    # run is almost always interrupted, which would flatter whichever side runs shorter.
    chunks = [(a, a + CHUNK) for a in range(0, len(starts), CHUNK)]
    return {name: sum(best_of(5, lambda a=a, b=b, run=run: run(a, b)) for a, b in chunks)
            / len(starts) * 1e6 for name, run in runs.items()}


def profile_due_at(cal: WorkCalendar, starts: list[dt.date], top: int = 8) -> None:
    """Print the functions a due_at call spends its own time in, largest share first."""
    instants = instants_of(starts)
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [due_at(cal, t, 15, LimitUnit.WORKING_DAYS)
                              for _ in range(10) for t in instants])
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    own = {f"{Path(file).name}:{name}" if line else name: tottime
           for (file, line, name), (_, _, tottime, _, _) in stats.items()
           if file != __file__}  # the benchmark's own loop is not due_at's time
    total = sum(own.values())
    print("  where a due_at call spends its time (cProfile, own time; the profiler inflates "
          "small calls):")
    for name, seconds in sorted(own.items(), key=lambda item: -item[1])[:top]:
        print(f"    {seconds / total:6.1%}  {name}")


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
    micro = single_call(cal, starts)
    speedup = micro["loop"] / micro["due_at"]
    print(f"single call, 15 working days: due_at {micro['due_at']:.2f} µs, day-by-day loop "
          f"{micro['loop']:.1f} µs: {speedup:.1f}x (goal >= 50x) "
          f"{'ok' if speedup >= 50 else 'MISS'}")
    print(f"  the bare day arithmetic under it (add_working_days) {micro['days']:.2f} µs: "
          f"{micro['loop'] / micro['days']:.1f}x the day loop")
    if speedup < 50:
        profile_due_at(cal, starts)
    ratio, agree, clean = bulk(cal, 100_000)
    print(f"bulk speed vs numpy.busday_offset (100 000 dossiers): {ratio:.2f}x (goal >= 0.5x) "
          f"{'ok' if ratio >= 0.5 else 'MISS'}")
    print(f"bulk results equal numpy's on {agree:.2%} of the {clean} dossiers whose span holds "
          "no working Saturday (numpy's weekmask cannot express those)")


if __name__ == "__main__":
    main()
