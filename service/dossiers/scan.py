"""The deadline scan: reclassify the open dossiers whose class can have changed, and record why.

Between two scans a dossier's class changes only if ingestion or a clerk wrote it (its
`updated_at` moved) or one of its own instants passed (`near_at` or `due_at` fell in the
interval since the last scan). Both are index range reads, so a scan costs what changed, not
what is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Row, insert, literal, or_, select, true, update
from sqlalchemy.orm import Session

from service.db import UTCDateTime
from service.dossiers.classes import deadline_class, turned_near_sql, turned_overdue_sql
from service.models import DeadlineTransition, Dossier, ScanState
from service.models.scheduling import id_in, lock_run
from service.models.types import CodeEnum
from service.vocabulary import DeadlineClass, Status

SCAN_NAME = "deadline"
CHUNK = 5000
# Moves that only the passing of time makes; their instant is the dossier's own due instant.
PROGRESSION = {DeadlineClass.WITHIN: 0, DeadlineClass.NEAR: 1, DeadlineClass.OVERDUE: 2}
COLUMNS = (Dossier.id, Dossier.code, Dossier.is_open, Dossier.status, Dossier.due_at,
           Dossier.near_at, Dossier.updated_at, Dossier.deadline_class)
PAUSED = tuple(status for status in Status if status.is_paused)
WITHIN, NEAR, OVERDUE = DeadlineClass.WITHIN, DeadlineClass.NEAR, DeadlineClass.OVERDUE


@dataclass(frozen=True)
class Transition:
    """One dossier moved from one class to another (None: not open)."""

    dossier_id: int
    code: str
    before: DeadlineClass | None
    after: DeadlineClass | None
    at: dt.datetime
    due_at: dt.datetime | None


@dataclass
class ScanResult:
    """What one scan looked at and what it changed."""

    now: dt.datetime
    previous: dt.datetime | None
    examined: int = 0
    transitions: list[Transition] = field(default_factory=list)
    # Dossiers written since the last scan (found through updated_at), changed class or not.
    changed_ids: set[int] = field(default_factory=set)


def entered_at(before: DeadlineClass | None, after: DeadlineClass | None, due_at: Any,
               near_at: Any, updated_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """When the dossier entered `after`: its own instant for a move forward in time, else the
    write that caused the move (an extension, a supplement request, the finish)."""
    instant = updated_at
    forward = after in PROGRESSION and (before is None or PROGRESSION.get(
        before, len(PROGRESSION)) < PROGRESSION[after])
    if forward and after is DeadlineClass.OVERDUE:
        instant = due_at
    elif forward and after is DeadlineClass.NEAR and near_at is not None:
        instant = near_at
    return min(instant, now)


def scan(session: Session, now: dt.datetime,
         recheck: dt.timedelta = dt.timedelta(hours=1)) -> ScanResult:
    """Reclassify what can have changed since the last scan; flush, the caller commits.

    Written dossiers are read and classified here; dossiers whose near or due instant passed
    move in SQL, one compare-and-set statement per (before, after) pair, so the common case
    (a day boundary) never carries rows through Python. `recheck` widens the look at written
    dossiers backwards: an ingest run stamps its start instant on rows it may commit minutes
    later, after a scan has already passed that instant.
    """
    previous = lock_run(session, SCAN_NAME)
    result = ScanResult(now=now, previous=previous)
    if previous is None:
        chunks: Iterable[Sequence[Row[Any]]] = _all_tracked(session)
    else:
        result.changed_ids = _changed_ids(session, previous - recheck)
        chunks = _rows(session, sorted(result.changed_ids))
    for rows in chunks:
        result.examined += len(rows)
        result.transitions.extend(_apply(session, rows, now))
    if previous is not None and now > previous:
        timed = _timed_moves(session, previous, now)
        result.examined += len(timed)
        result.transitions.extend(timed)
    state = session.get_one(ScanState, SCAN_NAME)
    if previous is None or now > previous:
        state.scanned_through = now
    session.flush()
    return result


def _changed_ids(session: Session, since: dt.datetime) -> set[int]:
    """Dossiers written since `since` that are open or still carry a class."""
    # Core reads (session.connection()): ORM result processing would double the cost.
    return set(session.connection().scalars(select(Dossier.id).where(
        Dossier.updated_at > since,
        or_(Dossier.is_open == true(), Dossier.deadline_class.is_not(None)))))


def _timed_moves(session: Session, previous: dt.datetime, now: dt.datetime
                 ) -> list[Transition]:
    """Moves made by time alone: the due or near instant passed since `previous`."""
    c = Dossier.__table__.c

    running = (c.is_open == true(), c.status.not_in(PAUSED))
    overdue = (*running, turned_overdue_sql(c.due_at, previous, now))
    moves = []
    for before in (None, WITHIN, NEAR):
        moves += _move(session, overdue, before, OVERDUE, c.due_at, now)
    not_overdue = or_(c.due_at.is_(None), c.due_at >= now)
    near = (*running, turned_near_sql(c.near_at, previous, now), not_overdue)
    for before in (None, WITHIN):
        moves += _move(session, near, before, NEAR, c.near_at, now)
    return moves


def _move(session: Session, where: tuple[ColumnElement[bool], ...],
          before: DeadlineClass | None, after: DeadlineClass, instant: Any,
          now: dt.datetime) -> list[Transition]:
    """Move the matching dossiers still in `before`, and record each move at its instant."""
    c = Dossier.__table__.c
    current = c.deadline_class.is_(None) if before is None else c.deadline_class == before
    rows = session.connection().execute(
        update(Dossier.__table__).where(*where, current).values(deadline_class=after)
        .returning(c.id, c.code, instant.label("at"), c.due_at)).all()
    ids = [row.id for row in rows]
    table = DeadlineTransition.__table__
    for start in range(0, len(ids), CHUNK):
        # INSERT ... SELECT: the instants go from row to row inside the database.
        session.connection().execute(insert(table).from_select(
            ["dossier_id", "at", "scanned_at", "before", "after", "due_at"],
            select(c.id, instant, literal(now, UTCDateTime()),
                   literal(before, CodeEnum(DeadlineClass)),
                   literal(after, CodeEnum(DeadlineClass)), c.due_at)
            .where(id_in(c.id, ids[start:start + CHUNK]))))
    return [Transition(row.id, row.code, before, after, row.at, row.due_at) for row in rows]


def _rows(session: Session, ids: list[int]) -> Iterator[Sequence[Row[Any]]]:
    """The rows of ids, a chunk at a time."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        yield session.connection().execute(select(*COLUMNS).where(id_in(Dossier.id, chunk))).all()


