"""Ingest cycles: fetch batches, store each with its cursor in one transaction, record the run.

A batch, its quarantined items, the run's counts and the connector's cursor are committed
together, so a run killed at any instant leaves the database at a batch boundary and the next
run resumes from the last committed cursor: nothing lost, nothing stored twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from connectors.base import (
    Batch,
    Connector,
    DossierRecord,
    InputError,
    RejectedRecord,
    WriteScope,
)
from service.db import refresh_statistics
from service.ingest import Catalogue, Deriver, Ingestor, IngestStats, quarantine
from service.ingest.replay import ReplayedPush, Signed, remember
from service.models import ConnectorCursor, ConnectorRun

log = logging.getLogger(__name__)
COUNTS = ("fetched", "created", "updated", "unchanged", "rejected")
# Rows a run writes between refreshes of the planner's statistics (PostgreSQL only).
ANALYZE_EVERY = 20_000
INGESTED_TABLES = ("dossier", "status_event", "supplement_round")
# Records stored per transaction. A connector's batch (an XLSX of 10 000 rows, a large page) is
# committed in parts of this size, so no writer holds SQLite's single write lock for long: a
# part of 500 takes well under a second, while the webhook pushes, the scheduler's lease and
# the web app wait at most the busy timeout. The cursor is saved with the batch's last part,
# so a run killed between parts re-reads that batch and finds its first parts unchanged.
CHUNK = 500


@dataclass(frozen=True)
class RecordResult:
    """The fate of one item of a batch, in the order the items came."""

    code: str | None
    outcome: str
    reason: str | None = None


@dataclass
class BatchResult:
    """Counts and per-item results of one stored batch."""

    stats: IngestStats
    results: list[RecordResult] = field(default_factory=list)


def last_cursor(session: Session, connector: str) -> dict | None:
    """Return the cursor this connector resumes from: the last one any batch committed."""
    state = session.get(ConnectorCursor, connector)
    if state is not None:
        return state.cursor
    return session.scalar(
        select(ConnectorRun.cursor_after)
        .where(ConnectorRun.connector == connector, ConnectorRun.cursor_after.is_not(None))
        .order_by(ConnectorRun.id.desc()).limit(1))


def store_batch(session: Session, connector: str, run_id: int | None,
                items: Sequence[DossierRecord | RejectedRecord], derive: Deriver,
                now: dt.datetime, catalogue: Catalogue | None = None,
                resolve: bool = True, scope: WriteScope | None = None) -> BatchResult:
    """Store one batch in the caller's transaction; refused items go to quarantine."""
    records = [item for item in items if isinstance(item, DossierRecord)]
    refused = [item for item in items if not isinstance(item, DossierRecord)]
    ingestor = Ingestor(session, connector, derive, catalogue, scope)
    stats = ingestor.store(records, now)
    stats.fetched += len(refused)
    stats.rejected += len(refused)
    quarantine.quarantine(session, connector, run_id, [*refused, *ingestor.rejects], now)
    if resolve:
        stored = [r.source_id for r in records
                  if ingestor.outcomes.get(r.code) in ("created", "updated", "unchanged")]
        quarantine.resolve_stored(session, connector, stored, now)
    reasons = {id(record): reason for record, reason in ingestor.rejects}
    results = []
    for item in items:
        if isinstance(item, RejectedRecord):
            results.append(RecordResult(None, "rejected", item.reason))
        elif id(item) in reasons:
            results.append(RecordResult(item.code, "rejected", reasons[id(item)]))
        else:
            results.append(RecordResult(item.code, ingestor.outcomes.get(item.code, "unchanged")))
    return BatchResult(stats, results)


def start_run(factory: sessionmaker[Session], connector: str, now: dt.datetime
              ) -> tuple[int, dict | None]:
    """Open a run row (closing runs a killed process left open) and return its id and cursor."""
    with factory.begin() as session:
        session.execute(
            update(ConnectorRun)
            .where(ConnectorRun.connector == connector, ConnectorRun.finished_at.is_(None))
            .values(finished_at=_wall(), error="interrupted: the process ended mid-run"))
        run = ConnectorRun(connector=connector, started_at=now, heartbeat_at=_wall(),
                           cursor_before=last_cursor(session, connector))
        session.add(run)
        session.flush()
        return run.id, run.cursor_before


