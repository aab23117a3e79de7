"""The Decision 766/QĐ-TTg self-assessment: the points the portal will give, from our own data.

Only the indicators the monitor can compute (see `indicators`); every count is over the
dossiers of the unit received in the period up to the instant the report is judged at
(`asof.judged_at`), each open one judged as it stood then. Progress uses the portal's rule
(no restart; more than one supplement request is late, with no exception), which the engine
stores for finished dossiers as `portal_outcome`/`portal_due_at`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from service.complaints.queries import complained_dossiers
from service.dossiers.classes import finished_late_sql, overdue_sql
from service.models import CitizenRating, Dossier, SupplementRound
from service.models.portal import PortalSync, SyncState
from service.reports.asof import as_of_label, judged_at, paused_at_sql
from service.reports.indicators import ROUNDING_NOTE, Indicator, indicators
from service.reports.periods import Period
from service.reports.scope import NEVER_RECEIVED, finish_column, unit_tree
from service.vocabulary import Channel

__all__ = ["ROUNDING_NOTE", "Assessment", "Indicator", "assessment", "dissatisfied_sql"]


@dataclass(frozen=True)
class Assessment:
    """All computable indicators of a unit for a period, judged at one instant."""

    unit_name: str
    period: Period
    judged_at: dt.datetime
    indicators: list[Indicator]
    timezone: str

    @property
    def points(self) -> float:
        """Points earned on the indicators that have data (the sum of the rounded points)."""
        return round(sum(i.points or 0 for i in self.indicators), 2)

    @property
    def max_points(self) -> float:
        """Points at stake on the indicators that have data."""
        return sum(i.max_points for i in self.indicators if i.points is not None)

    @property
    def as_of_text(self) -> str:
        """'Số liệu tính đến HH:MM ngày dd/mm/yyyy'."""
        return as_of_label(self.judged_at, self.timezone)


def dissatisfied_sql(at: dt.datetime) -> ColumnElement[bool]:
    """SQL: a citizen was dissatisfied with the dossier by `at` (the complaint-rate term).

    Decision 766 counts a dossier once whether it drew a rating of 1–2, a complaint
    (phản ánh, kiến nghị) about it sent by `at`, or both. A rating counts from when it was
    first given (a later change of score is not kept, so the current score stands for it).
    """
    rated_low = exists().where(CitizenRating.dossier_id == Dossier.id, CitizenRating.score <= 2,
                               CitizenRating.created_at < at)
    return or_(rated_low, Dossier.id.in_(complained_dossiers(at)))


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _portal_late(at: dt.datetime) -> ColumnElement[bool]:
    """SQL: late by the portal's rule at `at`, finished before it or still open then."""
    finish = finish_column()
    finished = and_(finish.is_not(None), finish < at)
    rounds = (select(func.count()).where(SupplementRound.dossier_id == Dossier.id,
                                         SupplementRound.requested_at < at)
              .scalar_subquery())
    open_late = or_(rounds > 1, and_(overdue_sql(Dossier.portal_due_at, at),
                                     ~paused_at_sql(at)))
    return case((finished, finished_late_sql(Dossier.portal_outcome, finish,
                                             Dossier.portal_due_at)), else_=open_late)


def _measures(at: dt.datetime) -> dict[str, Any]:
    """Conditional counts over the dossiers received in the period, by name."""
    finish = finish_column()
    finished = and_(finish.is_not(None), finish < at)
    synced = exists().where(PortalSync.dossier_id == Dossier.id,
                            PortalSync.state == SyncState.SYNCED)
    fee = Dossier.fee_due.is_(True)
    return {
        "total": func.count(), "online": _count(Dossier.channel == Channel.ONLINE),
        "late": _count(_portal_late(at)), "with_fee": _count(fee),
        "paid": _count(and_(fee, Dossier.paid_online.is_(True))), "finished": _count(finished),
        "electronic": _count(and_(finished, Dossier.electronic_result.is_(True))),
        "digitized": _count(Dossier.digitized.is_(True)), "synced": _count(synced),
        "dissatisfied": _count(dissatisfied_sql(at)),
    }


def assessment(session: Session, unit_code: str, period: Period, timezone: str,
               now: dt.datetime, *, as_of: dt.datetime | None = None) -> Assessment:
    """Score the dossiers of a unit received in a period, as they stood at `judged_at`."""
    unit, unit_ids = unit_tree(session, unit_code)
    start, _ = period.bounds(timezone)
    at = judged_at(period, timezone, now, as_of)
    measures = _measures(at)
    row = session.execute(select(*(v.label(k) for k, v in measures.items())).where(
        Dossier.unit_id.in_(unit_ids), Dossier.received_at >= start, Dossier.received_at < at,
        Dossier.status.not_in(NEVER_RECEIVED))).one()
    counts = {name: int(getattr(row, name) or 0) for name in measures}
    return Assessment(unit.name, period, at, indicators(counts), timezone)
