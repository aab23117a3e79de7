"""What the dashboard shows: today's cards and the data of its three charts, counted in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session

from service.calendar import WorkCalendar
from service.filters import EVERYTHING, Scope, class_condition
from service.models import Dossier, Procedure
from service.reports.scope import PAUSED
from service.status import DeadlineClass, Outcome

CLASSES = (DeadlineClass.WITHIN, DeadlineClass.NEAR, DeadlineClass.OVERDUE,
           DeadlineClass.PAUSED)
NO_HANDLER = "Chưa ghi cơ quan xử lý"


@dataclass
class Cards:
    """The counts at the top of the dashboard."""

    open: int
    near: int
    overdue: int
    apology_due_today: int
    sync_failures: int | None = None


@dataclass
class MonthRate:
    """Dossiers finished in one month and the share finished early or on time."""

    month: dt.date
    finished: int
    on_time: int

    @property
    def rate(self) -> float | None:
        """On-time share in percent, None when nothing finished."""
        return None if not self.finished else 100.0 * self.on_time / self.finished


@dataclass
class Dashboard:
    """Cards and chart data for one scope at one instant."""

    cards: Cards
    months: list[MonthRate]
    open_by_domain: dict[str, dict[DeadlineClass, int]]
    overdue_by_handler: list[tuple[str, int]]
    extras: dict[str, Any] = field(default_factory=dict)


def _class_case(now: dt.datetime) -> Any:
    return case(*((class_condition(kind, now), kind.value) for kind in
                  (DeadlineClass.PAUSED, DeadlineClass.OVERDUE, DeadlineClass.NEAR)),
                else_=DeadlineClass.WITHIN.value)


def apology_window(calendar: WorkCalendar, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Due instants whose apology letter is due today: those falling on the next working day.

    Decree 118 Art. 19.6: the apology and the new date go out no later than one day before the
    due date.
    """
    today = calendar.local(now).date()
    tomorrow = calendar.next_working_day(today)
    start = calendar.at(tomorrow, dt.time())
    return start, start + dt.timedelta(days=1)


def cards(session: Session, scope: Scope, now: dt.datetime, calendar: WorkCalendar) -> Cards:
    """Open, near, overdue and apology-due-today counts at `now`."""
    first, last = apology_window(calendar, now)
    apology = and_(Dossier.status.not_in(PAUSED), Dossier.extension_due_at.is_(None),
                   Dossier.due_at >= first, Dossier.due_at < last)
    query = scope.apply(select(
        func.count(),
        func.sum(case((class_condition(DeadlineClass.NEAR, now), 1), else_=0)),
        func.sum(case((class_condition(DeadlineClass.OVERDUE, now), 1), else_=0)),
        func.sum(case((apology, 1), else_=0)),
    ).where(Dossier.is_open == true()))
    total, near, overdue, apology_count = session.execute(query).one()
    return Cards(int(total or 0), int(near or 0), int(overdue or 0), int(apology_count or 0))


def month_starts(calendar: WorkCalendar, now: dt.datetime, count: int = 12) -> list[dt.date]:
    """The first days of the last `count` months, the current one last."""
    today = calendar.local(now).date()
    index = today.year * 12 + today.month - 1
    return [dt.date((index - k) // 12, (index - k) % 12 + 1, 1) for k in range(count - 1, -1, -1)]


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_rate(session: Session, scope: Scope, first: dt.date,
               calendar: WorkCalendar) -> MonthRate:
    """Dossiers finished in the month beginning `first`, and those finished early or on time.

    One range count on the (finished_at, outcome, ...) index: no sort, no table lookups.
    """
    start, end = calendar.at(first, dt.time()), calendar.at(_next_month(first), dt.time())
    good = case((Dossier.outcome.in_((Outcome.EARLY, Outcome.ON_TIME)), 1), else_=0)
    total, on_time = session.execute(scope.apply(select(func.count(), func.sum(good)).where(
        Dossier.finished_at >= start, Dossier.finished_at < end))).one()
    return MonthRate(first, int(total or 0), int(on_time or 0))


def on_time_by_month(session: Session, scope: Scope, now: dt.datetime, calendar: WorkCalendar,
                     known: Mapping[dt.date, MonthRate] | None = None) -> list[MonthRate]:
    """For each of the last 12 months: dossiers finished and those early or on time.

    `known` holds months already counted (a caller's cache of closed months); the others,
    and always the current month, are counted now.
    """
    starts = month_starts(calendar, now)
    known = known or {}
    return [known[day] if day in known and day != starts[-1]
            else month_rate(session, scope, day, calendar) for day in starts]


def open_by_domain(session: Session, scope: Scope,
                   now: dt.datetime) -> dict[str, dict[DeadlineClass, int]]:
    """Open dossiers per lĩnh vực and deadline class at `now`."""
    inner = scope.apply(select(Dossier.procedure_id, _class_case(now).label("kind"))
                        .where(Dossier.is_open == true())).subquery()
    rows = session.execute(select(inner.c.procedure_id, inner.c.kind, func.count())
                           .group_by(inner.c.procedure_id, inner.c.kind)).all()
    names = dict(session.execute(select(Procedure.id, Procedure.domain_name).where(
        Procedure.id.in_({r[0] for r in rows}))).all())
    result: dict[str, dict[DeadlineClass, int]] = {}
    for procedure_id, kind, count in rows:
        line = result.setdefault(names.get(procedure_id, "?"), dict.fromkeys(CLASSES, 0))
        line[DeadlineClass(kind)] += count
    return dict(sorted(result.items(), key=lambda item: -sum(item[1].values())))


def overdue_by_handler(session: Session, scope: Scope, now: dt.datetime,
                       top: int = 10) -> list[tuple[str, int]]:
    """Handling bodies with the most open overdue dossiers at `now`."""
    count = func.count().label("n")
    rows = session.execute(scope.apply(
        select(Dossier.handler, count).where(class_condition(DeadlineClass.OVERDUE, now))
        .group_by(Dossier.handler).order_by(count.desc()).limit(top))).all()
    return [(handler or NO_HANDLER, int(n)) for handler, n in rows]


def dashboard(session: Session, now: dt.datetime, calendar: WorkCalendar,
              scope: Scope = EVERYTHING,
              known: Mapping[dt.date, MonthRate] | None = None) -> Dashboard:
    """Everything the dashboard shows for a scope at `now` (see on_time_by_month for known)."""
    return Dashboard(cards=cards(session, scope, now, calendar),
                     months=on_time_by_month(session, scope, now, calendar, known),
                     open_by_domain=open_by_domain(session, scope, now),
                     overdue_by_handler=overdue_by_handler(session, scope, now))