def run_connector(factory: sessionmaker[Session], connector: Connector, derive: Deriver,
                  now: dt.datetime,
                  on_batch: Callable[[Batch, BatchResult], None] | None = None) -> ConnectorRun:
    """Run one cycle; what each batch committed stays even if a later batch fails.

    `on_batch` sees each batch and its results once committed (progress bars, summaries).
    """
    run_id, cursor = start_run(factory, connector.name, now)
    totals, catalogue, written = IngestStats(), Catalogue(), 0
    with factory() as session:
        resolve = quarantine.has_open(session, connector.name)
    try:
        for batch in connector.fetch(cursor, now):
            result = BatchResult(IngestStats())
            for start in range(0, len(batch.records), CHUNK) or [0]:
                last = start + CHUNK >= len(batch.records)
                with factory.begin() as session:
                    part = store_batch(session, connector.name, run_id,
                                       batch.records[start:start + CHUNK], derive, now,
                                       catalogue, resolve)
                    totals.add(part.stats)
                    _save_progress(session, connector.name, run_id, totals,
                                   batch.cursor if last else None, now, last)
                result.stats.add(part.stats)
                result.results += part.results
            written += result.stats.created + result.stats.updated
            if written >= ANALYZE_EVERY:
                with factory.begin() as session:
                    refresh_statistics(session.connection(), INGESTED_TABLES)
                written = 0
            if on_batch is not None:
                on_batch(batch, result)
    except Exception as exc:  # noqa: BLE001 - any fault ends the run cleanly and is recorded
        # Unreadable input is reported to whoever gave it, not an operator's fault to log.
        level = logging.DEBUG if isinstance(exc, InputError) else logging.WARNING
        log.log(level, "connector %s run %s failed: %s", connector.name, run_id, exc)
        finish_run(factory, run_id, totals, error=f"{type(exc).__name__}: {exc}",
                   warning=_warning(connector))
        raise
    finally:
        connector.close()
    warning = _warning(connector)
    if warning:
        log.warning("connector %s run %s: %s", connector.name, run_id, warning)
    return finish_run(factory, run_id, totals, error=None, warning=warning)


def push_batch(factory: sessionmaker[Session], connector: str,
               items: Sequence[DossierRecord | RejectedRecord], derive: Deriver,
               now: dt.datetime, scope: WriteScope | None = None,
               signed: Signed | None = None) -> tuple[ConnectorRun, list[RecordResult]]:
    """Store records a source pushed (webhook) and their run row in one transaction.

    Pushes may arrive concurrently, so a push neither closes other open runs nor leaves one
    open itself: if storing fails, nothing of it stays and a failed run is recorded instead.
    A signed push's signature is remembered in the same transaction: a copy sent again raises
    ReplayedPush and stores nothing, while a push that failed may be sent again as it was.
    """
    try:
        with factory.begin() as session:
            if signed is not None:
                remember(session, connector, signed, now)
            run = ConnectorRun(connector=connector, started_at=now, heartbeat_at=_wall())
            session.add(run)
            session.flush()
            result = store_batch(session, connector, run.id, items, derive, now, scope=scope)
            for name in COUNTS:
                setattr(run, name, getattr(result.stats, name))
            run.batches, run.finished_at = 1, _wall()
    except ReplayedPush:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded as a failed run, then raised
        with factory.begin() as session:
            session.add(ConnectorRun(connector=connector, started_at=now, finished_at=_wall(),
                                     error=f"{type(exc).__name__}: {exc}"))
        raise
    return run, result.results


def _save_progress(session: Session, connector: str, run_id: int, totals: IngestStats,
                   cursor: dict | None, now: dt.datetime, batch_done: bool = True) -> None:
    run = session.get_one(ConnectorRun, run_id)
    for name in COUNTS:
        setattr(run, name, getattr(totals, name))
    run.batches += int(batch_done)
    run.heartbeat_at = _wall()
    if cursor is None or not batch_done:
        return
    run.cursor_after = cursor
    state = session.get(ConnectorCursor, connector)
    if state is None:
        session.add(ConnectorCursor(connector=connector, cursor=cursor, run_id=run_id,
                                    updated_at=now))
    else:
        state.cursor, state.run_id, state.updated_at = cursor, run_id, now


def finish_run(factory: sessionmaker[Session], run_id: int, totals: IngestStats,
               error: str | None, warning: str | None = None) -> ConnectorRun:
    """Close a run with its final counts, error (None when it succeeded) and warning."""
    with factory.begin() as session:
        run = session.get_one(ConnectorRun, run_id)
        for name in COUNTS:
            setattr(run, name, getattr(totals, name))
        run.finished_at = _wall()
        run.error, run.warning = error, warning
    return run


def _warning(connector: Connector) -> str | None:
    """The connector's warnings as one text for the run row, or None."""
    return "\n".join(connector.warnings) or None


def describe_run(run: ConnectorRun) -> str:
    """One line for the CLI and logs: counts, cursors and the error, if any."""
    counts = ", ".join(f"{name} {getattr(run, name)}" for name in COUNTS)
    text = (f"{run.connector}: run {run.id}: {counts}; cursor {_short(run.cursor_before)} -> "
            f"{_short(run.cursor_after)}")
    if run.warning:
        text = f"{text}; warning: {run.warning}"
    return f"{text}; error: {run.error}" if run.error else text


def _short(cursor: Any) -> str:
    text = "none" if cursor is None else str(cursor)
    return text if len(text) <= 120 else text[:117] + "..."


def _wall() -> dt.datetime:
    """Wall time for run bookkeeping, even when `now` is simulated."""
    return dt.datetime.now(dt.UTC)
