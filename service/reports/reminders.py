"""Reporting due dates (the commune's reform plan) and which reminders are due today."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config.settings import ReportsSettings, Settings
from service.models import AuditLog
from service.reports.periods import parse_period

REMINDER_ACTION = "report_reminder"


@dataclass(frozen=True)
class DueReport:
    """A periodic report, the period it covers and the date it must be sent before."""

    kind: str
    label: str
    period_code: str
    due: dt.date

    @property
    def key(self) -> str:
        """A stable name for the reminder, e.g. 'form06 2026-Q3'."""
        return f"form06 {self.period_code}"


def due_reports(year: int, section: ReportsSettings) -> list[DueReport]:
    """The reports of a year: each quarter, the first half and the year, with their due dates.

    Quarterly and 6-month reports go before `quarter_due_day` of the quarter's last month, the
    annual one before `year_due_day` of December.
    """
    windows = section.windows
    day = section.quarter_due_day
    found = []
    for quarter in range(1, 5):
        code = f"{year}-Q{quarter}"
        found.append(DueReport("quarter", _label(code, windows), code,
                               dt.date(year, 3 * quarter, day)))
    found.append(DueReport("half", _label(f"{year}-H1", windows), f"{year}-H1",
                           dt.date(year, 6, day)))
    found.append(DueReport("year", _label(str(year), windows), str(year),
                           dt.date(year, 12, section.year_due_day)))
    return sorted(found, key=lambda r: (r.due, r.kind))


def _label(code: str, windows: str) -> str:
    period = parse_period(code, windows)  # type: ignore[arg-type]
    return f"Biểu 06 {period.label} ({period.dates})"


def upcoming(today: dt.date, section: ReportsSettings) -> list[DueReport]:
    """Reports due within `remind_days_before` days from today (due date not yet passed)."""
    ahead = dt.timedelta(days=section.remind_days_before)
    return [r for year in (today.year, today.year + 1) for r in due_reports(year, section)
            if today < r.due <= today + ahead]


@dataclass(frozen=True)
class Reminder:
    """One reminder to send: the report and its text in Vietnamese."""

    report: DueReport
    subject: str
    text: str


def pending(session: Session, settings: Settings, today: dt.date) -> list[Reminder]:
    """Reminders due today that were not sent before (the audit log remembers each once)."""
    section = settings.reports
    sent = set(session.scalars(select(AuditLog.target).where(
        AuditLog.action == REMINDER_ACTION)))
    link = settings.alerts.base_url
    units = " ".join(u.code for u in settings.units) or "CODE"
    found = []
    for report in upcoming(today, section):
        if report.key in sent:
            continue
        subject = f"Nhắc gửi báo cáo: {report.label} trước ngày {report.due:%d/%m/%Y}"
        text = (f"Theo kế hoạch, {report.label} phải gửi trước ngày {report.due:%d/%m/%Y}.\n"
                f"Số liệu đã sẵn sàng trên hệ thống: {link}/bao-cao/bieu-06?period="
                f"{report.period_code}&windows={section.windows}\n"
                f"Xuất Excel bằng lệnh: tthc-monitor report form06 --unit {units} "
                f"--period {report.period_code} --out bieu-06.xlsx")
        found.append(Reminder(report, subject, text))
    return found


def record(session: Session, reminder: Reminder, now: dt.datetime, delivered: int) -> None:
    """Remember that a reminder went out (or had nowhere to go), so it is sent once."""
    session.add(AuditLog(at=now, username="system", action=REMINDER_ACTION,
                         target=reminder.report.key, detail=f"delivered to {delivered}"))
    session.flush()
