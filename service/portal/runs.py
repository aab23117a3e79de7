"""One run of the sync job and of the reconcile job.

Live mode commits every acknowledgement as it comes; record mode commits a group of dossiers
with their outbox rows. One dossier's failure is recorded on it and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.dvcqg import PortalLoginError
from service.models import Dossier, PortalSync, PortalSyncRun, SyncState
from service.portal.options import PortalOptions
from service.portal.outbox import Gateway
from service.portal.push import PushResult, load_targets, planned_calls, push_dossier
from service.portal.reconcile import CheckResult, check_dossier, reconcile_targets
from service.portal.state import due_for_sync, refresh

log = logging.getLogger(__name__)
# Builds the gateway for a session: the outbox writes into it, the live client ignores it.
GatewayFor = Callable[[Session], Gateway]
# Dossiers loaded per query round while pushing.
GROUP = 100


@dataclass
class SyncReport:
    """What one sync run compared, sent and left failed."""

    run_id: int
    checked: int = 0
    pending: int = 0
    results: list[PushResult] = field(default_factory=list)
    stopped: str | None = None
    error: str | None = None

    @property
    def acked(self) -> int:
        """Dossiers the portal now holds in full."""
        return sum(1 for r in self.results if r.acked)

    @property
    def failed(self) -> int:
        """Dossiers whose push failed this run."""
        return sum(1 for r in self.results if r.error)


@dataclass
class ReconcileReport:
    """What one reconcile run found."""

    run_id: int
    checked: int = 0
    results: list[CheckResult] = field(default_factory=list)
    stopped: str | None = None
    error: str | None = None

    @property
    def mismatched(self) -> int:
        """Dossiers whose portal status differs from ours."""
        return sum(1 for r in self.results if r.mismatch)


def run_sync(factory: sessionmaker[Session], gateway_for: GatewayFor, now: dt.datetime,
             options: PortalOptions, rng: random.Random,
             codes: Sequence[str] | None = None) -> SyncReport:
    """Find changed dossiers, then push each due one; `codes` pushes those now, backoff or not."""
    with factory.begin() as session:
        found = refresh(session, now, options, codes=codes)
        run = PortalSyncRun(kind="sync", mode=options.mode, started_at=now,
                            watermark=found.watermark, rules_key=options.rules_key,
                            checked=found.checked)
        session.add(run)
        session.flush()
        report = SyncReport(run_id=run.id, checked=found.checked, pending=found.pending)
        ids = (forced_ids(session, codes) if codes is not None
               else due_for_sync(session, now, options.batch_size if options.mode == "live"
                                 else None))
    try:
        _push_all(factory, gateway_for, ids, now, options, rng, report)
    except PortalLoginError as exc:
        report.error = str(exc)
        log.error("portal sync stopped: %s", exc)
    except Exception as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        _finish(factory, report.run_id, attempted=len(report.results), acked=report.acked,
                failed=report.failed, error=report.error or report.stopped)
    return report


def _push_all(factory: sessionmaker[Session], gateway_for: GatewayFor, ids: Sequence[int],
              now: dt.datetime, options: PortalOptions, rng: random.Random,
              report: SyncReport) -> None:
    """Push in groups loaded together; live mode commits after every acknowledged call."""
    live, unavailable = options.mode == "live", 0
    for start in range(0, len(ids), GROUP):
        with factory() as session:
            gateway = gateway_for(session)
            checkpoint = session.commit if live else _nothing
            for target in load_targets(session, ids[start:start + GROUP]):
                result = push_dossier(session, gateway, target, now, options, rng, checkpoint)
                report.results.append(result)
                if live:
                    session.commit()
                unavailable = unavailable + 1 if result.unavailable else 0
                if unavailable >= options.retry.max_consecutive_failures:
                    report.stopped = f"gateway unavailable {unavailable} times in a row"
                    session.commit()
                    return
            session.commit()


def _nothing() -> None:
    """No checkpoint: in record mode the outbox rows and acknowledgements commit together."""


def forced_ids(session: Session, codes: Sequence[str]) -> list[int]:
    """Sync rows of these dossiers that have anything to send, whatever their backoff."""
    return list(session.scalars(
        select(PortalSync.id).join(Dossier, Dossier.id == PortalSync.dossier_id)
        .where(Dossier.code.in_(list(codes)),
               PortalSync.state.in_([SyncState.PENDING, SyncState.FAILED]))
        .order_by(PortalSync.id)))


def preview_sync(session: Session, now: dt.datetime, options: PortalOptions,
                 codes: Sequence[str] | None = None) -> list[dict]:
    """The calls a sync run would make now, in order; the caller rolls the session back."""
    refresh(session, now, options, codes=codes)
    ids = forced_ids(session, codes) if codes is not None else due_for_sync(
        session, now, options.batch_size if options.mode == "live" else None)
    calls: list[dict] = []
    for start in range(0, len(ids), GROUP):
        for target in load_targets(session, ids[start:start + GROUP]):
            calls.extend(planned_calls(target, options))
    return calls


def run_reconcile(factory: sessionmaker[Session], gateway_for: GatewayFor, now: dt.datetime,
                  options: PortalOptions) -> ReconcileReport:
    """Sweep for unnoticed changes, then compare a sample of synced and every failed dossier."""
    with factory.begin() as session:
        found = refresh(session, now, options, windowed=False)
        run = PortalSyncRun(kind="reconcile", mode=options.mode, started_at=now,
                            checked=found.checked)
        session.add(run)
        session.flush()
        report = ReconcileReport(run_id=run.id, checked=found.checked)
        ids = reconcile_targets(session, options.reconcile_sample)
    try:
        _check_all(factory, gateway_for, ids, now, options, report)
    except PortalLoginError as exc:
        report.error = str(exc)
        log.error("portal reconcile stopped: %s", exc)
    except Exception as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        _finish(factory, report.run_id, attempted=len(report.results),
                acked=sum(1 for r in report.results if not r.error),
                failed=sum(1 for r in report.results if r.error), mismatched=report.mismatched,
                error=report.error or report.stopped)
    return report


def _check_all(factory: sessionmaker[Session], gateway_for: GatewayFor, ids: Sequence[int],
               now: dt.datetime, options: PortalOptions, report: ReconcileReport) -> None:
    """Look each dossier up in its own transaction; stop when the gateway is down."""
    unavailable = 0
    for sync_id in ids:
        with factory.begin() as session:
            result = check_dossier(session, gateway_for(session), sync_id, now, options)
        report.results.append(result)
        unavailable = unavailable + 1 if result.unavailable else 0
        if unavailable >= options.retry.max_consecutive_failures:
            report.stopped = f"gateway unavailable {unavailable} times in a row"
            return


def _finish(factory: sessionmaker[Session], run_id: int, *, attempted: int, acked: int,
            failed: int, error: str | None, mismatched: int = 0) -> None:
    with factory.begin() as session:
        run = session.get_one(PortalSyncRun, run_id)
        run.attempted, run.acked, run.failed, run.mismatched = attempted, acked, failed, mismatched
        run.error = error
        run.finished_at = dt.datetime.now(dt.UTC)  # wall time, even when `now` is simulated
