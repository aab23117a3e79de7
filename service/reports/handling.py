"""Handling time per procedure (median, 90th percentile) and late dossiers by handling body."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, extract, func, literal_column, or_, select
from sqlalchemy.orm import Session

from service.dossiers.classes import finished_late_sql, overdue_sql
from service.models import Dossier, Procedure
from service.reports.periods import Period
from service.reports.scope import NEVER_RECEIVED, PAUSED, finish_column, unit_tree

NO_HANDLER = "Chưa ghi cơ quan giải quyết"
NO_REASON = "Chưa ghi lý do (chưa có phiếu xin lỗi)"


@dataclass(frozen=True)
class HandlingTime:
    """Elapsed time from receipt to finish for one procedure's dossiers finished in a period."""

    code: str
    name: str
    limit: str
    finished: int
    median: dt.timedelta
    p90: dt.timedelta


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


def _seconds(session: Session, start: Any, end: Any) -> Any:
    """Elapsed seconds between two instant columns (SQLite: floating days, rounded later)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400
    return extract("epoch", end - start)


def handling_times(session: Session, unit_code: str, period: Period,
                   timezone: str) -> list[HandlingTime]:
    """Nearest-rank median and 90th percentile per procedure, ranked by window functions."""
    _, unit_ids = unit_tree(session, unit_code)
    start, end = period.bounds(timezone)
    finish = finish_column()
    seconds = _seconds(session, Dossier.received_at, finish)
    ranked = select(
        Dossier.procedure_id, seconds.label("s"),
        func.row_number().over(partition_by=Dossier.procedure_id, order_by=seconds).label("k"),
        func.count().over(partition_by=Dossier.procedure_id).label("n"),
    ).where(Dossier.unit_id.in_(unit_ids), finish >= start, finish < end,
            Dossier.status.not_in(NEVER_RECEIVED)).subquery()
    picks = select(ranked.c.procedure_id, ranked.c.n, ranked.c.k, ranked.c.s).where(or_(
        *(and_(ranked.c.k * 100 >= pct * ranked.c.n, (ranked.c.k - 1) * 100 < pct * ranked.c.n)
          for pct in (50, 90))))
    found: dict[int, dict[str, Any]] = {}
    for procedure_id, n, k, s in session.execute(picks):
        entry = found.setdefault(procedure_id, {"n": n})
        for pct, key in ((50, "median"), (90, "p90")):
            if k * 100 >= pct * n and (k - 1) * 100 < pct * n:
                entry[key] = s
    procedures = {p.id: p for p in session.scalars(select(Procedure).where(
        Procedure.id.in_(found)))}
    result = [HandlingTime(p.code, p.name, p.limit_unit.amount(p.limit_value), e["n"],
                           dt.timedelta(seconds=round(float(e["median"]))),
                           dt.timedelta(seconds=round(float(e["p90"]))))
              for pid, e in found.items() if (p := procedures.get(pid))]
    return sorted(result, key=lambda h: (-h.finished, h.code))


def late_by_body(session: Session, unit_code: str, period: Period, timezone: str,
                 now: dt.datetime) -> list[LateBody]:
    """Dossiers finished late in the period or open and overdue at its end, by handling body."""
    _, unit_ids = unit_tree(session, unit_code)
    start, end = period.bounds(timezone)
    at = min(now, end)
    finish = finish_column()
    finished_late = and_(finish >= start, finish < end,
                         finished_late_sql(Dossier.outcome, finish, Dossier.due_at))
    open_overdue = and_(or_(finish.is_(None), finish >= at), Dossier.status.not_in(PAUSED),
                        overdue_sql(Dossier.due_at, at), Dossier.received_at < end)
    kind = case((finished_late, literal_column("1")), else_=literal_column("2"))
    inner = select(Dossier.handler, Dossier.extension_reason, kind.label("kind")).where(
        Dossier.unit_id.in_(unit_ids), Dossier.status.not_in(NEVER_RECEIVED),
        or_(finished_late, open_overdue)).subquery()
    rows = session.execute(select(inner.c.handler, inner.c.extension_reason, inner.c.kind,
                                  func.count()).group_by(inner.c.handler,
                                                         inner.c.extension_reason,
                                                         inner.c.kind)).all()
    bodies: dict[str, LateBody] = {}
    reasons: dict[str, dict[str, int]] = {}
    for handler, reason, kind_code, count in rows:
        name = handler or NO_HANDLER
        body = bodies.setdefault(name, LateBody(name))
        if int(kind_code) == 1:
            body.finished_late += count
        else:
            body.open_overdue += count
        text = (reason or "").strip() or NO_REASON
        reasons.setdefault(name, {}).setdefault(text, 0)
        reasons[name][text] += count
    for name, body in bodies.items():
        body.reasons = sorted(reasons[name].items(), key=lambda item: -item[1])
    return sorted(bodies.values(), key=lambda b: (-b.total, b.handler))
