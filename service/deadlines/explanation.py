"""Explain a due date in Vietnamese, step by step, the way a clerk reads it."""

from __future__ import annotations

import datetime as dt

from service.calendar import WorkCalendar
from service.deadlines.dossier import DeadlineInput
from service.deadlines.due import as_unit, due_at, same_day_due_date
from service.deadlines.verdict import DeadlineResult, SourceAudit
from service.vocabulary import LimitUnit

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
DECREE = "Nghị định 118/2025/NĐ-CP"


def format_day(day: dt.date) -> str:
    """Return e.g. 'Thứ Sáu 13/02/2026'."""
    return f"{WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}"


def format_instant(cal: WorkCalendar, instant: dt.datetime) -> str:
    """Return e.g. '09:00 Thứ Sáu 13/02/2026' in the calendar's time zone."""
    local = cal.local(instant)
    return f"{local:%H:%M} {format_day(local.date())}"


def format_duration(amount: dt.timedelta) -> str:
    """Return a working-time amount as e.g. '9 giờ 30 phút'."""
    minutes = int(abs(amount).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"


def _skipped(cal: WorkCalendar, first: dt.date, last: dt.date) -> list[str]:
    """One line per day off from first to last inclusive, with its reason."""
    return [f"Bỏ qua {format_day(day)}: {reason}." for day, reason in cal.days_off(first, last)]


def _working_days_lines(cal: WorkCalendar, local: dt.datetime, limit: int) -> list[str]:
    """Explain a working_days limit counted from local."""
    day = local.date()
    lines = []
    start_day = cal.first_working_day(day)
    if start_day != day:
        lines.append(
            f"{format_day(day)} là ngày nghỉ; ngày bắt đầu tính là {format_day(start_day)}."
        )
    elif local.time() > cal.settings.cutoff:
        lines.append(
            f"Tiếp nhận sau {cal.settings.cutoff:%H:%M}: hồ sơ chuyển xử lý đầu ngày làm việc "
            f"tiếp theo, thời hạn vẫn tính từ ngày tiếp nhận ({DECREE})."
        )
    due_day = cal.add_working_days(day, limit)
    lines += _skipped(cal, day, due_day)
    counted = [
        start_day + dt.timedelta(days=offset)
        for offset in range(1, (due_day - start_day).days + 1)
        if cal.is_working_day(start_day + dt.timedelta(days=offset))
    ]
    lines.append("Ngày làm việc được tính: " + ", ".join(f"{d:%d/%m}" for d in counted) + ".")
    return lines


def _same_day_lines(cal: WorkCalendar, local: dt.datetime) -> list[str]:
    """Explain a same-day procedure received at local."""
    day, cutoff = local.date(), cal.settings.cutoff
    due_day = same_day_due_date(cal, local)
    if due_day == day:
        return [f"Tiếp nhận trong ngày làm việc, trước {cutoff:%H:%M}: hạn là cuối ngày tiếp nhận."]
    if cal.is_working_day(day):
        first = (f"Tiếp nhận sau {cutoff:%H:%M}: hạn chuyển sang cuối ngày làm việc tiếp theo "
                 f"({DECREE}).")
    else:
        first = "Tiếp nhận vào ngày nghỉ: hạn là cuối ngày làm việc tiếp theo."
    return [first, *_skipped(cal, day, due_day)]


def _working_hours_lines(cal: WorkCalendar, local: dt.datetime, due: dt.datetime) -> list[str]:
    """Explain a working_hours limit counted from local."""
    hours = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in cal.settings.office_hours)
    lines = [f"Chỉ tính giờ làm việc ({hours}) của ngày làm việc."]
    start = cal.next_office_instant(local)
    if start != local:
        lines.append(f"Ngoài giờ làm việc: bắt đầu tính từ {format_instant(cal, start)}.")
    return lines + _skipped(cal, local.date(), cal.local(due).date())


def explain_due(
    cal: WorkCalendar,
    start: dt.datetime,
    limit: int,
    unit: LimitUnit | str,
    label: str = "Tiếp nhận",
    due_label: str = "Hạn giải quyết",
) -> list[str]:
    """Explain in Vietnamese how the due instant of a limit counted from start is reached."""
    unit = as_unit(unit)
    local, due = cal.local(start), due_at(cal, start, limit, unit)
    size = unit.describe(limit)
    lines = [f"{label} lúc {format_instant(cal, local)}; thời hạn {size}."]
    if unit is LimitUnit.WORKING_DAYS:
        lines += _working_days_lines(cal, local, limit)
    elif unit is LimitUnit.SAME_DAY:
        lines += _same_day_lines(cal, local)
    else:
        lines += _working_hours_lines(cal, local, due)
    lines.append(f"{due_label}: {format_instant(cal, due)}.")
    return lines