def _all_tracked(session: Session) -> Iterator[Sequence[Row[Any]]]:
    """Every open or still-classified dossier, a chunk at a time (only the very first scan)."""
    after = 0
    while True:
        rows = session.connection().execute(select(*COLUMNS).where(
            Dossier.id > after,
            or_(Dossier.is_open == true(), Dossier.deadline_class.is_not(None)))
            .order_by(Dossier.id).limit(CHUNK)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _apply(session: Session, rows: Sequence[Row[Any]], now: dt.datetime) -> list[Transition]:
    """Write the new classes of one chunk and record a transition for each real change."""
    moves: dict[tuple[DeadlineClass | None, DeadlineClass | None], list[Row[Any]]] = {}
    for row in rows:
        after = deadline_class(row.status, row.is_open, row.due_at, row.near_at, now)
        if after is not row.deadline_class:
            moves.setdefault((row.deadline_class, after), []).append(row)
    done: list[Transition] = []
    for (before, after), group in moves.items():
        applied = set(_compare_and_set(session, [row.id for row in group], before, after))
        done.extend(
            Transition(row.id, row.code, before, after,
                       entered_at(before, after, row.due_at, row.near_at, row.updated_at, now),
                       row.due_at)
            for row in group if row.id in applied)
    if done:
        session.connection().execute(DeadlineTransition.__table__.insert(), [
            {"dossier_id": t.dossier_id, "at": t.at, "scanned_at": now, "before": t.before,
             "after": t.after, "due_at": t.due_at} for t in done])
    return done


def _compare_and_set(session: Session, ids: list[int], before: DeadlineClass | None,
                     after: DeadlineClass | None) -> list[int]:
    """Move dossiers still in `before` to `after`; a concurrent scan that won keeps its move.

    `updated_at` stays: the class is derived, and moving the stamp would make every scan
    re-examine what the previous scan classified.
    """
    table = Dossier.__table__
    current = (table.c.deadline_class.is_(None) if before is None
               else table.c.deadline_class == before)
    statement = (update(table).where(id_in(table.c.id, ids), current)
                 .values(deadline_class=after).returning(table.c.id))
    return list(session.connection().scalars(statement))
