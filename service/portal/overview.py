"""The mirror at a glance: dossiers by sync state, sync lag and the Decision 766 synced ratio."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from service.models import Dossier, PortalSync, PortalSyncRun, SyncState, Unit
from service.portal.state import last_run

UNSEEN = literal(SyncState.PENDING.value)


@dataclass(frozen=True)
class RunSummary:
    """One run of the sync or reconcile job."""

    kind: str
    mode: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    checked: int
    attempted: int
    acked: int
    failed: int
    mismatched: int
    error: str | None


@dataclass(frozen=True)
class SyncOverview:
    """Counts by state, lag and the 766 ratio for a unit (or all) and a receipt period."""

    counts: dict[SyncState, int]
    received: int
    on_portal: int
    synced_ratio: float | None
    oldest_change_at: dt.datetime | None
    lag: dt.timedelta | None
    unit: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    last_sync: RunSummary | None = None
    last_reconcile: RunSummary | None = None


def sync_overview(session: Session, now: dt.datetime, zone: ZoneInfo, *,
                  unit: str | None = None, start: dt.date | None = None,
                  end: dt.date | None = None) -> SyncOverview:
    """Summarise the mirror; counting happens in SQL.

    Counts and the ratio cover dossiers received between `start` and `end` (local dates,
    inclusive; open-ended when None). The ratio is dossiers the portal holds (acknowledged at
    least once) over dossiers received, as Decision 766 scores it: dossiers configured as not
    required still count as received. Lag is now − the oldest change the portal has not
    acknowledged, over the unit's dossiers whatever their receipt date; a dossier the sync job
    has not looked at yet counts from its last update.
    """
    state = func.coalesce(PortalSync.state, UNSEEN)
    counts_query = _scoped(select(state, func.count(), func.sum(case(
        (PortalSync.on_portal.is_(True), 1), else_=0))), unit, zone, start, end).group_by(state)
    counts = dict.fromkeys(SyncState, 0)
    received = on_portal = 0
    for value, count, held in session.execute(counts_query):
        counts[SyncState(value)] += count
        received += count
        on_portal += held or 0
    oldest = session.scalar(_scoped(select(func.min(case(
        (PortalSync.id.is_(None), Dossier.updated_at), else_=PortalSync.changed_at))).where(
        or_(PortalSync.id.is_(None),
            PortalSync.state.in_([SyncState.PENDING, SyncState.FAILED]))), unit, zone))
    oldest = _aware(oldest)
    return SyncOverview(
        counts=counts, received=received, on_portal=on_portal,
        synced_ratio=on_portal / received if received else None, oldest_change_at=oldest,
        lag=max(now - oldest, dt.timedelta(0)) if oldest else None, unit=unit, start=start,
        end=end, last_sync=_summary(last_run(session, "sync")),
        last_reconcile=_summary(last_run(session, "reconcile")))


def _scoped(query: Select[Any], unit: str | None, zone: ZoneInfo,
            start: dt.date | None = None, end: dt.date | None = None) -> Select[Any]:
    query = query.select_from(Dossier).outerjoin(PortalSync, PortalSync.dossier_id == Dossier.id)
    if unit is not None:
        query = query.join(Unit, and_(Unit.id == Dossier.unit_id, Unit.code == unit))
    if start is not None:
        query = query.where(Dossier.received_at >= _local_midnight(start, zone))
    if end is not None:
        query = query.where(Dossier.received_at < _local_midnight(end + dt.timedelta(days=1), zone))
    return query


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zone)


def _aware(value: Any) -> dt.datetime | None:
    """min() over a CASE loses the column type: SQLite hands back naive UTC text or datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _summary(run: PortalSyncRun | None) -> RunSummary | None:
    if run is None:
        return None
    return RunSummary(kind=run.kind, mode=run.mode, started_at=run.started_at,
                      finished_at=run.finished_at, checked=run.checked, attempted=run.attempted,
                      acked=run.acked, failed=run.failed, mismatched=run.mismatched,
                      error=run.error)
