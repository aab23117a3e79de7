"""The working calendar: the published 2026 calendar, overrides, day and office-hour arithmetic."""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.calendar import CalendarSettings, DayOverride, WorkCalendar
from service.config.settings import CalendarSection, build
from tests.calendar_support import (
    EXTRA_DAYS_OFF_2026,
    EXTRA_WORKING_DAYS_2026,
    D,
    calendar_2026,
    shared_calendar,
)

TZ = dt.timezone(dt.timedelta(hours=7))


# The 2026 calendar for civil servants as published: weekdays off, Saturdays worked.
WEEKDAYS_OFF_2026 = frozenset({
    D(2026, 1, 1), D(2026, 1, 2),
    D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20),
    D(2026, 4, 27), D(2026, 4, 30), D(2026, 5, 1),
    D(2026, 8, 31), D(2026, 9, 1), D(2026, 9, 2),
    D(2026, 11, 24),
})
WORKING_SATURDAYS_2026 = frozenset({D(2026, 1, 10), D(2026, 8, 22)})


@pytest.fixture
def cal() -> WorkCalendar:
    return shared_calendar()


def every_day(year: int) -> list[dt.date]:
    first = D(year, 1, 1)
    return [first + dt.timedelta(days=n) for n in range((D(year + 1, 1, 1) - first).days)]


def test_whole_2026_calendar_matches_the_published_decisions(cal: WorkCalendar) -> None:
    wrong = [
        day for day in every_day(2026)
        if cal.is_working_day(day)
        != ((day.weekday() < 5 and day not in WEEKDAYS_OFF_2026) or day in WORKING_SATURDAYS_2026)
    ]
    assert wrong == []


def test_package_alone_misses_exactly_the_new_year_swap() -> None:
    bare = WorkCalendar()
    missed = [
        day for day in every_day(2026)
        if bare.is_working_day(day)
        != ((day.weekday() < 5 and day not in WEEKDAYS_OFF_2026) or day in WORKING_SATURDAYS_2026)
    ]
    assert missed == [D(2026, 1, 2), D(2026, 1, 10)]


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (D(2026, 1, 1), "Tết Dương lịch"),
        (D(2026, 1, 2), "Nghỉ bù Tết Dương lịch (làm bù thứ Bảy 10/01/2026)"),
        (D(2026, 1, 3), "Thứ Bảy"),
        (D(2026, 1, 4), "Chủ nhật"),
        (D(2026, 1, 10), None),
        (D(2026, 2, 14), "Thứ Bảy"),
        (D(2026, 2, 16), "Giao thừa Tết Nguyên Đán"),
        (D(2026, 2, 17), "Tết Nguyên Đán"),
        (D(2026, 2, 20), "Mùng bốn Tết Nguyên Đán"),
        (D(2026, 2, 23), None),
        (D(2026, 4, 26), "Ngày Giỗ Tổ Hùng Vương"),
        (D(2026, 4, 27), "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),
        (D(2026, 4, 30), "Ngày Chiến thắng"),
        (D(2026, 5, 1), "Ngày Quốc tế Lao động"),
        (D(2026, 8, 22), None),
        (D(2026, 8, 31), "Ngày nghỉ (thay cho ngày 22/08/2026)"),
        (D(2026, 9, 2), "Quốc khánh"),
        (D(2026, 11, 24), "Ngày Văn hóa Việt Nam"),
    ],
)
def test_day_off_reason_is_vietnamese(cal: WorkCalendar, day: dt.date, reason: str | None) -> None:
    assert cal.day_off_reason(day) == reason


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (D(2026, 2, 13), 3, D(2026, 2, 25)),  # Friday before Tết, 14–22/2 off
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # a Saturday starts on Monday 23/2
        (D(2026, 2, 14), 0, D(2026, 2, 23)),
        (D(2025, 12, 31), 2, D(2026, 1, 6)),  # year boundary, 1–4/1 off
        (D(2026, 1, 9), 1, D(2026, 1, 10)),  # the working Saturday
        (D(2026, 1, 10), 1, D(2026, 1, 12)),
        (D(2026, 4, 24), 1, D(2026, 4, 28)),  # Giỗ Tổ on Sunday, substitute Monday
        (D(2026, 4, 29), 2, D(2026, 5, 5)),  # 30/4–3/5
        (D(2026, 8, 21), 1, D(2026, 8, 22)),  # working Saturday before Quốc khánh
        (D(2026, 8, 28), 1, D(2026, 9, 3)),  # 29/8–2/9
        (D(2026, 11, 23), 1, D(2026, 11, 25)),  # Ngày Văn hóa Việt Nam
        (D(2026, 12, 31), 1, D(2027, 1, 4)),  # into 2027, outside the overrides' year
        (D(2026, 3, 2), 20, D(2026, 3, 30)),
    ],
)
def test_add_working_days_across_2026(
    cal: WorkCalendar, start: dt.date, count: int, expected: dt.date
) -> None:
    assert cal.add_working_days(start, count) == expected


