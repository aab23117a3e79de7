"""The complaints' part of the deadline scan: reclassify what can have changed, report moves.

Like the dossier scan, it reads only what was written since the last scan and the complaints
whose near or due instant passed in between, each by an index range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, true, update
from sqlalchemy.orm import Session

from service.complaints.policy import complaint_class
from service.dossiers.classes import turned_near_sql, turned_overdue_sql
from service.models import Complaint
from service.vocabulary import DeadlineClass


@dataclass(frozen=True)
class ComplaintMove:
    """One complaint moved from one class to another (None: not open)."""

    complaint_id: int
    code: str
    before: DeadlineClass | None
    after: DeadlineClass | None
    due_at: dt.datetime


def scan_complaints(session: Session, previous: dt.datetime | None, now: dt.datetime,
                    recheck: dt.timedelta = dt.timedelta(hours=1)) -> list[ComplaintMove]:
    """Store the class of every complaint whose class can have changed; flush, no commit.

    `previous` is the previous scan's instant (None: look at every open or classified one);
    `recheck` widens the look at written complaints as the dossier scan does.
    """
    c = Complaint
    if previous is None:
        where = or_(c.is_open == true(), c.deadline_class.is_not(None))
    else:
        running = c.is_open == true()
        where = or_(c.updated_at > previous - recheck,
                    and_(running, turned_near_sql(c.near_at, previous, now)),
                    and_(running, turned_overdue_sql(c.due_at, previous, now)))
    rows = session.execute(select(c.id, c.code, c.is_open, c.due_at, c.near_at,
                                  c.deadline_class).where(where).order_by(c.id)).all()
    moves = []
    for row in rows:
        after = complaint_class(row.is_open, row.due_at, row.near_at, now)
        if after is not row.deadline_class and _compare_and_set(session, row.id,
                                                                row.deadline_class, after):
            moves.append(ComplaintMove(row.id, row.code, row.deadline_class, after, row.due_at))
    session.flush()
    return moves


def _compare_and_set(session: Session, complaint_id: int, before: DeadlineClass | None,
                     after: DeadlineClass | None) -> bool:
    """Move the complaint if it is still in `before`; a concurrent scan that won keeps its move."""
    current = (Complaint.deadline_class.is_(None) if before is None
               else Complaint.deadline_class == before)
    done = session.execute(update(Complaint).where(Complaint.id == complaint_id, current)
                           .values(deadline_class=after).returning(Complaint.id)
                           .execution_options(synchronize_session=False))
    return done.first() is not None
