"""What the scheduler keeps between runs: scan watermarks, deadline transitions, the lease."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.db import Base, UTCDateTime
from service.models.types import CodeEnum
from service.vocabulary import DeadlineClass


class ScanState(Base):
    """How far a periodic scan has got; its row is also the lock that serialises scans."""

    __tablename__ = "scan_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The `now` of the last scan: time-driven changes up to this instant are accounted for.
    scanned_through: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    runs: Mapped[int] = mapped_column(default=0)


class DeadlineTransition(Base):
    """An open dossier moved between deadline classes (None: it was not or is no longer open)."""

    __tablename__ = "deadline_transition"
    __table_args__ = (Index("ix_deadline_transition_dossier_at", "dossier_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"))
    # When the dossier entered the new class as far as its data tells (a due instant for the
    # time-driven moves, the write that caused it for the others); never after `scanned_at`.
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    scanned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    before: Mapped[DeadlineClass | None] = mapped_column(CodeEnum(DeadlineClass))
    after: Mapped[DeadlineClass | None] = mapped_column(CodeEnum(DeadlineClass))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


# The one lease the scheduler processes compete for.
SCHEDULER_LEASE = "scheduler"


class SchedulerLease(Base):
    """The right to run scheduled jobs, held by one process until it stops renewing it."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


def insert_ignoring_duplicates(session: Session, model: type[Base], rows: Sequence[dict[str, Any]],
                               returning: Sequence[Any] = ()) -> list[Any]:
    """Insert rows, skipping any that would break a unique constraint; return the new ones.

    Two scanners or a rerun may try to add the same row: the database, not a prior read,
    decides which insert wins, so nothing is ever recorded twice.
    """
    if not rows:
        return []
    connection = session.connection()  # Core: the ORM's bulk bookkeeping costs more here
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = module.insert(model.__table__).on_conflict_do_nothing()
    if not returning:
        connection.execute(statement, list(rows))
        return []
    return list(connection.execute(statement.returning(*returning), list(rows)))


def id_in(column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """`column IN (ids)` with the integers written into the SQL.

    Thousands of placeholders cost psycopg more to parse than the query costs to run, and
    SQLite caps their number; integer ids are safe to inline.
    """
    return column.in_(bindparam(None, [int(i) for i in ids], expanding=True,
                                literal_execute=True))


def lock_run(session: Session, name: str) -> dt.datetime | None:
    """Take a periodic run's row lock and return how far its last run got.

    A write first, so SQLite never upgrades a read snapshot and PostgreSQL holds the row
    until the caller commits: a second run of the same name waits instead of interleaving.
    """
    insert_ignoring_duplicates(session, ScanState, [{"name": name, "runs": 0}])
    session.execute(update(ScanState).where(ScanState.name == name)
                    .values(runs=ScanState.runs + 1)
                    .execution_options(synchronize_session=False))
    return session.scalar(select(ScanState.scanned_through).where(ScanState.name == name))


def claim(session: Session, model: Any, pending: Any, now: dt.datetime, holder: str,
          until: dt.datetime, limit: int) -> list[int]:
    """Claim up to `limit` rows due at now (state `pending`, next_attempt_at passed, no live
    claim) for `holder` until `until`; a row another dispatcher claimed first is left out."""
    ready = (model.state == pending, model.next_attempt_at <= now,
             or_(model.claimed_until.is_(None), model.claimed_until <= now))
    ids = list(session.scalars(select(model.id).where(*ready)
                               .order_by(model.next_attempt_at, model.id).limit(limit)))
    if not ids:
        return []
    return list(session.scalars(
        update(model).where(id_in(model.id, ids), *ready)
        .values(claimed_until=until, claimed_by=holder).returning(model.id)
        .execution_options(synchronize_session=False)))
