"""Handling time in working time (office hours of the calendar) with calendar time beside it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.dossiers.derive import handling_columns
from service.models import Procedure
from service.reports.handling import handling_report, handling_times
from service.reports.periods import parse_period
from service.runtime import Runtime
from service.vocabulary import LimitUnit, Status
from tests.conftest import UNIT_CODE, local, make_settings

TZ_NAME = "Asia/Ho_Chi_Minh"
# (received, finished, working minutes, calendar minutes), counted by hand with office hours
# 07:30-11:30 and 13:30-17:00 (450 minutes a day); July 2026 has no public holiday.
DOSSIERS = [
    (local(2026, 7, 1, 8), local(2026, 7, 1, 10), 120, 120),
    (local(2026, 7, 1, 8), local(2026, 7, 1, 14), 210 + 30, 360),          # lunch left out
    (local(2026, 7, 1, 16), local(2026, 7, 2, 8, 30), 60 + 60, 990),        # a night
    (local(2026, 7, 3, 16), local(2026, 7, 6, 9), 60 + 90, 3900),           # a weekend
    (local(2026, 7, 6, 7, 30), local(2026, 7, 7, 17), 2 * 450, 2010),
    (local(2026, 7, 6, 9), local(2026, 7, 6, 9, 45), 45, 45),
    (local(2026, 7, 2, 10), local(2026, 7, 8, 10), 300 + 3 * 450 + 150, 8640),
    (local(2026, 7, 7, 11), local(2026, 7, 7, 13, 45), 30 + 15, 165),
    (local(2026, 7, 8, 15), local(2026, 7, 10, 15), 120 + 450 + 330, 2880),
    (local(2026, 7, 10, 11), local(2026, 7, 10, 11, 20), 20, 20),
]
# Sorted working minutes: 20 45 45 120 120 150 240 900 900 1800; nearest rank of 10 values:
# the median is the 5th (120), p90 the 9th (900). Calendar: 20 45 120 165 360 990 2010 2880
# 3900 8640: the 5th is 360, the 9th 3900.


@pytest.fixture
def settings(database_url: str) -> dict[str, Any]:
    """Run every test of this module on SQLite and on PostgreSQL."""
    return make_settings(database_url)


def test_the_engine_counts_only_office_hours(runtime: Runtime) -> None:
    for received, finished, working, elapsed in DOSSIERS:
        assert handling_columns(runtime.calendar, received, finished) == {
            "handling_working_min": working, "handling_elapsed_min": elapsed}, received


def test_median_and_p90_in_working_and_calendar_time(runtime: Runtime, session: Session,
                                                     make_dossier: Any) -> None:
    procedure = Procedure(code="1.000001", name="Thủ tục mẫu", domain_name="Hộ tịch",
                          limit_value=3, limit_unit=LimitUnit.WORKING_DAYS)
    for received, finished, _, _ in DOSSIERS:
        make_dossier(procedure=procedure, received_at=received, status=Status.RESOLVED,
                     is_open=False, finished_at=finished,
                     **handling_columns(runtime.calendar, received, finished))
    # Still open, and finished after the instant judged: neither is counted.
    make_dossier(procedure=procedure, received_at=local(2026, 7, 10, 9))
    late = local(2026, 7, 20, 9)
    make_dossier(procedure=procedure, received_at=local(2026, 7, 10, 9), status=Status.RESOLVED,
                 is_open=False, finished_at=late,
                 **handling_columns(runtime.calendar, local(2026, 7, 10, 9), late))
    session.commit()
    [times] = handling_times(session, UNIT_CODE, parse_period("2026-Q3"), TZ_NAME,
                             local(2026, 7, 15, 9))
    assert (times.code, times.finished) == ("1.000001", 10)
    assert (times.median, times.p90) == (dt.timedelta(hours=2), dt.timedelta(hours=15))
    assert (times.median_elapsed, times.p90_elapsed) == (dt.timedelta(hours=6),
                                                         dt.timedelta(hours=65))
    report = handling_report(session, UNIT_CODE, parse_period("2026-Q3"), TZ_NAME,
                             local(2026, 8, 1, 9))
    assert report.times[0].finished == 11
    assert report.as_of_text == "Số liệu tính đến 09:00 ngày 01/08/2026"
