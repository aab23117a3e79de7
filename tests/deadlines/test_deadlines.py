"""Statutory due dates, supplement restarts, the extension, the portal verdict, explanations."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.calendar import WorkCalendar
from service.deadlines import (
    DeadlineClass,
    DeadlineInput,
    Extension,
    ExtensionError,
    LimitUnit,
    Outcome,
    SourceAudit,
    SupplementRound,
    due_at,
    evaluate,
    explain,
    explain_due,
    finishing_instant,
    portal_due_at,
    with_extension,
)
from tests.calendar_support import calendar_2026, shared_calendar

TZ = dt.timezone(dt.timedelta(hours=7))
DAYS, HOURS, SAME_DAY = LimitUnit.WORKING_DAYS, LimitUnit.WORKING_HOURS, LimitUnit.SAME_DAY


def at(*args: int) -> dt.datetime:
    """An instant in Vietnam time."""
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def cal() -> WorkCalendar:
    return shared_calendar()


def dossier(**changes: object) -> DeadlineInput:
    """A 3-working-day dossier received Monday 2/3/2026 09:00 (due Thursday 5/3 17:00)."""
    values: dict[str, object] = {"received_at": at(2026, 3, 2, 9), "limit": 3, "unit": DAYS}
    values.update(changes)
    return DeadlineInput(**values)  # type: ignore[arg-type]


def test_acceptance_example_skips_tet(cal: WorkCalendar) -> None:
    due = due_at(cal, at(2026, 2, 13, 9), 3, "working_days")
    assert due.isoformat() == "2026-02-25T17:00:00+07:00"


@pytest.mark.parametrize(
    ("received", "limit", "expected"),
    [
        (at(2026, 2, 13, 16, 30), 3, "2026-02-25T17:00"),  # after 15:00: start day unchanged
        (at(2026, 2, 14, 10), 3, "2026-02-26T17:00"),  # Saturday: clock starts Monday 23/2
        (at(2025, 12, 31, 10), 2, "2026-01-06T17:00"),  # across the new year, 2/1 off
        (at(2026, 1, 1, 10), 1, "2026-01-06T17:00"),  # received on the holiday itself
        (at(2026, 1, 9, 10), 1, "2026-01-10T17:00"),  # due on the working Saturday
        (at(2026, 4, 24, 10), 1, "2026-04-28T17:00"),  # Giỗ Tổ Sunday, substitute Monday
        (at(2026, 4, 29, 10), 2, "2026-05-05T17:00"),  # 30/4–3/5
        (at(2026, 8, 21, 10), 1, "2026-08-22T17:00"),  # the working Saturday 22/8
        (at(2026, 8, 28, 10), 1, "2026-09-03T17:00"),  # Quốc khánh 29/8–2/9
        (at(2026, 11, 23, 10), 1, "2026-11-25T17:00"),  # Ngày Văn hóa Việt Nam
        (at(2026, 12, 31, 10), 1, "2027-01-04T17:00"),  # into 2027
        (at(2026, 3, 2, 9), 15, "2026-03-23T17:00"),
        (dt.datetime(2026, 2, 13, 18, tzinfo=dt.UTC), 3, "2026-02-26T17:00"),  # 01:00 Sat 14/2
    ],
)
def test_working_days_due_at_close_of_nth_working_day(
    cal: WorkCalendar, received: dt.datetime, limit: int, expected: str
) -> None:
    assert due_at(cal, received, limit, DAYS) == at(*map(int, _split(expected)))


def _split(text: str) -> list[str]:
    return text.replace("T", "-").replace(":", "-").split("-")


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (at(2026, 3, 2, 14, 59), at(2026, 3, 2, 17)),
        (at(2026, 3, 2, 15), at(2026, 3, 2, 17)),  # at 15:00 sharp, not after it
        (at(2026, 3, 2, 15, 1), at(2026, 3, 3, 17)),  # after the cut-off: next working day
        (at(2026, 3, 2, 6), at(2026, 3, 2, 17)),
        (at(2026, 2, 13, 16), at(2026, 2, 23, 17)),  # after cut-off before Tết
        (at(2026, 1, 10, 9), at(2026, 1, 10, 17)),  # the working Saturday
        (at(2026, 1, 9, 16), at(2026, 1, 10, 17)),
        (at(2026, 1, 11, 9), at(2026, 1, 12, 17)),  # Sunday
        (at(2026, 4, 30, 9), at(2026, 5, 4, 17)),  # holiday
    ],
)
def test_same_day_cutoff_moves_to_next_working_day(
    cal: WorkCalendar, received: dt.datetime, expected: dt.datetime
) -> None:
    assert due_at(cal, received, 0, SAME_DAY) == expected


@pytest.mark.parametrize(
    ("received", "hours", "expected"),
    [
        (at(2026, 3, 2, 10), 2, at(2026, 3, 2, 14)),  # across lunch
        (at(2026, 3, 2, 16), 8, at(2026, 3, 3, 16, 30)),  # across the night and lunch
        (at(2026, 3, 2, 20), 8, at(2026, 3, 4, 8)),  # outside hours: next opening
        (at(2026, 3, 2, 7, 30), 4, at(2026, 3, 2, 11, 30)),  # ends at lunch, not after it
        (at(2026, 2, 13, 16), 8, at(2026, 2, 23, 16, 30)),  # across Tết
        (at(2026, 8, 28, 15), 4, at(2026, 9, 3, 9, 30)),  # across Quốc khánh
        (at(2026, 8, 21, 16), 2, at(2026, 8, 22, 8, 30)),  # into the working Saturday
        (at(2026, 12, 31, 16), 2, at(2027, 1, 4, 8, 30)),  # across the year
    ],
)
def test_working_hours_count_only_office_hours(
    cal: WorkCalendar, received: dt.datetime, hours: int, expected: dt.datetime
) -> None:
    assert due_at(cal, received, hours, HOURS) == expected


def test_cutoff_is_configurable(cal: WorkCalendar) -> None:
    late = calendar_2026(cutoff=dt.time(16))
    assert due_at(late, at(2026, 3, 2, 15, 30), 0, SAME_DAY) == at(2026, 3, 2, 17)
    assert due_at(cal, at(2026, 3, 2, 15, 30), 0, SAME_DAY) == at(2026, 3, 3, 17)


@pytest.mark.parametrize(
    ("limit", "unit", "message"),
    [
        (0, DAYS, "at least 1"),
        (-2, DAYS, "at least 1"),
        (1, SAME_DAY, "same_day limit is 0"),
        (-1, HOURS, "must not be negative"),
        (3, "weeks", "unknown limit unit 'weeks'"),
    ],
)
def test_senseless_limits_are_refused(
    cal: WorkCalendar, limit: int, unit: LimitUnit | str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        due_at(cal, at(2026, 3, 2, 9), limit, unit)


def test_naive_receipt_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(cal, dt.datetime(2026, 3, 2, 9), 3, DAYS)


def test_supplement_restarts_the_clock_at_completion(cal: WorkCalendar) -> None:
    inp = dossier(supplements=(SupplementRound(at(2026, 3, 3, 9), at(2026, 3, 9, 10)),))
    result = evaluate(cal, inp, now=at(2026, 3, 11, 9))
    assert result.clock_start == at(2026, 3, 9, 10)
    assert result.legal_due == at(2026, 3, 12, 17)
    assert result.progress is DeadlineClass.WITHIN


def test_last_of_several_supplements_restarts_the_clock(cal: WorkCalendar) -> None:
    rounds = (
        SupplementRound(at(2026, 3, 3, 9), at(2026, 3, 4, 9)),
        SupplementRound(at(2026, 3, 5, 9), at(2026, 3, 6, 9)),
    )
    assert evaluate(cal, dossier(supplements=rounds), at(2026, 3, 6, 10)).legal_due == at(
        2026, 3, 11, 17
    )


def test_waiting_for_supplement_is_never_overdue(cal: WorkCalendar) -> None:
    inp = dossier(supplements=(SupplementRound(at(2026, 3, 3, 9)),), waiting=True)
    result = evaluate(cal, inp, now=at(2026, 3, 30, 9))
    assert result.progress is DeadlineClass.PAUSED
    assert result.portal_progress is DeadlineClass.PAUSED
    assert result.legal_due == at(2026, 3, 5, 17)


def test_waiting_for_payment_is_never_near(cal: WorkCalendar) -> None:
    result = evaluate(cal, dossier(waiting=True), now=at(2026, 3, 5, 16))
    assert result.progress is DeadlineClass.PAUSED


def test_dossier_closed_while_waiting_is_judged_at_the_request(cal: WorkCalendar) -> None:
    inp = dossier(supplements=(SupplementRound(at(2026, 3, 3, 9)),), finished_at=at(2026, 3, 25, 9))
    result = evaluate(cal, inp, now=at(2026, 3, 26, 9))
    assert result.outcome is Outcome.EARLY
    assert result.portal_outcome is Outcome.EARLY


@pytest.mark.parametrize(
    ("finished", "outcome"),
    [
        (at(2026, 3, 4, 16), Outcome.EARLY),
        (at(2026, 3, 5, 8), Outcome.ON_TIME),
        (at(2026, 3, 5, 17), Outcome.ON_TIME),
        (at(2026, 3, 5, 17, 0, 1), Outcome.LATE),
        (at(2026, 3, 6, 8), Outcome.LATE),
    ],
)
def test_finished_dossiers_are_early_on_time_or_late(
    cal: WorkCalendar, finished: dt.datetime, outcome: Outcome
) -> None:
    result = evaluate(cal, dossier(finished_at=finished), now=at(2026, 4, 1, 9))
    assert (result.outcome, result.progress) == (outcome, None)


@pytest.mark.parametrize(
    ("limit", "fraction", "now", "expected"),
    [
        (10, 0.2, at(2026, 3, 12, 9), DeadlineClass.WITHIN),  # 21 h left of a 15 h window
        (10, 0.2, at(2026, 3, 12, 16), DeadlineClass.WITHIN),  # 16 h left
        (10, 0.2, at(2026, 3, 12, 17), DeadlineClass.NEAR),  # last 2 working days
        (10, 0.2, at(2026, 3, 16, 17), DeadlineClass.NEAR),
        (10, 0.2, at(2026, 3, 16, 17, 0, 1), DeadlineClass.OVERDUE),
        (3, 0.2, at(2026, 3, 4, 16, 59), DeadlineClass.WITHIN),
        (3, 0.2, at(2026, 3, 4, 17), DeadlineClass.NEAR),  # at least the last working day
        (10, 0.5, at(2026, 3, 9, 16), DeadlineClass.WITHIN),
        (10, 0.5, at(2026, 3, 10, 7, 30), DeadlineClass.NEAR),  # per-procedure fraction
    ],
)
def test_open_dossiers_within_near_or_overdue(
    cal: WorkCalendar, limit: int, fraction: float, now: dt.datetime, expected: DeadlineClass
) -> None:
    result = evaluate(cal, dossier(limit=limit), now=now, near_fraction=fraction)
    assert (result.progress, result.outcome) == (expected, None)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 3, 2, 15, 30), DeadlineClass.WITHIN),
        (at(2026, 3, 2, 16), DeadlineClass.NEAR),  # 1.5 h left of 8 h, window 1.6 h
        (at(2026, 3, 3, 8, 1), DeadlineClass.OVERDUE),
    ],
)
def test_hour_limits_are_near_in_their_last_fraction(
    cal: WorkCalendar, now: dt.datetime, expected: DeadlineClass
) -> None:
    inp = dossier(received_at=at(2026, 3, 2, 7, 30), limit=8, unit=HOURS)
    assert evaluate(cal, inp, now=now).progress is expected


def test_extension_replaces_the_date_shown_and_still_counts_late(cal: WorkCalendar) -> None:
    inp = with_extension(cal, dossier(finished_at=at(2026, 3, 9, 10)),
                         Extension(at(2026, 3, 10, 17), "Chờ kết quả xác minh"))
    late = evaluate(cal, inp, now=at(2026, 3, 11, 9))
    assert late.effective_due == at(2026, 3, 10, 17)
    assert (late.outcome, late.basis) == (Outcome.LATE, "statutory")
    kept = evaluate(cal, inp, now=at(2026, 3, 11, 9), extension_counts_late=False)
    assert (kept.outcome, kept.basis) == (Outcome.EARLY, "extension")


def test_open_dossier_past_original_due_is_overdue_unless_extension_counts(
    cal: WorkCalendar,
) -> None:
    inp = dossier(extension=Extension(at(2026, 3, 20, 17), "Chờ ý kiến cơ quan khác"))
    assert evaluate(cal, inp, at(2026, 3, 9, 9)).progress is DeadlineClass.OVERDUE
    relaxed = evaluate(cal, inp, at(2026, 3, 9, 9), extension_counts_late=False)
    assert relaxed.progress is DeadlineClass.WITHIN


def test_second_extension_is_refused(cal: WorkCalendar) -> None:
    once = with_extension(cal, dossier(), Extension(at(2026, 3, 10, 17), "Lần một"))
    with pytest.raises(ExtensionError, match="second extension is not allowed"):
        with_extension(cal, once, Extension(at(2026, 3, 12, 17), "Lần hai"))


def test_extension_must_move_the_date_later(cal: WorkCalendar) -> None:
    with pytest.raises(ExtensionError, match="is not after the due date"):
        with_extension(cal, dossier(), Extension(at(2026, 3, 5, 12), "Sớm hơn"))


ROUND_ONE = SupplementRound(at(2026, 3, 3, 9), at(2026, 3, 4, 9))  # 7.5 h of working time


@pytest.mark.parametrize(
    ("rounds", "finished", "legal", "portal"),
    [
        ((), at(2026, 3, 5, 10), Outcome.ON_TIME, Outcome.ON_TIME),
        ((), at(2026, 3, 6, 10), Outcome.LATE, Outcome.LATE),
        ((ROUND_ONE,), at(2026, 3, 6, 16), Outcome.EARLY, Outcome.ON_TIME),
        ((ROUND_ONE,), at(2026, 3, 9, 10), Outcome.ON_TIME, Outcome.LATE),
        ((SupplementRound(at(2026, 3, 3, 9), at(2026, 3, 3, 10)),
          SupplementRound(at(2026, 3, 4, 9), at(2026, 3, 4, 10))),
         at(2026, 3, 4, 15), Outcome.EARLY, Outcome.LATE),
    ],
)
def test_portal_subtracts_waiting_and_fails_more_than_one_round(
    cal: WorkCalendar,
    rounds: tuple[SupplementRound, ...],
    finished: dt.datetime,
    legal: Outcome,
    portal: Outcome,
) -> None:
    result = evaluate(cal, dossier(supplements=rounds, finished_at=finished), at(2026, 4, 1, 9))
    assert (result.outcome, result.portal_outcome) == (legal, portal)


def test_portal_due_is_pushed_by_waiting_working_time(cal: WorkCalendar) -> None:
    inp = dossier(supplements=(ROUND_ONE,))
    assert portal_due_at(cal, inp) == at(2026, 3, 6, 17)
    assert evaluate(cal, inp, at(2026, 3, 5, 9)).portal_waiting == dt.timedelta(hours=7.5)


def test_open_dossier_with_two_rounds_is_overdue_for_the_portal(cal: WorkCalendar) -> None:
    rounds = (SupplementRound(at(2026, 3, 3, 9), at(2026, 3, 3, 10)),
              SupplementRound(at(2026, 3, 4, 9), at(2026, 3, 4, 10)))
    result = evaluate(cal, dossier(supplements=rounds), now=at(2026, 3, 4, 11))
    assert (result.progress, result.portal_progress) == (
        DeadlineClass.WITHIN, DeadlineClass.OVERDUE,
    )


@pytest.mark.parametrize(
    ("source", "unit", "audit"),
    [
        (at(2026, 3, 6, 17), DAYS, SourceAudit.LAX),
        (at(2026, 3, 4, 17), DAYS, SourceAudit.STRICT),
        (at(2026, 3, 5, 0), DAYS, None),  # same day, whatever the hour the source stores
        (at(2026, 3, 3, 9, 29), HOURS, SourceAudit.STRICT),  # 8 h end at 09:30 on 3/3
        (at(2026, 3, 3, 9, 30), HOURS, None),
        (at(2026, 3, 3, 9, 31), HOURS, SourceAudit.LAX),
    ],
)
def test_source_due_date_is_audited_against_the_statute(
    cal: WorkCalendar, source: dt.datetime, unit: LimitUnit, audit: SourceAudit | None
) -> None:
    limit = 8 if unit is HOURS else 3
    inp = dossier(unit=unit, limit=limit, source_due_at=source)
    assert evaluate(cal, inp, at(2026, 3, 2, 10)).source_audit is audit


def test_reports_use_the_source_due_date_unless_configured(cal: WorkCalendar) -> None:
    inp = dossier(source_due_at=at(2026, 3, 6, 17), finished_at=at(2026, 3, 6, 10))
    assert evaluate(cal, inp, at(2026, 4, 1, 9)).outcome is Outcome.ON_TIME
    statutory = evaluate(cal, inp, at(2026, 4, 1, 9), report_due="statutory")
    assert (statutory.outcome, statutory.basis) == (Outcome.LATE, "statutory")


def test_finishing_instant_prefers_result_ready_then_returned_then_stopped() -> None:
    ready, returned, stopped = at(2026, 3, 5, 9), at(2026, 3, 4, 9), at(2026, 3, 3, 9)
    assert finishing_instant(ready, returned, stopped) == ready
    assert finishing_instant(None, returned, stopped) == returned
    assert finishing_instant(None, None, stopped) == stopped
    assert finishing_instant(None, None, None) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"received_at": dt.datetime(2026, 3, 2, 9)}, "received_at must be timezone-aware"),
        ({"finished_at": at(2026, 3, 1, 9)}, "finished_at is before received_at"),
        ({"supplements": (SupplementRound(at(2026, 3, 1, 9)),)}, "requested before"),
        ({"supplements": (SupplementRound(at(2026, 3, 3, 9)), ROUND_ONE)}, "is open but"),
        ({"supplements": (SupplementRound(at(2026, 3, 4, 9), at(2026, 3, 3, 9)),)},
         "completed before it was requested"),
        ({"limit": 0}, "at least 1"),
    ],
)
def test_inconsistent_dossiers_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dossier(**changes)


def test_explanation_names_start_skipped_days_and_due(cal: WorkCalendar) -> None:
    lines = explain_due(cal, at(2026, 2, 13, 9), 3, DAYS)
    assert lines[0] == "Tiếp nhận lúc 09:00 Thứ Sáu 13/02/2026; thời hạn 3 ngày làm việc."
    assert "Bỏ qua Thứ Hai 16/02/2026: Giao thừa Tết Nguyên Đán." in lines
    assert "Bỏ qua Chủ nhật 22/02/2026: Chủ nhật." in lines
    assert "Ngày làm việc được tính: 23/02, 24/02, 25/02." in lines
    assert lines[-1] == "Hạn giải quyết: 17:00 Thứ Tư 25/02/2026."


def test_explanation_of_receipt_on_a_day_off_and_after_cutoff(cal: WorkCalendar) -> None:
    holiday = explain_due(cal, at(2026, 1, 2, 9), 1, DAYS)
    assert "Thứ Sáu 02/01/2026 là ngày nghỉ; ngày bắt đầu tính là Thứ Hai 05/01/2026." in holiday
    assert "Bỏ qua Thứ Sáu 02/01/2026: Nghỉ bù Tết Dương lịch (làm bù thứ Bảy 10/01/2026)." in (
        holiday
    )
    evening = explain_due(cal, at(2026, 3, 2, 16), 0, SAME_DAY)
    assert evening[1].startswith("Tiếp nhận sau 15:00: hạn chuyển sang cuối ngày làm việc")
    hours = explain_due(cal, at(2026, 3, 2, 20), 8, HOURS)
    assert "Ngoài giờ làm việc: bắt đầu tính từ 07:30 Thứ Ba 03/03/2026." in hours


def test_dossier_explanation_covers_restart_extension_and_verdicts(cal: WorkCalendar) -> None:
    inp = dossier(
        supplements=(ROUND_ONE,),
        extension=Extension(at(2026, 3, 16, 17), "Chờ xác minh"),
        source_due_at=at(2026, 3, 12, 17),
        finished_at=at(2026, 3, 9, 10),
    )
    lines = explain(cal, inp, evaluate(cal, inp, at(2026, 3, 9, 11)))
    text = "\n".join(lines)
    assert "Yêu cầu bổ sung lần 1 lúc 09:00 Thứ Ba 03/03/2026; hoàn thành bổ sung lúc" in text
    assert "Tính lại từ khi hoàn thành bổ sung lúc 09:00 Thứ Tư 04/03/2026" in text
    assert "hạn mới 17:00 Thứ Hai 16/03/2026, lý do: Chờ xác minh" in text
    assert "muộn hơn hạn theo quy định" in text
    assert "Hạn trước khi bổ sung: 17:00 Thứ Năm 05/03/2026." in lines
    assert "Hạn giải quyết: 17:00 Thứ Hai 09/03/2026." in lines
    assert "Kết quả: Trước hạn (hoàn thành lúc 10:00 Thứ Hai 09/03/2026, hạn 17:00 " in text
    assert lines[-1].startswith("Cổng DVCQG (Quyết định 766): không tính lại từ đầu, trừ 7 giờ 30")
    assert lines[-1].endswith("Trễ hạn.")  # finished: the portal says "trễ hạn"


def test_open_dossier_explanation_tells_time_left(cal: WorkCalendar) -> None:
    inp = dossier()
    lines = explain(cal, inp, evaluate(cal, inp, at(2026, 3, 5, 9)))
    assert "Tình trạng: Sắp đến hạn (còn 6 giờ làm việc đến hạn 17:00 Thứ Năm 05/03/2026)." in lines


instants = st.datetimes(
    min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2027, 1, 31)
).map(lambda value: value.replace(tzinfo=TZ))


def inside_office_hours(cal: WorkCalendar, due: dt.datetime) -> bool:
    local = cal.local(due)
    clock = local.time()
    within = any(a <= clock <= b for a, b in cal.settings.office_hours)
    return within and cal.is_working_day(local.date()) and local.tzinfo is cal.tz


@settings(max_examples=300, deadline=None)
@given(received=instants, unit=st.sampled_from([u for u in LimitUnit if u is not LimitUnit.NONE]),
       limit=st.integers(1, 40))
def test_due_instant_is_always_inside_office_hours_of_a_working_day(
    received: dt.datetime, unit: LimitUnit, limit: int
) -> None:
    cal = shared_calendar()
    due = due_at(cal, received, 0 if unit is SAME_DAY else limit, unit)
    assert inside_office_hours(cal, due)
    assert due > received


def test_a_procedure_without_time_limit_has_no_due_instant() -> None:
    with pytest.raises(ValueError, match="no time limit"):
        due_at(shared_calendar(), dt.datetime(2026, 3, 2, 9, tzinfo=TZ), 0, LimitUnit.NONE)


@settings(max_examples=300, deadline=None)
@given(
    received=instants,
    unit=st.sampled_from([DAYS, HOURS]),
    limit=st.integers(1, 40),
    more=st.integers(0, 40),
)
def test_more_time_never_gives_an_earlier_due_date(
    received: dt.datetime, unit: LimitUnit, limit: int, more: int
) -> None:
    cal = shared_calendar()
    assert due_at(cal, received, limit + more, unit) >= due_at(cal, received, limit, unit)


@settings(max_examples=100, deadline=None)
@given(received=instants, limit=st.integers(1, 20), waited=st.integers(0, 3000))
def test_portal_due_is_never_before_the_original_due(
    received: dt.datetime, limit: int, waited: int
) -> None:
    cal = shared_calendar()
    asked = received + dt.timedelta(hours=1)
    inp = DeadlineInput(
        received, limit, DAYS,
        supplements=(SupplementRound(asked, asked + dt.timedelta(minutes=waited)),),
    )
    original = due_at(cal, received, limit, DAYS)
    assert portal_due_at(cal, inp) >= original
    assert replace(inp, supplements=()).clock_start == received
