"""What the dashboard shows: today's cards and the data of its three charts, counted in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session

from service.calendar import WorkCalendar
from service.dossiers.classes import class_condition
from service.dossiers.filters import EVERYTHING, Scope
from service.models import Dossier, Procedure
from service.reports.scope import PAUSED
from service.vocabulary import DeadlineClass, Outcome

CLASSES = (DeadlineClass.WITHIN, DeadlineClass.NEAR, DeadlineClass.OVERDUE,
           DeadlineClass.PAUSED)
NO_HANDLER = "Chưa ghi cơ quan giải quyết"


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


def apology_window(calendar: WorkCalendar, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Due instants whose apology letter is due today: those falling on the next working day.

    Decree 118 Art. 19.6: the apology and the new date go out no later than one day before the
    due date.
    """
    today = calendar.local(now).date()
    tomorrow = calendar.next_working_day(today)
    start = calendar.at(tomorrow, dt.time())
    return start, start + dt.timedelta(days=1)


@dataclass(frozen=True)
class OpenGroup:
    """Open dossiers of one procedure and handling body, by deadline class at one instant."""

    procedure_id: int
    handler: str | None
    counts: dict[DeadlineClass, int]
    apology_due: int


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def open_groups(session: Session, scope: Scope, now: dt.datetime,
                calendar: WorkCalendar) -> list[OpenGroup]:
    """Open dossiers counted by procedure and handling body: each class, and apology duty.

    Grouped in the order of the partial index of open dossiers with conditional sums, so the
    database streams the groups without sorting; the cards and both charts of open dossiers
    come from this one pass.
    """
    first, last = apology_window(calendar, now)
    running = Dossier.status.not_in(PAUSED)
    query = scope.apply(select(
        Dossier.procedure_id, Dossier.handler, func.count(),
        _count(class_condition(DeadlineClass.PAUSED, now)),
        _count(class_condition(DeadlineClass.OVERDUE, now)),
        _count(class_condition(DeadlineClass.NEAR, now)),
        _count(and_(running, Dossier.extension_due_at.is_(None), Dossier.due_at >= first,
                    Dossier.due_at < last)),
    ).where(Dossier.is_open == true()).group_by(Dossier.procedure_id, Dossier.handler))
    groups = []
    for pid, handler, total, paused, overdue, near, apology in session.execute(query):
        counts = {DeadlineClass.PAUSED: int(paused), DeadlineClass.OVERDUE: int(overdue),
                  DeadlineClass.NEAR: int(near)}
        counts[DeadlineClass.WITHIN] = int(total) - sum(counts.values())
        groups.append(OpenGroup(pid, handler, counts, int(apology)))
    return groups


def cards(groups: list[OpenGroup]) -> Cards:
    """Open, near, overdue and apology-due-today counts."""
    return Cards(sum(sum(g.counts.values()) for g in groups),
                 sum(g.counts[DeadlineClass.NEAR] for g in groups),
                 sum(g.counts[DeadlineClass.OVERDUE] for g in groups),
                 sum(g.apology_due for g in groups))


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


def open_by_domain(session: Session,
                   groups: list[OpenGroup]) -> dict[str, dict[DeadlineClass, int]]:
    """Open dossiers per lĩnh vực and deadline class, the largest lĩnh vực first."""
    names = dict(session.execute(select(Procedure.id, Procedure.domain_name).where(
        Procedure.id.in_({g.procedure_id for g in groups}))).all())
    result: dict[str, dict[DeadlineClass, int]] = {}
    for group in groups:
        line = result.setdefault(names.get(group.procedure_id, "?"), dict.fromkeys(CLASSES, 0))
        for kind, count in group.counts.items():
            line[kind] += count
    return dict(sorted(result.items(), key=lambda item: -sum(item[1].values())))


def overdue_by_handler(groups: list[OpenGroup], top: int = 10) -> list[tuple[str, int]]:
    """Handling bodies with the most open overdue dossiers."""
    counts: dict[str, int] = {}
    for group in groups:
        name = group.handler or NO_HANDLER
        counts[name] = counts.get(name, 0) + group.counts[DeadlineClass.OVERDUE]
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [item for item in ranked if item[1]][:top]


def dashboard(session: Session, now: dt.datetime, calendar: WorkCalendar,
              scope: Scope = EVERYTHING,
              known: Mapping[dt.date, MonthRate] | None = None) -> Dashboard:
    """Everything the dashboard shows for a scope at `now` (see on_time_by_month for known)."""
    groups = open_groups(session, scope, now, calendar)
    return Dashboard(cards=cards(groups),
                     months=on_time_by_month(session, scope, now, calendar, known),
                     open_by_domain=open_by_domain(session, groups),
                     overdue_by_handler=overdue_by_handler(groups))
