"""Find what citizens must be told from the dossiers' history, one notice a dossier and kind.

A dossier can have a new event only if it was written (its `updated_at` moved), so each run
reads the dossiers written since the last one, like the deadline scan, and the unique
(dossier, kind) row makes a rerun, or a second scheduler, add nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from service.models import (
    CitizenNotice,
    Complaint,
    Dossier,
    ScanState,
    StatusEvent,
    SupplementRound,
)
from service.models.notices import NoticeKind, NoticeState
from service.models.scheduling import id_in, insert_ignoring_duplicates, lock_run
from service.notices.policy import NoticePolicy
from service.vocabulary import Status

SCAN_NAME = "notices"
CHUNK = 5000
# The history lines a citizen hears about. Decree 118/2025/NĐ-CP has the centre tell the
# applicant of a supplement request, a refusal (with its reason) and the result.
KIND_OF = {Status.ACCEPTED: NoticeKind.RECEIVED, Status.WAITING_SUPPLEMENT: NoticeKind.SUPPLEMENT,
           Status.RESOLVED: NoticeKind.RESULT, Status.NOT_ACCEPTED: NoticeKind.REFUSED,
           Status.STOPPED: NoticeKind.REFUSED}
Moment = tuple[dt.datetime, str | None]


def collect(session: Session, policy: NoticePolicy, now: dt.datetime) -> int:
    """Add the notices of events not yet noticed; return how many; flush, the caller commits.

    Events older than the policy's age are left alone: a source connected today must not
    send its whole past to citizens.
    """
    previous = lock_run(session, SCAN_NAME)
    oldest = now - policy.max_event_age
    since = oldest if previous is None else max(previous - policy.recheck, oldest)
    ids = list(session.connection().scalars(
        select(Dossier.id).where(Dossier.updated_at > since).order_by(Dossier.id)))
    added = 0
    for start in range(0, len(ids), CHUNK):
        chunk, rows = ids[start:start + CHUNK], []
        # Known notices are left out before the insert, not only by its conflict clause:
        # PostgreSQL spends a sequence number on every row a conflict skips.
        known = {(row.dossier_id, row.kind) for row in session.execute(
            select(CitizenNotice.dossier_id, CitizenNotice.kind)
            .where(id_in(CitizenNotice.dossier_id, chunk)))}
        for dossier_id, kind, (at, detail) in _events(session, chunk):
            if kind in policy.kinds and at >= oldest and (dossier_id, kind) not in known:
                rows.append({"dossier_id": dossier_id, "kind": kind, "event_at": at,
                             "detail": detail, "created_at": now, "state": NoticeState.PENDING,
                             "attempts": 0, "next_attempt_at": policy.send_after(now)})
        added += len(insert_ignoring_duplicates(session, CitizenNotice, rows,
                                                returning=(CitizenNotice.id,)))
    if NoticeKind.ANSWER in policy.kinds:
        added += _answers(session, policy, max(since, oldest), now)
    state = session.get_one(ScanState, SCAN_NAME)
    if previous is None or now > previous:
        state.scanned_through = now
    session.flush()
    return added


def _answers(session: Session, policy: NoticePolicy, since: dt.datetime,
             now: dt.datetime) -> int:
    """Add a notice for each complaint answered since `since` whose sender gave a phone."""
    answered = session.execute(
        select(Complaint.id, Complaint.answered_at)
        .outerjoin(CitizenNotice, (CitizenNotice.complaint_id == Complaint.id)
                   & (CitizenNotice.kind == NoticeKind.ANSWER))
        .where(Complaint.answered_at > since, Complaint.phone.is_not(None),
               CitizenNotice.id.is_(None)))
    rows = [{"complaint_id": complaint_id, "kind": NoticeKind.ANSWER, "event_at": at,
             "detail": None, "created_at": now, "state": NoticeState.PENDING, "attempts": 0,
             "next_attempt_at": policy.send_after(now)} for complaint_id, at in answered]
    if not rows:
        return 0
    return len(insert_ignoring_duplicates(session, CitizenNotice, rows,
                                          returning=(CitizenNotice.id,)))


def _events(session: Session, ids: Sequence[int]) -> Iterable[tuple[int, NoticeKind, Moment]]:
    """Each dossier's first moment of each kind, with what the source said about it."""
    found: dict[tuple[int, NoticeKind], list[Moment]] = defaultdict(list)
    conn = session.connection()
    for line in conn.execute(select(StatusEvent.dossier_id, StatusEvent.at, StatusEvent.status,
                                    StatusEvent.note)
                             .where(id_in(StatusEvent.dossier_id, ids),
                                    StatusEvent.status.in_(list(KIND_OF)))):
        found[(line.dossier_id, KIND_OF[line.status])].append((line.at, line.note))
    for item in conn.execute(select(SupplementRound.dossier_id, SupplementRound.requested_at,
                                    SupplementRound.note)
                             .where(id_in(SupplementRound.dossier_id, ids))):
        found[(item.dossier_id, NoticeKind.SUPPLEMENT)].append((item.requested_at, item.note))
    for row in conn.execute(select(Dossier.id, Dossier.status, Dossier.received_at,
                                   Dossier.extension_issued_at, Dossier.finished_at,
                                   Dossier.stopped_at).where(id_in(Dossier.id, ids))):
        for kind, moment in _without_history(row, found):
            found[(row.id, kind)].append(moment)
    for (dossier_id, kind), moments in found.items():
        moments.sort(key=lambda m: m[0])
        notes = [note for _, note in moments if note]
        yield dossier_id, kind, (moments[0][0], notes[0] if notes else None)


def _without_history(row: Row[Any], found: dict[tuple[int, NoticeKind], list[Moment]]
                     ) -> Iterable[tuple[NoticeKind, Moment]]:
    """Moments the dossier row itself shows where its history has no line for them (some
    sources send no history); the apology's new date is never a history line."""
    if row.extension_issued_at is not None:
        yield NoticeKind.APOLOGY, (row.extension_issued_at, None)
    if (row.id, NoticeKind.RECEIVED) not in found and row.status not in (
            Status.REGISTERED, Status.NOT_ACCEPTED):
        yield NoticeKind.RECEIVED, (row.received_at, None)
    if (row.id, NoticeKind.RESULT) not in found and row.status is Status.RESOLVED \
            and row.finished_at is not None:
        yield NoticeKind.RESULT, (row.finished_at, None)
    if (row.id, NoticeKind.REFUSED) not in found and row.stopped_at is not None \
            and row.status in (Status.NOT_ACCEPTED, Status.STOPPED):
        yield NoticeKind.REFUSED, (row.stopped_at, None)
