"""The workbooks clerks chase late dossiers with: the dossier list, the alerts log, late dossiers
by handling body. Each has a title line naming what was chosen and the instant of the figures.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import func

from service.alerts.log import ROLE_LABELS, alert_label
from service.calendar import WorkCalendar
from service.db import UTCDateTime
from service.dossiers.classes import badge, is_overdue
from service.models import Dossier, Procedure, Unit
from service.privacy import Disclosure, Field
from service.reports.handling import LateBody
from service.reports.sheets import Column, Sheet

# What the list export reads of each dossier, with its procedure and unit.
LIST_FIELDS = (
    Dossier.code, Unit.name.label("unit_name"), Procedure.code.label("procedure_code"),
    Procedure.name.label("procedure_name"), Procedure.domain_name, Dossier.applicant_name,
    Dossier.applicant_phone, Dossier.channel, Dossier.handler, Dossier.received_by,
    Dossier.received_at, Dossier.due_at, Dossier.near_at, Dossier.extension_due_at,
    Dossier.extension_late,
    Dossier.status, Dossier.is_open, Dossier.outcome,
    # When the dossier ended, whichever way (one instant to read instead of three).
    func.coalesce(Dossier.finished_at, Dossier.returned_at, Dossier.stopped_at,
                  type_=UTCDateTime()).label("finish"),
)
PHONE = Column("Điện thoại", 14)
ListLine = namedtuple("ListLine", [field.key for field in LIST_FIELDS])  # type: ignore[misc]


def as_of(now: dt.datetime, calendar: WorkCalendar) -> str:
    """The title line telling when the figures were taken, in local time."""
    return f"Số liệu tính đến {calendar.local(now):%H:%M %d/%m/%Y}"


def dossier_list_sheet(title: str, filters: str, now: dt.datetime, calendar: WorkCalendar,
                       disclose: Disclosure) -> Sheet:
    """The list export's layout; the phone column only for readers who see phones in clear.

    The phone is there to call the citizen about a late dossier; the ID number never is.
    """
    personal = disclose.shows(Field.PHONE)
    columns = [
        Column("Mã hồ sơ", 30), Column("Đơn vị", 24), Column("Mã thủ tục", 11),
        Column("Thủ tục", 45), Column("Lĩnh vực", 18), Column("Người nộp", 24),
        *([PHONE] if personal else []), Column("Kênh nộp", 12), Column("Cơ quan giải quyết", 24),
        Column("Cán bộ tiếp nhận", 20), Column("Ngày tiếp nhận", 17, "instant"),
        Column("Hạn giải quyết", 17, "instant"), Column("Hẹn lại ngày", 17, "instant"),
        Column("Phiếu xin lỗi", 14), Column("Trạng thái", 22), Column("Tình trạng hạn", 16),
        Column("Số ngày làm việc quá hạn", 12, "number"),
        Column("Số ngày làm việc còn lại", 12, "number"), Column("Ngày kết thúc", 17, "instant"),
    ]
    return Sheet("Danh sách hồ sơ", [title, f"Bộ lọc: {filters}", as_of(now, calendar)],
                 columns)


def dossier_list_rows(rows: Iterable[Any], now: dt.datetime, calendar: WorkCalendar,
                      disclose: Disclosure) -> Iterator[list[Any]]:
    """One line per dossier row of LIST_FIELDS: class and working days judged at `now`."""
    zone = calendar.tz  # the database hands back aware instants; each is shown in local time
    personal = disclose.shows(Field.PHONE)
    today = calendar.local(now).date()
    days: dict[tuple[dt.date, bool], tuple[int | None, int | None]] = {}
    # A database row answers each attribute through a slow fallback, a named tuple at C speed.
    for d in map(ListLine._make, rows):
        late, left = working_days(d, now, today, calendar, days)
        finish, due = d.finish, d.due_at
        yield [
            d.code, d.unit_name, d.procedure_code, d.procedure_name, d.domain_name,
            disclose.name(d.applicant_name),
            *([d.applicant_phone] if personal else []), d.channel.label, d.handler,
            d.received_by, d.received_at.astimezone(zone), due and due.astimezone(zone),
            d.extension_due_at and d.extension_due_at.astimezone(zone), apology_word(d),
            d.status.label, badge(d, now)[1],
            late, left, finish and finish.astimezone(zone),
        ]


def apology_word(row: Any) -> str:
    """Whether the apology was recorded in time, in the words of the dossier page."""
    if row.extension_due_at is None:
        return ""
    return "Xin lỗi muộn" if row.extension_late else "Đúng thời hạn"


def working_days(row: Any, now: dt.datetime, today: dt.date, calendar: WorkCalendar,
                 known: dict[tuple[dt.date, bool], tuple[int | None, int | None]] | None = None,
                 ) -> tuple[int | None, int | None]:
    """Working days past the due date, or left before it, of a running dossier; else None.

    A dossier waiting for the applicant has its clock stopped, so neither is told. `known`
    keeps the answers per due day over one export, where many dossiers share a due day.
    """
    if not row.is_open or row.status.is_paused or row.due_at is None:
        return None, None
    key = (calendar.local(row.due_at).date(), is_overdue(row.due_at, now))
    if known is not None and key in known:
        return known[key]
    due_day, overdue = key
    if overdue:
        found = calendar.working_days_between(due_day, today), None
    else:
        found = None, calendar.working_days_between(today, due_day)
    if known is not None:
        known[key] = found
    return found


def alerts_sheet(now: dt.datetime, calendar: WorkCalendar) -> Sheet:
    """The alerts log export's layout: one line per alert and channel."""
    columns = [
        Column("Tạo lúc", 17, "instant"), Column("Mã hồ sơ", 30), Column("Đơn vị", 24),
        Column("Loại cảnh báo", 30), Column("Người nhận", 24), Column("Vai trò", 26),
        Column("Hạn của hồ sơ", 17, "instant"), Column("Kênh gửi", 10),
        Column("Tình trạng gửi", 16), Column("Số lần gửi", 8, "number"),
        Column("Gửi lúc", 17, "instant"), Column("Lỗi gần nhất hoặc lý do hủy", 40),
    ]
    return Sheet("Nhật ký cảnh báo", ["NHẬT KÝ CẢNH BÁO HỒ SƠ", "Bộ lọc: tất cả cảnh báo",
                                      as_of(now, calendar)], columns)