def test_next_and_first_working_day_skip_tet(cal: WorkCalendar) -> None:
    assert cal.next_working_day(D(2026, 2, 13)) == D(2026, 2, 23)
    assert cal.first_working_day(D(2026, 2, 13)) == D(2026, 2, 13)
    assert cal.first_working_day(D(2026, 2, 15)) == D(2026, 2, 23)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 2, 13), D(2026, 2, 25), 3),
        (D(2026, 2, 25), D(2026, 2, 13), -3),
        (D(2026, 2, 14), D(2026, 2, 22), 0),
        (D(2026, 1, 1), D(2026, 1, 31), 21),  # 22 weekdays less 1/1, 2/1, plus Saturday 10/1
        (D(2026, 3, 3), D(2026, 3, 3), 0),
    ],
)
def test_working_days_between_counts_the_end_not_the_start(
    cal: WorkCalendar, start: dt.date, end: dt.date, expected: int
) -> None:
    assert cal.working_days_between(start, end) == expected


def test_days_off_lists_each_day_with_its_reason(cal: WorkCalendar) -> None:
    assert cal.days_off(D(2026, 8, 28), D(2026, 9, 3)) == [
        (D(2026, 8, 29), "Thứ Bảy"),
        (D(2026, 8, 30), "Chủ nhật"),
        (D(2026, 8, 31), "Ngày nghỉ (thay cho ngày 22/08/2026)"),
        (D(2026, 9, 1), "Quốc khánh"),
        (D(2026, 9, 2), "Quốc khánh"),
    ]


@pytest.mark.parametrize("year", [1999, 2024, 2031, 2045])
def test_years_outside_the_overrides_follow_the_package(year: int) -> None:
    cal = calendar_2026()
    package = holidays.country_holidays("VN", years=range(year - 1, year + 2))
    assert [cal.is_working_day(d) for d in every_day(year)] == [
        package.is_working_day(d) for d in every_day(year)
    ]


def test_table_grows_when_a_limit_runs_past_its_years() -> None:
    cal = calendar_2026()
    far = cal.add_working_days(D(2026, 12, 1), 2000)
    assert cal.working_days_between(D(2026, 12, 1), far) == 2000
    assert cal.is_working_day(far)


def test_bulk_api_matches_single_calls(cal: WorkCalendar) -> None:
    rng = np.random.default_rng(7)
    starts = np.datetime64("2025-06-01") + rng.integers(0, 900, 2000).astype("timedelta64[D]")
    counts = rng.integers(0, 60, 2000)
    bulk = cal.add_working_days_many(starts, counts)
    single = [
        np.datetime64(cal.add_working_days(day.astype(dt.date), int(n)))
        for day, n in zip(starts, counts, strict=True)
    ]
    assert bulk.tolist() == np.array(single, dtype="datetime64[D]").tolist()