def _rounds_lines(cal: WorkCalendar, inp: DeadlineInput) -> list[str]:
    """One line per supplement round."""
    lines = []
    for number, item in enumerate(inp.supplements, start=1):
        asked = f"Yêu cầu bổ sung lần {number} lúc {format_instant(cal, item.requested_at)}"
        if item.completed_at is None:
            lines.append(
                f"{asked}; đang chờ bổ sung: không tính sắp đến hạn hay quá hạn, thời hạn "
                "sẽ tính lại từ đầu khi nhận đủ hồ sơ."
            )
        else:
            lines.append(
                f"{asked}; hoàn thành bổ sung lúc {format_instant(cal, item.completed_at)}: "
                f"thời hạn tính lại từ đầu ({DECREE})."
            )
    return lines


def _extension_lines(cal: WorkCalendar, inp: DeadlineInput, result: DeadlineResult) -> list[str]:
    """Explain the apology extension and how reports treat it."""
    if inp.extension is None:
        return []
    new_due = format_instant(cal, inp.extension.new_due_at)
    if inp.extension.late:
        return [
            f"Phiếu xin lỗi lập muộn (xin lỗi muộn, không chậm nhất 01 ngày trước hạn): công "
            f"dân được hẹn lại {new_due}, lý do: {inp.extension.reason}; hạn không đổi, hồ sơ "
            f"vẫn tính theo hạn {format_instant(cal, result.reference_due)}."
        ]
    rule = (
        "báo cáo tính theo hạn mới."
        if result.basis == "extension"
        else "hoàn thành sau hạn ban đầu vẫn tính là trễ hạn trong báo cáo."
    )
    return [
        f"Gia hạn một lần (phiếu xin lỗi và hẹn lại ngày trả kết quả): hạn mới "
        f"{new_due}, lý do: {inp.extension.reason}; {rule}"
    ]


def _source_lines(cal: WorkCalendar, inp: DeadlineInput, result: DeadlineResult) -> list[str]:
    """Compare the source system's appointment with the statutory due date."""
    if inp.source_due_at is None:
        return []
    shown = format_instant(cal, inp.source_due_at)
    if result.source_audit is SourceAudit.LAX:
        text = f"Ngày hẹn trả của hệ thống nguồn ({shown}) muộn hơn hạn theo quy định."
    elif result.source_audit is SourceAudit.STRICT:
        text = f"Ngày hẹn trả của hệ thống nguồn ({shown}) sớm hơn hạn theo quy định."
    else:
        text = f"Ngày hẹn trả của hệ thống nguồn ({shown}) khớp hạn theo quy định."
    if result.basis == "source":
        text += " Báo cáo tính theo ngày hẹn trả này."
    return [text]


def _result_lines(cal: WorkCalendar, inp: DeadlineInput, result: DeadlineResult) -> list[str]:
    """State the statutory verdict and the portal's."""
    due = format_instant(cal, result.reference_due)
    if result.outcome is not None and inp.finished_at is not None:
        line = (f"Kết quả: {result.outcome.label} (hoàn thành lúc "
                f"{format_instant(cal, inp.finished_at)}, hạn {due}).")
    elif result.remaining is not None and result.remaining >= dt.timedelta():
        line = f"Tình trạng: {result.progress.label} (còn {format_duration(result.remaining)} "
        line += f"làm việc đến hạn {due})."
    elif result.remaining is not None:
        line = f"Tình trạng: {result.progress.label} (quá hạn {format_duration(result.remaining)} "
        line += f"làm việc so với hạn {due})."
    else:
        line = f"Tình trạng: {result.progress.label} (hạn {due})."
    verdict = result.portal_outcome or result.portal_progress
    if len(inp.supplements) > 1:
        portal = f"{len(inp.supplements)} lần yêu cầu bổ sung nên tính là trễ hạn"
    else:
        portal = (f"không tính lại từ đầu, trừ {format_duration(result.portal_waiting)} chờ "
                  f"bổ sung, hạn {format_instant(cal, result.portal_due)}: {verdict.label}")
    return [line, f"Cổng DVCQG (Quyết định 766): {portal}."]


def explain(cal: WorkCalendar, inp: DeadlineInput, result: DeadlineResult) -> list[str]:
    """Explain a dossier's deadline in Vietnamese: start, days skipped, restarts, result."""
    restarted = inp.clock_start != inp.received_at
    first_due = "Hạn trước khi bổ sung" if restarted else "Hạn giải quyết"
    lines = explain_due(cal, inp.received_at, inp.limit, inp.unit, due_label=first_due)
    lines += _rounds_lines(cal, inp)
    if restarted:
        label = "Tính lại từ khi hoàn thành bổ sung"
        lines += explain_due(cal, inp.clock_start, inp.limit, inp.unit, label=label)
    if inp.waiting and inp.open_round is None:
        lines.append("Đang chờ thực hiện nghĩa vụ tài chính: không tính sắp đến hạn hay quá hạn.")
    return (lines + _extension_lines(cal, inp, result) + _source_lines(cal, inp, result)
            + _result_lines(cal, inp, result))
