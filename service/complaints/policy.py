"""The time limit of a complaint on the working calendar, and where a complaint stands."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, true

from service.calendar import WorkCalendar
from service.config.settings import ComplaintsSettings
from service.deadlines import due_at
from service.dossiers.classes import is_near, is_overdue, overdue_sql
from service.models import Complaint
from service.vocabulary import DeadlineClass, LimitUnit


@dataclass(frozen=True)
class ComplaintPolicy:
    """The [complaints] limit in working days and the near window, on the office's calendar."""

    calendar: WorkCalendar
    limit_days: int
    near_days: int

    @classmethod
    def from_settings(cls, section: ComplaintsSettings, calendar: WorkCalendar
                      ) -> ComplaintPolicy:
        """Build the policy from the [complaints] settings."""
        return cls(calendar, section.limit_working_days, section.near_working_days)

    def due_at(self, submitted: dt.datetime) -> dt.datetime:
        """The close of office hours of the limit's last working day.

        Counted like a dossier's limit (Decree 118/2025/NĐ-CP): the day the complaint arrives
        does not count, and days off (Tết, the 2/9 block) are skipped.
        """
        return due_at(self.calendar, submitted, self.limit_days, LimitUnit.WORKING_DAYS)

    def near_at(self, submitted: dt.datetime) -> dt.datetime:
        """The instant only `near_days` working days remain: the close of the day before them."""
        remaining = self.limit_days - self.near_days
        if remaining < 1:
            return submitted
        return due_at(self.calendar, submitted, remaining, LimitUnit.WORKING_DAYS)


def complaint_class(is_open: bool, due: dt.datetime, near: dt.datetime, at: dt.datetime
                    ) -> DeadlineClass | None:
    """Where a complaint stands at `at`, by the same boundary rules as a dossier's class."""
    if not is_open:
        return None
    if is_overdue(due, at):
        return DeadlineClass.OVERDUE
    if is_near(near, at):
        return DeadlineClass.NEAR
    return DeadlineClass.WITHIN


def class_condition(kind: DeadlineClass, at: dt.datetime) -> ColumnElement[bool]:
    """SQL for "open and in this class at `at`", exactly as `complaint_class` decides."""
    running = Complaint.is_open == true()
    if kind is DeadlineClass.PAUSED:
        return false()  # nothing pauses a complaint's clock
    if kind is DeadlineClass.OVERDUE:
        return and_(running, overdue_sql(Complaint.due_at, at))
    not_overdue = Complaint.due_at >= at
    if kind is DeadlineClass.NEAR:
        return and_(running, not_overdue, Complaint.near_at <= at)
    return and_(running, not_overdue, Complaint.near_at > at)