def test_bulk_api_accepts_empty_input_and_refuses_negative_counts(cal: WorkCalendar) -> None:
    empty = np.array([], dtype="datetime64[D]")
    assert cal.add_working_days_many(empty, np.array([], dtype=np.int64)).size == 0
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days_many(np.array(["2026-01-05"], dtype="datetime64[D]"), [-1])


def test_override_on_top_of_package_moves_a_day(cal: WorkCalendar) -> None:
    extra = calendar_2026(
        extra_days_off=(*EXTRA_DAYS_OFF_2026, DayOverride(D(2026, 2, 24), "Bão số 3")),
        extra_working_days=(
            *EXTRA_WORKING_DAYS_2026, DayOverride(D(2026, 5, 1), "Trực tiếp nhận hồ sơ")
        ),
    )
    assert extra.day_off_reason(D(2026, 2, 24)) == "Bão số 3"
    assert extra.add_working_days(D(2026, 2, 13), 3) == D(2026, 2, 26)
    assert extra.is_working_day(D(2026, 5, 1))


def test_saturday_counter_setting_makes_ordinary_saturdays_working() -> None:
    cal = calendar_2026(saturday_is_working=True)
    assert cal.is_working_day(D(2026, 3, 7))
    assert not cal.is_working_day(D(2026, 3, 8))
    assert cal.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 7)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"extra_days_off": (DayOverride(D(2026, 3, 3), "x"),),
          "extra_working_days": (DayOverride(D(2026, 3, 3), "y"),)},
         "extra_working_days: 2026-03-03 is also listed in extra_days_off"),
        ({"extra_days_off": (DayOverride(D(2026, 3, 3), "x"), DayOverride(D(2026, 3, 3), "y"))},
         "extra_days_off: 2026-03-03 is listed twice"),
        ({"office_hours": ((dt.time(7), dt.time(12)), (dt.time(11), dt.time(17)))},
         "office_hours: interval starting 11:00 overlaps"),
        ({"office_hours": ((dt.time(13), dt.time(17)), (dt.time(7), dt.time(11)))},
         "office_hours: interval starting 07:00 overlaps or is out of order"),
        ({"office_hours": ((dt.time(12), dt.time(8)),)}, "office_hours: 12:00-08:00"),
        ({"office_hours": ()}, "office_hours: at least one"),
        ({"timezone": "Mars/Olympus"}, "timezone: unknown"),
    ],
)
def test_invalid_settings_name_the_key(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CalendarSettings(**changes)  # type: ignore[arg-type]


def test_settings_from_config_section_parse_times_and_sort_hours() -> None:
    section = {
        "extra_days_off": [{"date": D(2026, 1, 2), "reason": "Nghỉ bù"}],
        "extra_working_days": [{"date": D(2026, 1, 10), "reason": "Làm bù"}],
        "saturday_is_working": False,
        "office_hours": ["13:00-17:30", "08:00-12:00"],
        "cutoff": "15:30",
    }
    settings = CalendarSettings.from_config(build(CalendarSection, section), "Asia/Ho_Chi_Minh")
    assert settings.office_hours == (
        (dt.time(8), dt.time(12)), (dt.time(13), dt.time(17, 30)),
    )
    assert settings.cutoff == dt.time(15, 30)
    assert settings.extra_days_off == (DayOverride(D(2026, 1, 2), "Nghỉ bù"),)
    assert settings.extra_working_days == (DayOverride(D(2026, 1, 10), "Làm bù"),)


def test_settings_from_config_refuse_a_malformed_time() -> None:
    with pytest.raises(ValueError, match="cutoff: expected a time HH:MM"):
        CalendarSettings.from_config(CalendarSection((), (), False, ("07:30-11:30",), "3pm"),
                                     "Asia/Ho_Chi_Minh")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 2, 23, 10), 2, at(2026, 2, 23, 14)),  # across lunch
        (at(2026, 2, 23, 7, 30), 4, at(2026, 2, 23, 11, 30)),  # ends exactly at lunch
        (at(2026, 2, 23, 16), 2, at(2026, 2, 24, 8, 30)),  # across the night
        (at(2026, 2, 23, 12), 1, at(2026, 2, 23, 14, 30)),  # starts in the lunch break
        (at(2026, 2, 23, 6), 1, at(2026, 2, 23, 8, 30)),  # starts before opening
        (at(2026, 2, 23, 18), 7.5, at(2026, 2, 24, 17)),  # one full office day
        (at(2026, 2, 13, 16), 8, at(2026, 2, 23, 16, 30)),  # across Tết
        (at(2026, 1, 9, 16), 2, at(2026, 1, 10, 8, 30)),  # into the working Saturday
        (at(2026, 2, 23, 12), 0, at(2026, 2, 23, 13, 30)),
    ],
)
def test_add_working_time_counts_office_hours_only(
    cal: WorkCalendar, start: dt.datetime, hours: float, expected: dt.datetime
) -> None:
    assert cal.add_working_time(start, dt.timedelta(hours=hours)) == expected


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(2026, 2, 23, 10), at(2026, 2, 23, 14), 2),
        (at(2026, 2, 23, 14), at(2026, 2, 23, 10), -2),
        (at(2026, 2, 13, 16), at(2026, 2, 23, 9), 2.5),
        (at(2026, 2, 14, 9), at(2026, 2, 22, 9), 0),
        (at(2026, 2, 23, 17), at(2026, 2, 24, 7, 30), 0),
        (at(2026, 3, 2, 7, 30), at(2026, 3, 6, 17), 37.5),
    ],
)
def test_working_time_between_skips_lunch_nights_and_days_off(
    cal: WorkCalendar, start: dt.datetime, end: dt.datetime, hours: float
) -> None:
    assert cal.working_time_between(start, end) == dt.timedelta(hours=hours)


