"""Handling time per procedure (median, p90) in working and calendar time; late dossiers by body.

Handling time is receipt to finish (rules §5), stored per dossier in whole minutes of office
time of the working calendar and of calendar time when the dossier is written; the report
only counts and ranks them in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from service.dossiers.classes import finished_late_sql, overdue_sql
from service.dossiers.dues import reported_due_sql
from service.models import Dossier, Procedure
from service.reports.asof import as_of_label, judged_at, paused_at_sql
from service.reports.periods import Period
from service.reports.scope import NEVER_RECEIVED, finish_column, unit_tree

NO_HANDLER = "Chưa ghi cơ quan giải quyết"
NO_REASON = "Chưa ghi lý do (chưa có phiếu xin lỗi)"
PERCENTS = (50, 90)


@dataclass(frozen=True)
class HandlingTime:
    """Receipt to finish for one procedure's dossiers finished in a period.

    `median`/`p90` count office hours of working days only; `median_elapsed`/`p90_elapsed`
    are the calendar time beside them (nights, weekends and holidays included).
    """

    code: str
    name: str
    limit: str
    finished: int
    median: dt.timedelta
    p90: dt.timedelta
    median_elapsed: dt.timedelta
    p90_elapsed: dt.timedelta


@dataclass
class LateBody:
    """A handling body's late dossiers in a period and the reasons its apology letters gave."""

    handler: str
    finished_late: int = 0
    open_overdue: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Late dossiers of both kinds."""
        return self.finished_late + self.open_overdue


@dataclass(frozen=True)
class HandlingReport:
    """Both tables of the handling-time page, judged at one instant."""

    times: list[HandlingTime]
    bodies: list[LateBody]
    as_of: dt.datetime
    timezone: str

    @property
    def as_of_text(self) -> str:
        """'Số liệu tính đến HH:MM ngày dd/mm/yyyy'."""
        return as_of_label(self.as_of, self.timezone)


def _percentiles(session: Session, minutes: Any, where: list[Any]
                 ) -> dict[int, dict[int, Any]]:
    """Nearest-rank percentiles of a minutes column per procedure: {id: {0: n, 50: m, 90: m}}.

    Grouped by (procedure, minutes) in the order of the column's covering index (SQLite
    sorts whatever it groups otherwise: 4-6 s for a year at 1 000 000 dossiers), then a
    running count over the groups picks, for each percent p, the first value whose running
    count reaches p % of n (rank ceil(p·n/100)).
    """
    groups = (select(Dossier.procedure_id, minutes.label("m"), func.count().label("c"))
              .where(minutes.is_not(None), *where)
              .group_by(Dossier.procedure_id, minutes).subquery())
    running = func.sum(groups.c.c).over(partition_by=groups.c.procedure_id,
                                        order_by=groups.c.m, rows=(None, 0))
    total = func.sum(groups.c.c).over(partition_by=groups.c.procedure_id)
    ranked = select(groups.c.procedure_id, groups.c.m, groups.c.c, running.label("cum"),
                    total.label("n")).subquery()
    r = ranked.c
    crossing = [and_(r.cum * 100 >= pct * r.n, (r.cum - r.c) * 100 < pct * r.n)
                for pct in PERCENTS]
    found: dict[int, dict[int, Any]] = {}
    for procedure_id, value, count, cum, n in session.execute(select(r).where(or_(*crossing))):
        entry = found.setdefault(procedure_id, {0: int(n)})
        for pct in PERCENTS:
            if cum * 100 >= pct * n and (cum - count) * 100 < pct * n:
                entry[pct] = int(value)
    return found


def _percentiles_postgresql(session: Session, where: list[Any]
                            ) -> tuple[dict[int, dict[int, Any]], dict[int, dict[int, Any]]]:
    """The same nearest-rank percentiles by PostgreSQL's percentile_disc, in one pass.

    percentile_disc(p) is the first value whose cumulative share reaches p, which is rank
    ceil(p·n): the rule `_percentiles` counts out on SQLite, which has no such aggregate.
    """
    columns = (Dossier.handling_working_min, Dossier.handling_elapsed_min)
    picks = [func.percentile_disc(pct / 100).within_group(column)
             for column in columns for pct in PERCENTS]
    rows = session.execute(select(Dossier.procedure_id, func.count(), *picks)
                           .where(Dossier.handling_working_min.is_not(None), *where)
                           .group_by(Dossier.procedure_id))
    working: dict[int, dict[int, Any]] = {}
    elapsed: dict[int, dict[int, Any]] = {}
    for procedure_id, n, w50, w90, e50, e90 in rows:
        working[procedure_id] = {0: int(n), 50: int(w50), 90: int(w90)}
        elapsed[procedure_id] = {0: int(n), 50: int(e50), 90: int(e90)}
    return working, elapsed


def handling_times(session: Session, unit_code: str, period: Period, timezone: str,
                   at: dt.datetime) -> list[HandlingTime]:
    """Median and p90 per procedure of the dossiers finished in [period start, at)."""
    _, unit_ids = unit_tree(session, unit_code)
    start, _ = period.bounds(timezone)
    finish = func.coalesce(Dossier.finished_at, Dossier.returned_at, Dossier.stopped_at)
    where = [Dossier.unit_id.in_(unit_ids), finish >= start, finish < at,
             Dossier.status.not_in(NEVER_RECEIVED)]
    if session.get_bind().dialect.name == "postgresql":
        working, elapsed = _percentiles_postgresql(session, where)
    else:
        working = _percentiles(session, Dossier.handling_working_min, where)
        elapsed = _percentiles(session, Dossier.handling_elapsed_min, where)
    procedures = {p.id: p for p in session.scalars(select(Procedure).where(
        Procedure.id.in_(working)))}
    minutes = dt.timedelta(minutes=1)
    result = [HandlingTime(p.code, p.name, p.limit_unit.describe(p.limit_value), w[0],
                           w[50] * minutes, w[90] * minutes, elapsed[pid][50] * minutes,
                           elapsed[pid][90] * minutes)
              for pid, w in working.items() if (p := procedures.get(pid))]
    return sorted(result, key=lambda h: (-h.finished, h.code))


def _late_kind(start: dt.datetime, at: dt.datetime, due: Any = Dossier.due_at,
               apologised: bool | None = None) -> tuple[Any, Any]:
    """SQL: (late at all, which kind: 1 finished late in [start, at), 2 open and overdue by
    `due`). `apologised` keeps only dossiers with (True) or without (False) an apology."""
    finish = finish_column()
    finished_late = and_(finish >= start, finish < at,
                         finished_late_sql(Dossier.outcome, finish, Dossier.due_at))
    open_overdue = and_(or_(finish.is_(None), finish >= at), Dossier.received_at < at,
                        overdue_sql(due, at), ~paused_at_sql(at))
    late = or_(finished_late, open_overdue)
    if apologised is not None:
        # Every apology gives a reason (service.dossiers.extension), so the covering index's
        # reason column tells the dossiers with one without reading the table.
        has = Dossier.extension_reason.is_not(None)
        late = and_(late, has if apologised else ~has)
    kind = case((finished_late, literal_column("1")), else_=literal_column("2"))
    return late, kind


def late_by_body(session: Session, unit_code: str, period: Period, timezone: str,
                 at: dt.datetime, *, extension_counts_late: bool = True,
                 report_due: str = "source") -> list[LateBody]:
    """Dossiers finished late in [start, at) or open and overdue at `at`, by handling body.

    Overdue as Biểu 06 judges it at the same instant: by the reporting due date, which for a
    dossier with an apology in time is its original date while the extension still counts late
    (`extension_counts_late`), and its watched `due_at` otherwise. Counted by (body, kind,
    apology reason) over a subquery that works out each dossier's kind once, in one pass over
    the unit's covering index (ix_dossier_unit_finished_cover); the few dossiers with an
    apology, whose reporting date the index does not hold, are counted in a second pass.
    """
    _, unit_ids = unit_tree(session, unit_code)
    start, _ = period.bounds(timezone)
    scope = (Dossier.unit_id.in_(unit_ids), Dossier.status.not_in(NEVER_RECEIVED))
    if extension_counts_late:
        passes = [_late_kind(start, at, apologised=False),
                  _late_kind(start, at, reported_due_sql(True, report_due), apologised=True)]
    else:
        passes = [_late_kind(start, at)]
    counts = [row for late, kind in passes for row in _late_counts(session, scope, late, kind)]
    bodies: dict[str, LateBody] = {}
    for handler, kind_code, _, count in counts:
        body = bodies.setdefault(handler or NO_HANDLER, LateBody(handler or NO_HANDLER))
        if int(kind_code) == 1:
            body.finished_late += count
        else:
            body.open_overdue += count
    given = _reasons(counts)
    for name, body in bodies.items():
        found = dict(given.get(name, {}))
        without = body.total - sum(found.values())
        if without:
            found[NO_REASON] = found.get(NO_REASON, 0) + without
        body.reasons = sorted(found.items(), key=lambda item: -item[1])
    return sorted(bodies.values(), key=lambda b: (-b.total, b.handler))


def _late_counts(session: Session, scope: Sequence[Any], late: Any, kind: Any) -> list[Any]:
    """(body, kind, apology reason, dossiers) of the late dossiers in scope."""
    # LIMIT -1 keeps SQLite from merging the subquery into the GROUP BY, which would work
    # out `kind` again while sorting.
    rows = select(Dossier.handler.label("h"), kind.label("k"),
                  Dossier.extension_reason.label("r")).where(*scope, late)
    if session.get_bind().dialect.name == "sqlite":
        rows = rows.limit(-1)
    inner = rows.subquery()
    return list(session.execute(select(inner.c.h, inner.c.k, inner.c.r, func.count())
                                .group_by(inner.c.h, inner.c.k, inner.c.r)).all())


def _reasons(counts: list[Any]) -> dict[str, dict[str, int]]:
    """{handling body: {reason: late dossiers}} from the apology letters of late dossiers.

    `counts` are (body, kind, reason, dossiers) rows; taken in (body, reason) order, so
    reasons with equal counts keep one order on every database.
    """
    given: dict[str, dict[str, int]] = {}
    found: dict[tuple[str | None, str], int] = {}
    for handler, _, reason, count in counts:
        if reason is not None:
            found[handler, reason] = found.get((handler, reason), 0) + count
    for (handler, reason), count in sorted(found.items(), key=lambda item: (
            item[0][0] is not None, item[0][0] or "", item[0][1])):
        text = reason.strip() or NO_REASON
        mine = given.setdefault(handler or NO_HANDLER, {})
        mine[text] = mine.get(text, 0) + count
    return given


def handling_report(session: Session, unit_code: str, period: Period, timezone: str,
                    now: dt.datetime, *, as_of: dt.datetime | None = None,
                    extension_counts_late: bool = True,
                    report_due: str = "source") -> HandlingReport:
    """Handling times and late dossiers by body, both as of `judged_at`."""
    at = judged_at(period, timezone, now, as_of)
    bodies = late_by_body(session, unit_code, period, timezone, at,
                          extension_counts_late=extension_counts_late, report_due=report_due)
    return HandlingReport(handling_times(session, unit_code, period, timezone, at), bodies, at,
                          timezone)
