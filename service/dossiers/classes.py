"""The one deadline classifier of stored dossiers: its Python form and its SQL form side by side.

Every consumer (the scan, the list badge and filters, the dashboard, the citizen lookup, the
reports and the metrics) asks this module, so a dossier is in the same class on every surface.

The boundary: a dossier is due *by* its due instant (Decree 118/2025/NĐ-CP counts the limit to
the close of the last working day), so one finished at that instant is on time and one still
open at that instant is not yet late. Overdue means strictly after the due instant. "Near"
begins at the dossier's own near instant, inclusive. A dossier waiting for the applicant
(supplement or payment) is paused: never near or overdue while it waits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, true

from service.models import Dossier
from service.vocabulary import DeadlineClass, Outcome, Status

PAUSED_STATUSES = tuple(status for status in Status if status.is_paused)


# --- Python form -------------------------------------------------------------------------

def is_overdue(due_at: dt.datetime | None, at: dt.datetime) -> bool:
    """Whether `at` is strictly after the due instant (no due date: never overdue)."""
    return due_at is not None and at > due_at


def is_near(near_at: dt.datetime | None, at: dt.datetime) -> bool:
    """Whether the dossier's near instant has come by `at`."""
    return near_at is not None and at >= near_at


def open_class(status: Status, due_at: dt.datetime | None, near_at: dt.datetime | None,
               at: dt.datetime) -> DeadlineClass:
    """The class of an open dossier at `at`: paused, overdue, near or within."""
    if status.is_paused:
        return DeadlineClass.PAUSED
    if is_overdue(due_at, at):
        return DeadlineClass.OVERDUE
    if is_near(near_at, at):
        return DeadlineClass.NEAR
    return DeadlineClass.WITHIN


def deadline_class(status: Status, is_open: bool, due_at: dt.datetime | None,
                   near_at: dt.datetime | None, at: dt.datetime) -> DeadlineClass | None:
    """The class of a dossier at `at`; None once it is no longer open."""
    return open_class(status, due_at, near_at, at) if is_open else None


def finished_late(outcome: Outcome | None, finished_at: dt.datetime | None,
                  due_at: dt.datetime | None) -> bool:
    """Whether a finished dossier counts as late: its stored verdict, else finished after due."""
    if outcome is not None:
        return outcome is Outcome.LATE
    return finished_at is not None and is_overdue(due_at, finished_at)


def is_late(row: Any, at: dt.datetime) -> bool:
    """Whether a dossier is late at `at`: finished late, or open and overdue."""
    if row.status.is_open:
        return not row.status.is_paused and is_overdue(row.due_at, at)
    return finished_late(row.outcome, row.finished_at or row.returned_at, row.due_at)


def badge(row: Any, at: dt.datetime) -> tuple[str, str]:
    """A (css class, Vietnamese label) for where a dossier stands at `at`."""
    if not row.is_open:
        outcome = row.outcome
        return (outcome.value, outcome.label) if outcome else ("done", row.status.label)
    kind = open_class(row.status, row.due_at, row.near_at, at)
    return kind.value, kind.label


# --- SQL form ------------------------------------------------------------------------------

def overdue_sql(due: Any, at: Any) -> ColumnElement[bool]:
    """SQL for `is_overdue`: the due instant lies strictly before `at`."""
    return and_(due.is_not(None), due < at)


def finished_late_sql(outcome: Any, finish: Any, due: Any) -> ColumnElement[bool]:
    """SQL for `finished_late`: the stored verdict is late, or none and finished after due."""
    return or_(outcome == Outcome.LATE, and_(outcome.is_(None), overdue_sql(due, finish)))


def running_sql() -> ColumnElement[bool]:
    """SQL for "open and not waiting for the applicant"."""
    return and_(Dossier.is_open == true(), Dossier.status.not_in(PAUSED_STATUSES))


def class_condition(kind: DeadlineClass, at: dt.datetime) -> ColumnElement[bool]:
    """SQL for "open and in this class at `at`", exactly as `open_class` decides."""
    if kind is DeadlineClass.PAUSED:
        return and_(Dossier.is_open == true(), Dossier.status.in_(PAUSED_STATUSES))
    not_overdue = or_(Dossier.due_at.is_(None), Dossier.due_at >= at)
    if kind is DeadlineClass.OVERDUE:
        return and_(running_sql(), overdue_sql(Dossier.due_at, at))
    near = and_(Dossier.near_at.is_not(None), Dossier.near_at <= at)
    if kind is DeadlineClass.NEAR:
        return and_(running_sql(), not_overdue, near)
    return and_(running_sql(), not_overdue, or_(Dossier.near_at.is_(None), Dossier.near_at > at))


def class_case(at: dt.datetime) -> ColumnElement[Any]:
    """SQL CASE giving an open dossier's class code at `at` (NULL when not open)."""
    return case(
        (Dossier.is_open != true(), None),
        (Dossier.status.in_(PAUSED_STATUSES), DeadlineClass.PAUSED.value),
        (overdue_sql(Dossier.due_at, at), DeadlineClass.OVERDUE.value),
        (and_(Dossier.near_at.is_not(None), Dossier.near_at <= at), DeadlineClass.NEAR.value),
        else_=DeadlineClass.WITHIN.value)


def class_counts(at: dt.datetime) -> list[ColumnElement[Any]]:
    """Conditional counts of open dossiers per class at `at`, in DeadlineClass order."""
    return [func.coalesce(func.sum(case((class_condition(kind, at), 1), else_=0)), 0)
            .label(kind.value) for kind in DeadlineClass]


def turned_overdue_sql(due: Any, previous: dt.datetime, now: dt.datetime
                       ) -> ColumnElement[bool]:
    """SQL for dossiers overdue at `now` that were not at `previous`: due in [previous, now)."""
    return and_(due >= previous, due < now)


def turned_near_sql(near: Any, previous: dt.datetime, now: dt.datetime) -> ColumnElement[bool]:
    """SQL for dossiers near at `now` that were not at `previous`: near in (previous, now]."""
    return and_(near > previous, near <= now)
