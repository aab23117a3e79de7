"""Per-dossier sync state: find what changed since the last acknowledgement, show, re-queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from service.models import (
    Dossier,
    PortalProgressLine,
    PortalSync,
    PortalSyncRun,
    SyncState,
)
from service.portal.options import PortalOptions
from service.portal.payload import (
    build_payload,
    content_key,
    ordered_events,
    payload_hash,
    progress_line,
)

CHUNK = 500


class UnknownDossier(LookupError):
    """No dossier has the code asked for."""


@dataclass
class Refresh:
    """What one comparison pass found."""

    checked: int = 0
    pending: int = 0
    watermark: dt.datetime | None = None


def load_dossiers(session: Session, ids: Iterable[int]) -> list[Dossier]:
    """Dossiers with everything the payload needs, in a few queries."""
    return list(session.scalars(select(Dossier).where(Dossier.id.in_(list(ids))).options(
        selectinload(Dossier.events), selectinload(Dossier.supplements),
        selectinload(Dossier.procedure), selectinload(Dossier.unit))))


def acked_events(session: Session, dossier_ids: Sequence[int]) -> dict[int, set[int]]:
    """The history lines the portal acknowledged, by dossier."""
    found: dict[int, set[int]] = {i: set() for i in dossier_ids}
    rows = session.execute(select(PortalProgressLine.dossier_id, PortalProgressLine.event_id)
                           .where(PortalProgressLine.dossier_id.in_(list(dossier_ids))))
    for dossier_id, event_id in rows:
        found[dossier_id].add(event_id)
    return found


def refresh(session: Session, now: dt.datetime, options: PortalOptions, *,
            codes: Sequence[str] | None = None, windowed: bool = True) -> Refresh:
    """Compare payload hashes of dossiers changed since they were last compared; flush only.

    `windowed` limits the search to dossiers updated since the previous run's watermark (less
    an overlap, for ingest transactions that commit late); the reconcile job passes False to
    sweep every dossier whose `updated_at` moved since it was last compared.
    """
    previous = last_run(session, "sync", with_watermark=True)
    rules_changed = previous is not None and previous.rules_key != options.rules_key
    query = select(Dossier.id).outerjoin(PortalSync, PortalSync.dossier_id == Dossier.id)
    if codes is not None:
        query = query.where(Dossier.code.in_(list(codes)))
    elif not rules_changed:
        query = query.where(or_(PortalSync.id.is_(None), PortalSync.seen_updated_at.is_(None),
                                Dossier.updated_at != PortalSync.seen_updated_at))
        if windowed and previous is not None and previous.watermark is not None:
            query = query.where(Dossier.updated_at >= previous.watermark - options.rescan_overlap)
    ids = list(session.scalars(query.order_by(Dossier.id)))
    result = Refresh(watermark=previous.watermark if previous else None)
    for start in range(0, len(ids), CHUNK):
        # A pass over chosen codes says nothing of other dossiers: the watermark stays.
        _compare(session, ids[start:start + CHUNK], options, result, advance=codes is None)
    session.flush()
    return result


def _compare(session: Session, ids: Sequence[int], options: PortalOptions,
             result: Refresh, advance: bool) -> None:
    dossiers = load_dossiers(session, ids)
    rows = {r.dossier_id: r for r in session.scalars(
        select(PortalSync).where(PortalSync.dossier_id.in_(list(ids))))}
    acked = acked_events(session, ids)
    for dossier in dossiers:
        row = rows.get(dossier.id)
        if row is None:
            row = PortalSync(dossier_id=dossier.id, state=SyncState.PENDING, attempts=0,
                             on_portal=False, permanent=False)
            session.add(row)
        if mark(row, dossier, acked[dossier.id], options) is SyncState.PENDING:
            result.pending += 1
        result.checked += 1
        if advance and (result.watermark is None or dossier.updated_at > result.watermark):
            result.watermark = dossier.updated_at


def mark(row: PortalSync, dossier: Dossier, acked: set[int],
         options: PortalOptions) -> SyncState:
    """Set a dossier's state from its current payload and history against what was acked."""
    row.seen_updated_at = dossier.updated_at
    reason = options.not_required_reason(dossier)
    if reason is not None:
        _settle(row, SyncState.NOT_REQUIRED)
        row.not_required_reason = reason
        return row.state
    row.not_required_reason = None
    item_hash = payload_hash(build_payload(dossier, options))
    key = content_key(item_hash, (e.id for e in dossier.events))
    unsent = any(e.id not in acked for e in dossier.events)
    if item_hash == row.acked_hash and not unsent:
        _settle(row, SyncState.SYNCED)
    elif row.state in (SyncState.SYNCED, SyncState.NOT_REQUIRED) or row.changed_at is None:
        row.state, row.changed_at = SyncState.PENDING, dossier.updated_at
        row.attempts, row.next_attempt_at, row.permanent = 0, None, False
    elif row.permanent and key != row.current_hash:
        # The data changed since the portal refused it: worth one more try.
        row.state, row.attempts, row.next_attempt_at, row.permanent = \
            SyncState.PENDING, 0, None, False
    row.current_hash = key
    return row.state


