"""The Decision 766/QĐ-TTg self-assessment: the points the portal will give, from our own data.

Only the indicators the monitor can compute; where a target is given the score is
full at or above it and proportional below. Progress uses the portal's rule (no restart, more
than one supplement request is late), which the engine stores as `portal_outcome`/`portal_due_at`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from service.dossiers.classes import finished_late_sql, overdue_sql
from service.models import Dossier
from service.models.portal import PortalSync, SyncState
from service.models.ratings import CitizenRating
from service.reports.periods import Period
from service.reports.scope import NEVER_RECEIVED, PAUSED, finish_column, unit_tree
from service.vocabulary import Channel


@dataclass(frozen=True)
class Indicator:
    """One scored indicator: its value (a share, None without data), target and points."""

    group: str
    name: str
    max_points: float
    value: float | None
    target: float | None
    numerator: int
    denominator: int

    @property
    def points(self) -> float | None:
        """Points earned: full at the target, proportional below; None without data."""
        if self.value is None:
            return None
        share = min(self.value / self.target, 1.0) if self.target else self.value
        return round(self.max_points * share, 2)


@dataclass(frozen=True)
class Assessment:
    """All computable indicators of a unit for a period, judged at one instant."""

    unit_name: str
    period: Period
    judged_at: dt.datetime
    indicators: list[Indicator]

    @property
    def points(self) -> float:
        """Points earned on the indicators that have data."""
        return round(sum(i.points or 0 for i in self.indicators), 2)

    @property
    def max_points(self) -> float:
        """Points at stake on the indicators that have data."""
        return sum(i.max_points for i in self.indicators if i.value is not None)


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _measures(at: dt.datetime) -> list[Any]:
    """Sums over the dossiers received in the period (see the names in `_indicators`)."""
    finish = finish_column()
    finished = and_(finish.is_not(None), finish <= at)
    portal_late = finished_late_sql(Dossier.portal_outcome, finish, Dossier.portal_due_at)
    open_late = and_(Dossier.status.not_in(PAUSED), overdue_sql(Dossier.portal_due_at, at))
    late = case((finished, case((portal_late, 1), else_=0)), else_=case((open_late, 1), else_=0))
    return [func.count(), _count(Dossier.channel == Channel.ONLINE), func.sum(late),
            _count(Dossier.fee_due.is_(True)),
            _count(and_(Dossier.fee_due.is_(True), Dossier.paid_online.is_(True))),
            _count(finished), _count(and_(finished, Dossier.electronic_result.is_(True))),
            _count(Dossier.digitized.is_(True))]


def assessment(session: Session, unit_code: str, period: Period, timezone: str,
               now: dt.datetime) -> Assessment:
    """Score the dossiers of a unit received in a period, judged at min(now, period end)."""
    unit, unit_ids = unit_tree(session, unit_code)
    start, end = period.bounds(timezone)
    at = min(now, end)
    received = and_(Dossier.unit_id.in_(unit_ids), Dossier.received_at >= start,
                    Dossier.received_at < end, Dossier.status.not_in(NEVER_RECEIVED))
    values = [int(v or 0) for v in session.execute(select(*_measures(at)).where(received)).one()]
    synced = _synced(session, received)
    rated = _ratings(session, received)
    return Assessment(unit.name, period, at, _indicators(values, synced, rated))


def _synced(session: Session, received: Any) -> int:
    """Dossiers the portal acknowledged, from the portal mirror."""
    return int(session.scalar(select(func.count()).select_from(Dossier)
                              .join(PortalSync, PortalSync.dossier_id == Dossier.id)
                              .where(received, PortalSync.state == SyncState.SYNCED)) or 0)


def _ratings(session: Session, received: Any) -> tuple[int, int]:
    """(unsatisfied, rated) from citizens' ratings; 1–2 is unsatisfied."""
    rating = CitizenRating
    row = session.execute(select(_count(rating.score <= 2), func.count())
                          .select_from(Dossier).join(rating, rating.dossier_id == Dossier.id)
                          .where(received)).one()
    return int(row[0] or 0), int(row[1] or 0)


def _indicators(values: list[int], synced: int | None,
                rated: tuple[int, int] | None) -> list[Indicator]:
    total, online, late, with_fee, paid, finished, electronic, digitized = values
    sync_share = _share(synced, total) if synced is not None else None
    online_share = _share(online, total)
    online_value = (None if sync_share is None or online_share is None
                    else min(online_share / 0.5, 1.0) * sync_share)
    late_share = _share(late, total)
    complaints = _share(*rated) if rated and rated[1] else 0.0
    satisfaction = None if late_share is None else max(0.0, 1 - late_share - complaints)
    return [
        Indicator("Công khai, minh bạch", "Hồ sơ đồng bộ lên Cổng DVCQG", 6, sync_share, None,
                  synced or 0, total),
        Indicator("Tiến độ giải quyết", "Hồ sơ đúng hạn và trong hạn (quy tắc của Cổng)", 20,
                  None if late_share is None else 1 - late_share, None, total - late, total),
        Indicator("Dịch vụ công trực tuyến", "Hồ sơ trực tuyến (mục tiêu 50 %) × tỷ lệ đồng bộ",
                  12, online_value, None, online, total),
        Indicator("Thanh toán trực tuyến", "Hồ sơ có phí được thanh toán trực tuyến", 10,
                  _share(paid, with_fee), None, paid, with_fee),
        Indicator("Mức độ hài lòng", "100 % − (tỷ lệ trễ hạn + tỷ lệ không hài lòng)", 18,
                  satisfaction, 0.9, total - late, total),
        Indicator("Số hóa hồ sơ", "Hồ sơ đã giải quyết có kết quả điện tử", 11,
                  _share(electronic, finished), None, electronic, finished),
        Indicator("Số hóa hồ sơ", "Hồ sơ được số hóa (mục tiêu 80 %)", 11,
                  _share(digitized, total), 0.8, digitized, total),
    ]
