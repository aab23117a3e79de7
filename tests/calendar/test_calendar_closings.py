"""The precomputed closing instants give exactly the general working_days due instant."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.calendar import WorkCalendar
from service.deadlines import LimitUnit, due_at
from tests.calendar_support import calendar_2026

OFFICE = ZoneInfo("Asia/Ho_Chi_Minh")
ZONES = st.one_of(
    st.integers(min_value=-12 * 60, max_value=14 * 60).map(
        lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
    ),
    st.sampled_from([dt.UTC, OFFICE, ZoneInfo("UTC"), ZoneInfo("Europe/Berlin")]),
)
WALLS = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 12, 31))


def general(cal: WorkCalendar, start: dt.datetime, count: int) -> dt.datetime:
    """The due instant the slow way: office-zone date, day arithmetic, aware closing."""
    return cal.closing(cal.add_working_days(cal.local(start).date(), count))


def check(cal: WorkCalendar, reference: WorkCalendar, start: dt.datetime, count: int) -> None:
    """Twice, so the second call goes through the index the first one built."""
    expected = general(reference, start, count)
    for _ in range(2):
        due = cal.closing_after(start, count)
        assert due == expected
        assert due.tzinfo is cal.tz
        assert due.utcoffset() == expected.utcoffset()


PAIRS = {
    "office zone": (calendar_2026(), calendar_2026()),
    "summer time": (calendar_2026(timezone="Europe/Berlin"),
                    calendar_2026(timezone="Europe/Berlin")),
}


@pytest.mark.parametrize("zone_name", PAIRS)
@settings(max_examples=300, deadline=None)
@given(wall=WALLS, zone=ZONES, fold=st.integers(0, 1), count=st.integers(0, 60))
def test_closing_after_equals_the_general_path(
    zone_name: str, wall: dt.datetime, zone: dt.tzinfo, fold: int, count: int
) -> None:
    cal, reference = PAIRS[zone_name]
    check(cal, reference, wall.replace(tzinfo=zone, fold=fold), count)


@pytest.mark.parametrize(
    "start",
    [
        dt.datetime(2026, 2, 13, 16, 59, 59, 999999, tzinfo=dt.UTC),  # 23:59:59 Friday in Hà Nội
        dt.datetime(2026, 2, 13, 17, tzinfo=dt.UTC),  # midnight: Saturday 14/2, Tết
        dt.datetime(2026, 2, 13, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-10))),
        dt.datetime(2026, 2, 14, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=14))),
        dt.datetime(2026, 1, 9, 23, 59, tzinfo=OFFICE),  # the day before the worked Saturday
    ],
)
@pytest.mark.parametrize("count", [0, 1, 3, 15])
def test_closing_after_at_the_edges_of_the_local_day(start: dt.datetime, count: int) -> None:
    cal = calendar_2026()
    check(cal, calendar_2026(), start, count)
    assert due_at(cal, start, count or 1, LimitUnit.WORKING_DAYS) == general(
        cal, start, count or 1
    )


@pytest.mark.parametrize(
    "start",
    [
        dt.datetime(2026, 7, 1, 22, 30, tzinfo=dt.UTC),  # 00:30 Thursday 2/7 in Berlin summer time
        dt.datetime(2026, 7, 2, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=7))),
        dt.datetime(2026, 12, 1, 22, 30, tzinfo=dt.UTC),  # 23:30 Tuesday 1/12 in winter
    ],
)
def test_summer_time_moves_the_local_day(start: dt.datetime) -> None:
    cal = calendar_2026(timezone="Europe/Berlin")
    check(cal, calendar_2026(timezone="Europe/Berlin"), start, 3)
