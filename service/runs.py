"""One ingest cycle of one connector: fetch batches, store each in its own transaction."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.base import Connector, DossierRecord, RejectedRecord
from service.ingest import Deriver, Ingestor, IngestStats
from service.models import ConnectorRun

log = logging.getLogger(__name__)


def last_cursor(session: Session, connector: str) -> dict | None:
    """Return the cursor the latest run of this connector committed, if any."""
    return session.scalar(
        select(ConnectorRun.cursor_after)
        .where(ConnectorRun.connector == connector, ConnectorRun.cursor_after.is_not(None))
        .order_by(ConnectorRun.id.desc()).limit(1))


def run_connector(factory: sessionmaker[Session], connector: Connector, derive: Deriver,
                  now: dt.datetime) -> ConnectorRun:
    """Run one cycle; what each batch committed stays even if a later batch fails."""
    with factory() as session:
        run = ConnectorRun(connector=connector.name, started_at=now,
                           cursor_before=last_cursor(session, connector.name))
        session.add(run)
        session.commit()
        run_id, cursor = run.id, run.cursor_before
    totals = IngestStats()
    try:
        for batch in connector.fetch(cursor, now):
            with factory() as session, session.begin():
                ingestor = Ingestor(session, connector.name, derive)
                records = [r for r in batch.records if isinstance(r, DossierRecord)]
                rejected = [r for r in batch.records if isinstance(r, RejectedRecord)]
                stats = ingestor.store(records, now)
                stats.fetched += len(rejected)
                stats.rejected += len(rejected)
                totals.add(stats)
                _save_progress(session, run_id, totals, batch.cursor)
    except Exception as exc:  # noqa: BLE001 - any fault ends the run cleanly and is recorded
        log.warning("connector %s run %s failed: %s", connector.name, run_id, exc)
        _finish(factory, run_id, totals, now, error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        connector.close()
    return _finish(factory, run_id, totals, now, error=None)


def _save_progress(session: Session, run_id: int, totals: IngestStats,
                   cursor: dict | None) -> None:
    run = session.get_one(ConnectorRun, run_id)
    for name in ("fetched", "created", "updated", "unchanged", "rejected"):
        setattr(run, name, getattr(totals, name))
    if cursor is not None:
        run.cursor_after = cursor


def _finish(factory: sessionmaker[Session], run_id: int, totals: IngestStats,
            now: dt.datetime, error: str | None) -> ConnectorRun:
    with factory() as session, session.begin():
        run = session.get_one(ConnectorRun, run_id)
        for name in ("fetched", "created", "updated", "unchanged", "rejected"):
            setattr(run, name, getattr(totals, name))
        run.finished_at = dt.datetime.now(dt.UTC)  # wall time, even when `now` is simulated
        run.error = error
    return run
