"""TraCuuHoSo reconcile: ask the portal what it holds and re-queue dossiers where it is wrong."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connectors.dvcqg import GatewayUnavailable, PortalError, PortalLoginError
from service.models import Dossier, PortalProgressLine, PortalSync, SyncState, Unit
from service.portal.options import PortalOptions
from service.portal.outbox import Gateway

log = logging.getLogger(__name__)
# Failed dossiers are all checked, but a run never looks up more than this many of them.
FAILED_LIMIT = 1000


@dataclass
class CheckResult:
    """What the portal said about one dossier."""

    code: str
    ours: int
    portal: int | None = None
    mismatch: bool = False
    requeued: bool = False
    error: str | None = None
    unavailable: bool = False


def reconcile_targets(session: Session, sample: int) -> list[int]:
    """Sync rows to check: the synced ones checked longest ago, and every failed one."""
    synced = select(PortalSync.id).where(PortalSync.state == SyncState.SYNCED).order_by(
        PortalSync.reconciled_at.asc().nulls_first(), PortalSync.id).limit(sample)
    failed = select(PortalSync.id).where(PortalSync.state == SyncState.FAILED).order_by(
        PortalSync.id).limit(FAILED_LIMIT)
    return [*session.scalars(synced), *session.scalars(failed)] if sample else \
        list(session.scalars(failed))


def check_dossier(session: Session, gateway: Gateway, sync_id: int, now: dt.datetime,
                  options: PortalOptions) -> CheckResult:
    """Compare the portal's status with ours; on a mismatch queue the dossier again; flush only.

    A permanent failure is only annotated: it waits for new data or a clerk.
    """
    row = session.get_one(PortalSync, sync_id)
    code, status, unit_code = session.execute(
        select(Dossier.code, Dossier.status, Unit.code).join(Unit, Unit.id == Dossier.unit_id)
        .where(Dossier.id == row.dossier_id)).one()
    result = CheckResult(code=code, ours=status.value)
    try:
        result.portal = gateway.lookup(options.madonvi(unit_code), code)
    except PortalLoginError:
        raise
    except PortalError as exc:
        result.error, result.unavailable = str(exc), isinstance(exc, GatewayUnavailable)
        return result
    row.portal_status, row.reconciled_at = result.portal, now
    result.mismatch = result.portal != result.ours
    if result.mismatch and not row.permanent:
        _requeue_mismatch(session, row, result.portal is None, now)
        result.requeued = True
        log.warning("portal holds status %s for %s, the monitor %s: re-queued",
                    result.portal, code, result.ours)
    session.flush()
    return result


def _requeue_mismatch(session: Session, row: PortalSync, missing: bool, now: dt.datetime) -> None:
    if missing:
        # The portal lost the dossier (or never had it): send it and its whole history again.
        row.on_portal = False
        session.execute(delete(PortalProgressLine)
                        .where(PortalProgressLine.dossier_id == row.dossier_id))
    row.acked_hash, row.state, row.attempts, row.next_attempt_at = None, SyncState.PENDING, 0, None
    row.changed_at = row.changed_at or now
