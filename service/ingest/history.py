"""Bulk writes of a batch: dossier updates grouped by columns, and the history merge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from connectors.base import DossierRecord
from service.db import insert_rows
from service.models import Dossier, StatusEvent, SupplementRound

DOSSIER = Dossier.__table__
EVENTS = StatusEvent.__table__
EVENT_COLUMNS = ("dossier_id", "at", "status", "actor", "department", "note")


def updates_by_columns(updates: list[dict[str, Any]]) -> Iterator[tuple[Any, list[dict]]]:
    """One UPDATE ... WHERE id = :row_id per set of columns, with its rows as executemany."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in updates:
        groups.setdefault(tuple(sorted(k for k in values if k != "id")), []).append(values)
    for columns, rows in groups.items():
        statement = (update(DOSSIER).where(DOSSIER.c.id == bindparam("row_id"))
                     .values({name: bindparam(name) for name in columns}))
        yield statement, [{**row, "row_id": row["id"]} for row in rows]


def merge_history(session: Session, merges: list[tuple[int, DossierRecord]],
                  fresh: frozenset[int] = frozenset()) -> None:
    """Add history lines and supplement rounds not yet stored; never change old lines.

    `fresh` dossiers were inserted by this batch, so nothing of theirs needs looking up.
    Aware datetimes compare and hash by instant, so keys need no conversion to UTC; statuses
    are keyed by code, since an enum member hashes in Python.
    """
    merges = [(id_, r) for id_, r in merges if r.events or r.supplements]
    if not merges:
        return
    ids = [dossier_id for dossier_id, _ in merges if dossier_id not in fresh]
    known: set[tuple] = set()
    rounds: dict[tuple, SupplementRound | None] = {}
    if ids:
        known = {(dossier_id, at, status._value_) for dossier_id, at, status in session.execute(
            select(StatusEvent.dossier_id, StatusEvent.at, StatusEvent.status)
            .where(StatusEvent.dossier_id.in_(ids)))}
        rounds = {(r.dossier_id, r.requested_at): r for r in session.scalars(
            select(SupplementRound).where(SupplementRound.dossier_id.in_(ids)))}
    new_events, new_rounds = [], []
    for dossier_id, record in merges:
        for event in record.events:
            seen = len(known)
            known.add((dossier_id, event.at, event.status._value_))
            if len(known) > seen:  # a new line; one hash instead of two for `in` and `add`
                new_events.append((dossier_id, event.at, event.status, event.actor,
                                   event.department, event.note))
        for item in record.supplements:
            key = (dossier_id, item.requested_at)
            stored = rounds.get(key)
            if key not in rounds:
                new_rounds.append({"dossier_id": dossier_id, "requested_at": item.requested_at,
                                   "completed_at": item.completed_at, "note": item.note})
                rounds[key] = None
            elif stored is not None and stored.completed_at is None and item.completed_at:
                stored.completed_at = item.completed_at
    if new_events:
        insert_events(session, new_events)
    if new_rounds:
        session.execute(insert(SupplementRound.__table__), new_rounds)
    session.flush()


def insert_events(session: Session, events: list[tuple]) -> None:
    """Add history lines (dossier_id, at, status, actor, department, note) in one statement.

    History is most of what an ingest writes, four or five lines a dossier, and Core's
    per-row parameter handling made this insert a fifth of the ingest time; so the rows go
    straight to the driver, their instants and statuses converted by the columns' own types:
    the stored values are those Core would write (`insert_rows`: COPY on PostgreSQL).
    """
    dialect = session.connection().dialect
    instant = EVENTS.c.at.type.process_bind_param
    rows = [(dossier_id, instant(at, dialect), status._value_, actor, department, note)
            for dossier_id, at, status, actor, department, note in events]
    insert_rows(session, EVENTS.name, EVENT_COLUMNS, rows)


def db_reason(exc: IntegrityError | DataError) -> str:
    """The driver's first line only: SQLAlchemy's text would echo the row's personal data."""
    return str(exc.orig).strip().splitlines()[0][:300]
