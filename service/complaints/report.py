"""Complaints by handling body for a period: received, handled on time or late, still open.

Complaints sent in the period are judged at the instant every report is judged at (now, the
period's end, or an instant chosen for an audit), as the Decision 766 self-assessment judges
dossiers: handled means answered (or closed without an answer) by then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from service.models import Complaint
from service.reports.asof import as_of_label, judged_at
from service.reports.periods import Period
from service.reports.scope import unit_tree

NO_HANDLER = "Chưa chuyển cơ quan giải quyết"
COUNTS = ("received", "on_time", "late", "open_within", "open_overdue")


@dataclass
class BodyCounts:
    """One handling body's complaints of the period."""

    handler: str
    received: int = 0
    on_time: int = 0
    late: int = 0
    open_within: int = 0
    open_overdue: int = 0

    @property
    def handled(self) -> int:
        """Answered or closed by the judging instant."""
        return self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        """Handled in time among those whose outcome is known (handled, or open past due)."""
        decided = self.handled + self.open_overdue
        return self.on_time / decided if decided else None


@dataclass
class ComplaintReport:
    """Counts per handling body, their total, and what the report covers."""

    unit_name: str
    period: Period
    judged_at: dt.datetime
    limit_days: int
    rows: list[BodyCounts] = field(default_factory=list)
    total: BodyCounts = field(default_factory=lambda: BodyCounts("Tổng cộng"))
    timezone: str = "Asia/Ho_Chi_Minh"

    @property
    def as_of_text(self) -> str:
        """'Số liệu tính đến HH:MM ngày dd/mm/yyyy', as every report says it."""
        return as_of_label(self.judged_at, self.timezone)


def _sum(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def complaint_report(session: Session, unit_code: str, period: Period, timezone: str,
                     now: dt.datetime, limit_days: int,
                     as_of: dt.datetime | None = None) -> ComplaintReport:
    """Count the unit's (and its sub-units') complaints of the period, grouped in SQL, as of
    the instant every report is judged at (`judged_at`: now, the period's end, or `as_of`);
    complaints sent after it do not count yet."""
    unit, unit_ids = unit_tree(session, unit_code)
    start, _ = period.bounds(timezone)
    judged = judged_at(period, timezone, now, as_of)
    at = literal(judged, Complaint.submitted_at.type)
    handled_at = func.coalesce(Complaint.answered_at, Complaint.closed_at)
    handled = and_(handled_at.is_not(None), handled_at <= at)
    body = func.coalesce(Complaint.handler, literal(NO_HANDLER))
    query = (select(body.label("handler"), func.count().label("received"),
                    _sum(and_(handled, handled_at <= Complaint.due_at)).label("on_time"),
                    _sum(and_(handled, handled_at > Complaint.due_at)).label("late"),
                    _sum(and_(~handled, Complaint.due_at >= at)).label("open_within"),
                    _sum(and_(~handled, Complaint.due_at < at)).label("open_overdue"))
             .where(Complaint.unit_id.in_(unit_ids), Complaint.submitted_at >= start,
                    Complaint.submitted_at < at)
             .group_by(body).order_by(body))
    report = ComplaintReport(unit.name, period, judged, limit_days, timezone=timezone)
    for row in session.execute(query):
        counts = BodyCounts(row.handler, *(int(getattr(row, name)) for name in COUNTS))
        report.rows.append(counts)
        for name in COUNTS:
            setattr(report.total, name, getattr(report.total, name) + getattr(counts, name))
    return report
