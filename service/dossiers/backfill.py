"""Fill the columns that revision 0004 added, for dossiers stored before it.

The migration cannot know the deployment's calendar (office hours, days off), so
`tthc-monitor db upgrade` calls this with the configured one. Both steps only touch rows that
still lack their values, so running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, selectinload

from service.deadlines import apology_late, finishing_instant
from service.dossiers.derive import (
    DeadlinePolicy,
    deadline_columns,
    dossier_input,
    handling_columns,
)
from service.dossiers.dues import original_due
from service.models import Dossier

CHUNK = 5000
HANDLING = ("handling_working_min", "handling_elapsed_min")


@dataclass(frozen=True)
class Backfilled:
    """How many rows each step filled."""

    late_apologies: int
    handling_times: int


def backfill(session: Session, policy: DeadlinePolicy, now: dt.datetime) -> Backfilled:
    """Judge apologies recorded before the late flag existed, and store handling times."""
    return Backfilled(_late_apologies(session, policy, now), _handling_times(session, policy))


def _late_apologies(session: Session, policy: DeadlinePolicy, now: dt.datetime) -> int:
    """Flag stored apologies recorded too late, and put back the due date they had moved."""
    rows = session.scalars(select(Dossier).where(
        Dossier.extension_due_at.is_not(None), Dossier.extension_issued_at.is_not(None),
        Dossier.extension_late.is_(False)).options(
        selectinload(Dossier.procedure), selectinload(Dossier.supplements))).all()
    flagged = 0
    for row in rows:
        moved = original_due(row, policy.report_due)
        if moved is None or not apology_late(policy.calendar, moved, row.extension_issued_at):
            continue
        row.extension_late = True
        for key, value in deadline_columns(policy, dossier_input(row), now).items():
            setattr(row, key, value)
        row.updated_at = now  # the scan then reclassifies it
        flagged += 1
    session.flush()
    return flagged


def _handling_times(session: Session, policy: DeadlinePolicy) -> int:
    """Store receipt-to-finish times of finished dossiers that have none, a chunk at a time."""
    finish = func.coalesce(Dossier.finished_at, Dossier.returned_at, Dossier.stopped_at)
    table = Dossier.__table__
    statement = (update(table).where(table.c.id == bindparam("row_id"))
                 .values({name: bindparam(f"new_{name}") for name in HANDLING}))
    done, after = 0, 0
    while True:
        rows = session.execute(select(
            Dossier.id, Dossier.received_at, Dossier.finished_at, Dossier.returned_at,
            Dossier.stopped_at).where(Dossier.id > after, Dossier.handling_working_min.is_(None),
                                      finish.is_not(None))
            .order_by(Dossier.id).limit(CHUNK)).all()
        if not rows:
            return done
        values = []
        for row in rows:
            end = finishing_instant(row.finished_at, row.returned_at, row.stopped_at)
            found = handling_columns(policy.calendar, row.received_at, end)
            values.append({"row_id": row.id, **{f"new_{k}": v for k, v in found.items()}})
        session.connection().execute(statement, values)
        done += len(rows)
        after = rows[-1].id
