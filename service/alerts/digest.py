"""The daily digest: what is still open for each recipient, and who gets one today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, or_, select, true, update
from sqlalchemy.orm import Session

from service.alerts.messages import Item
from service.alerts.policy import AlertPolicy
from service.alerts.recipients import Directory
from service.dossiers.views import mask_name
from service.models import Alert, AlertDigest, Dossier, Procedure, ScanState
from service.models.alerts import AlertKind, DeliveryState
from service.models.scheduling import insert_ignoring_duplicates
from service.vocabulary import DeadlineClass

ITEM_COLUMNS = (Alert.recipient, Alert.kind, Alert.level, Dossier.id, Dossier.code,
                Procedure.name.label("procedure"), Dossier.applicant_name, Dossier.handler,
                Dossier.received_at, Dossier.due_at, Dossier.status, Dossier.deadline_class)
SEVERITY = {(AlertKind.NEAR, 1): 0, (AlertKind.APOLOGY, 1): 1, (AlertKind.OVERDUE, 1): 2,
            (AlertKind.OVERDUE, 2): 3}


def make_item(row: Any, kind: AlertKind, level: int, now: dt.datetime,
              policy: AlertPolicy) -> Item:
    """The item a message shows for a row read with ITEM_COLUMNS (or a complaint's delivery)."""
    overdue = kind in (AlertKind.OVERDUE, AlertKind.COMPLAINT_OVERDUE)
    late = policy.overdue_days(row.due_at, now) if overdue else 0
    apology = (policy.calendar.local(policy.apology_at(row.due_at)).date()
               if kind is AlertKind.APOLOGY else None)
    return Item(code=row.code, procedure=row.procedure,
                applicant=mask_name(row.applicant_name), handler=row.handler,
                received_at=row.received_at, due_at=row.due_at, status=row.status.label,
                kind=kind, level=level, overdue_days=late, apology_day=apology)


def current_item(row: Row[Any], now: dt.datetime, policy: AlertPolicy) -> Item | None:
    """What an alert of an open dossier means today, or None if nothing needs doing now."""
    if row.deadline_class is DeadlineClass.OVERDUE:
        level = row.level if row.kind is AlertKind.OVERDUE else 1
        return make_item(row, AlertKind.OVERDUE, level, now, policy)
    cal = policy.calendar
    if (row.kind is AlertKind.APOLOGY and row.deadline_class is not DeadlineClass.PAUSED
            and cal.local(policy.apology_at(row.due_at)).date() == cal.local(now).date()):
        return make_item(row, AlertKind.APOLOGY, 1, now, policy)
    if row.deadline_class is DeadlineClass.NEAR:
        return make_item(row, AlertKind.NEAR, 1, now, policy)
    return None


def open_items(session: Session, now: dt.datetime, policy: AlertPolicy,
               recipient: str | None = None) -> dict[str, list[Item]]:
    """Per recipient, the open dossiers they were alerted about, each once at its worst."""
    query = (select(*ITEM_COLUMNS).join(Dossier, Dossier.id == Alert.dossier_id)
             .join(Procedure, Procedure.id == Dossier.procedure_id)
             .where(Alert.cancelled_at.is_(None), Dossier.is_open == true(),
                    Dossier.due_at == Alert.due_at))
    if recipient is not None:
        query = query.where(Alert.recipient == recipient)
    best: dict[str, dict[int, Item]] = {}
    for row in session.execute(query):
        item = current_item(row, now, policy)
        if item is None:
            continue
        mine = best.setdefault(row.recipient, {})
        kept = mine.get(row.id)
        if kept is None or SEVERITY[(item.kind, item.level)] > SEVERITY[(kept.kind, kept.level)]:
            mine[row.id] = item
    return {key: sorted(items.values(), key=lambda i: (i.due_at, i.code))
            for key, items in best.items()}


DIGEST_STATE = "digest"


def first_digest_run(session: Session, now: dt.datetime, day: dt.date,
                     policy: AlertPolicy) -> bool:
    """Claim the preparation of day's digests: True for the first caller of the day only."""
    insert_ignoring_duplicates(session, ScanState, [{"name": DIGEST_STATE, "runs": 0}])
    start = policy.calendar.at(day, dt.time(0))
    claimed = session.execute(
        update(ScanState).where(ScanState.name == DIGEST_STATE, or_(
            ScanState.scanned_through.is_(None), ScanState.scanned_through < start))
        .values(scanned_through=now, runs=ScanState.runs + 1).returning(ScanState.name)
        .execution_options(synchronize_session=False))
    return claimed.first() is not None


def create_digests(session: Session, now: dt.datetime, day: dt.date, policy: AlertPolicy,
                   directory: Directory, channels: Collection[str]) -> int:
    """Add today's digest for each recipient with more open items than the threshold.

    The unique (recipient, channel, day) row keeps it to one a day, however often called.
    """
    rows = []
    for key, items in open_items(session, now, policy).items():
        recipient = directory.get(key)
        if recipient is None or len(items) <= policy.digest_threshold:
            continue
        rows.extend({"recipient": key, "channel": channel, "day": day, "created_at": now,
                     "next_attempt_at": now, "state": DeliveryState.PENDING, "attempts": 0}
                    for channel in recipient.channels if channel in channels)
    return len(insert_ignoring_duplicates(session, AlertDigest, rows,
                                          returning=(AlertDigest.id,)))