def _settle(row: PortalSync, state: SyncState) -> None:
    row.state, row.changed_at, row.next_attempt_at = state, None, None
    row.attempts, row.permanent, row.last_error = 0, False, None


def due_for_sync(session: Session, now: dt.datetime, limit: int | None) -> list[int]:
    """Ids of sync rows to push now, oldest change first; permanent failures wait."""
    query = (select(PortalSync.id)
             .where(PortalSync.state.in_([SyncState.PENDING, SyncState.FAILED]),
                    PortalSync.permanent.is_(False),
                    or_(PortalSync.next_attempt_at.is_(None), PortalSync.next_attempt_at <= now))
             .order_by(PortalSync.changed_at, PortalSync.id))
    return list(session.scalars(query.limit(limit) if limit else query))


def last_run(session: Session, kind: str, with_watermark: bool = False) -> PortalSyncRun | None:
    """The latest finished run of the sync or reconcile job."""
    query = select(PortalSyncRun).where(PortalSyncRun.kind == kind,
                                        PortalSyncRun.finished_at.is_not(None))
    if with_watermark:
        query = query.where(PortalSyncRun.watermark.is_not(None))
    return session.scalar(query.order_by(PortalSyncRun.id.desc()).limit(1))


def requeue(session: Session, code: str | None, actor: str, now: dt.datetime) -> int:
    """Queue one dossier (sent again in full) or every failed one for the next sync; flush only.

    A clerk's "đồng bộ lại": permanent failures are tried again and backoff is cleared.
    Returns how many dossiers were queued; raises UnknownDossier for an unknown code.
    """
    values: dict[str, Any] = dict(state=SyncState.PENDING, permanent=False, attempts=0,
                                  next_attempt_at=None, requeued_by=actor, requeued_at=now)
    if code is None:
        result = session.execute(update(PortalSync).where(PortalSync.state == SyncState.FAILED)
                                 .values(**values).execution_options(synchronize_session=False))
        session.flush()
        return result.rowcount or 0
    dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == code))
    if dossier_id is None:
        raise UnknownDossier(f"no dossier with code {code}")
    row = session.scalar(select(PortalSync).where(PortalSync.dossier_id == dossier_id))
    if row is None:
        row = PortalSync(dossier_id=dossier_id, on_portal=False)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    # Forget the acknowledged hash so the payload goes again even if nothing changed.
    row.acked_hash, row.changed_at = None, row.changed_at or now
    session.flush()
    return 1


@dataclass(frozen=True)
class SyncStateView:
    """A dossier's sync state as a page or the API shows it, with what would be sent now."""

    code: str
    state: SyncState
    on_portal: bool
    up_to_date: bool
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    permanent: bool
    changed_at: dt.datetime | None
    acked_at: dt.datetime | None
    acked_status: int | None
    reply: str | None
    portal_status: int | None
    reconciled_at: dt.datetime | None
    not_required_reason: str | None
    requeued_by: str | None
    requeued_at: dt.datetime | None
    madonvi: str
    payload: dict[str, Any]
    pending_lines: list[dict[str, str]]
    synced_lines: int


def sync_state_for(session: Session, dossier: Dossier, options: PortalOptions) -> SyncStateView:
    """What the portal holds for a dossier against what it should hold; reads only."""
    row = session.scalar(select(PortalSync).where(PortalSync.dossier_id == dossier.id))
    acked = acked_events(session, [dossier.id])[dossier.id]
    item = build_payload(dossier, options)
    pending = [progress_line(dossier, e, options) for e in ordered_events(dossier.events)
               if e.id not in acked]
    reason = options.not_required_reason(dossier)
    up_to_date = row is not None and row.acked_hash == payload_hash(item) and not pending
    if reason is not None:
        state = SyncState.NOT_REQUIRED
    elif row is None or (row.state is SyncState.SYNCED and not up_to_date):
        state = SyncState.PENDING  # changed since the sync job last looked
    else:
        state = SyncState.SYNCED if up_to_date else row.state
    return SyncStateView(
        code=dossier.code, state=state, on_portal=bool(row and row.on_portal),
        up_to_date=up_to_date, attempts=row.attempts if row else 0,
        next_attempt_at=row.next_attempt_at if row else None,
        last_error=row.last_error if row else None, permanent=bool(row and row.permanent),
        changed_at=(row.changed_at if row else None) or (None if up_to_date else
                                                         dossier.updated_at),
        acked_at=row.acked_at if row else None, acked_status=row.acked_status if row else None,
        reply=row.reply if row else None, portal_status=row.portal_status if row else None,
        reconciled_at=row.reconciled_at if row else None, not_required_reason=reason,
        requeued_by=row.requeued_by if row else None,
        requeued_at=row.requeued_at if row else None,
        madonvi=options.madonvi(dossier.unit.code), payload=item, pending_lines=pending,
        synced_lines=len(acked))


def find_dossier(session: Session, code: str) -> Dossier:
    """A dossier by code with what its payload needs; raises UnknownDossier."""
    dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == code))
    if dossier_id is None:
        raise UnknownDossier(f"no dossier with code {code}")
    return load_dossiers(session, [dossier_id])[0]