def alert_rows(lines: Iterable[Any], calendar: WorkCalendar) -> Iterator[list[Any]]:
    """One line per row of `alert_lines`."""
    local = calendar.local
    for a in lines:
        yield [
            local(a.created_at), a.code, a.unit_name, alert_label(a.kind, a.level),
            a.recipient_name, ROLE_LABELS.get(a.recipient_role, a.recipient_role),
            local(a.due_at), a.channel, a.state.label if a.state else "Chưa gửi", a.attempts,
            a.sent_at and local(a.sent_at),
            f"Đã hủy: {a.cancel_reason}" if a.cancel_reason else a.last_error,
        ]


def late_bodies_sheet(unit: str, period: str, now: dt.datetime, calendar: WorkCalendar) -> Sheet:
    """The late-by-body report's layout."""
    columns = [
        Column("Cơ quan giải quyết", 30), Column("Trễ hạn (đã giải quyết)", 14, "number"),
        Column("Quá hạn (đang giải quyết)", 14, "number"), Column("Tổng", 10, "number"),
        Column("Lý do ghi trên phiếu xin lỗi", 50), Column("Số hồ sơ theo lý do", 12, "number"),
    ]
    return Sheet("Trễ hạn theo cơ quan", [
        "HỒ SƠ TRỄ HẠN, QUÁ HẠN THEO CƠ QUAN XỬ LÝ", f"Bộ lọc: đơn vị {unit}; kỳ {period}",
        as_of(now, calendar)], columns)


def late_bodies_rows(bodies: Sequence[LateBody]) -> Iterator[list[Any]]:
    """A line per body and reason, the body's counts on each so the auto-filter keeps them."""
    for body in bodies:
        for reason, count in body.reasons or [("", None)]:
            yield [body.handler, body.finished_late, body.open_overdue, body.total, reason, count]
