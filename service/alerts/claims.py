"""Claims on deliveries and digests: taken before sending, given back, and reconciled.

A dispatcher claims rows for CLAIM_FOR so that two never send the same one. A claim left by a
dispatcher that died runs out, or is released at once when another scheduler takes the lease
over; an attempt recorded as started but never finished is marked uncertain, never resent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from service.models import AlertDelivery, AlertDigest, AlertMessage
from service.models.alerts import DeliveryState
from service.models.scheduling import claim as claim_rows
from service.models.scheduling import id_in

log = logging.getLogger(__name__)
CLAIM_FOR = dt.timedelta(minutes=10)
INTERRUPTED = "Tiến trình gửi dừng giữa chừng; có thể đã gửi nên không gửi lại để tránh trùng"


def claim(session: Session, model: type[AlertDelivery] | type[AlertDigest], now: dt.datetime,
          holder: str, limit: int) -> list[int]:
    """Claim ready rows for CLAIM_FOR; a row another dispatcher claimed first is not returned."""
    return claim_rows(session, model, DeliveryState.PENDING, now, holder, now + CLAIM_FOR, limit)


def reconcile_interrupted(session: Session, now: dt.datetime) -> int:
    """Mark attempts started but never recorded, whose claim is gone, as uncertain."""
    count = 0
    for model in (AlertDelivery, AlertDigest):
        rows = session.scalars(
            select(model).join(AlertMessage, AlertMessage.id == model.message_id).where(
                model.state == DeliveryState.PENDING, AlertMessage.sent_at.is_(None),
                AlertMessage.error.is_(None),
                or_(model.claimed_until.is_(None), model.claimed_until <= now))).all()
        for row in rows:
            row.state, row.attempts = DeliveryState.UNCERTAIN, row.attempts + 1
            row.claimed_until = row.claimed_by = None
            row.last_error = INTERRUPTED
            session.execute(update(AlertMessage).where(AlertMessage.id == row.message_id)
                            .values(error=INTERRUPTED)
                            .execution_options(synchronize_session=False))
            count += 1
    if count:
        log.warning("%d delivery(ies) interrupted mid-send marked uncertain, not resent", count)
    return count


def release_claims(session: Session, keep: str) -> int:
    """Release every pending claim not held by `keep`: its dispatcher lost the lease."""
    released = 0
    for model in (AlertDelivery, AlertDigest):
        result = session.execute(
            update(model).where(model.state == DeliveryState.PENDING,
                                model.claimed_by.is_not(None), model.claimed_by != keep)
            .values(claimed_until=None, claimed_by=None)
            .execution_options(synchronize_session=False))
        released += result.rowcount  # type: ignore[attr-defined]
    return released


def carried(session: Session, deliveries: Sequence[int], digest: int | None
            ) -> list[AlertDelivery | AlertDigest]:
    """The rows one message carries: its deliveries, and its digest if any."""
    rows: list[AlertDelivery | AlertDigest] = list(session.scalars(
        select(AlertDelivery).where(id_in(AlertDelivery.id, list(deliveries)))))
    if digest is not None:
        rows.append(session.get_one(AlertDigest, digest))
    return rows


def release(session: Session, rows: Sequence[AlertDelivery | AlertDigest]) -> None:
    """Give back claims untried, for the next run."""
    for row in rows:
        row.claimed_until = row.claimed_by = None