def test_office_instants_are_in_the_calendar_zone(cal: WorkCalendar) -> None:
    assert cal.opening(D(2026, 3, 2)).isoformat() == "2026-03-02T07:30:00+07:00"
    assert cal.closing(D(2026, 3, 2)).isoformat() == "2026-03-02T17:00:00+07:00"
    utc = dt.datetime(2026, 3, 2, 3, tzinfo=dt.UTC)  # 10:00 in Hà Nội
    assert cal.is_office_time(utc)
    assert not cal.is_office_time(at(2026, 3, 2, 12))
    assert not cal.is_office_time(at(2026, 3, 7, 9))


def test_naive_instants_are_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_time(dt.datetime(2026, 3, 2, 9), dt.timedelta(hours=1))


def test_custom_office_hours_shape_the_day() -> None:
    cal = calendar_2026(office_hours=((dt.time(8), dt.time(12)), (dt.time(13), dt.time(17, 30))))
    assert cal.office_day == dt.timedelta(hours=8, minutes=30)
    assert cal.add_working_time(at(2026, 3, 2, 11), dt.timedelta(hours=2)) == at(2026, 3, 2, 14)


instants = st.datetimes(
    min_value=dt.datetime(2025, 11, 1), max_value=dt.datetime(2027, 3, 1)
).map(lambda value: value.replace(tzinfo=TZ))
amounts = st.integers(min_value=0, max_value=60 * 200).map(lambda m: dt.timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(start=instants, amount=amounts)
def test_working_time_added_is_working_time_measured(
    start: dt.datetime, amount: dt.timedelta
) -> None:
    cal = shared_calendar()
    end = cal.add_working_time(start, amount)
    assert cal.working_time_between(start, end) == amount
    assert cal.is_working_day(end.date())


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=D(2025, 1, 1), max_value=D(2027, 12, 31)),
    count=st.integers(min_value=0, max_value=300),
)
def test_added_working_days_are_counted_back(day: dt.date, count: int) -> None:
    cal = shared_calendar()
    end = cal.add_working_days(day, count)
    assert cal.is_working_day(end)
    assert cal.working_days_between(cal.first_working_day(day), end) == count
