"""The notices of a dossier as its page shows them, and the citizen's opt-out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from service.dossiers.lookup import normalise_code
from service.models import CitizenNotice, Dossier, NoticeAttempt, NoticeOptOut
from service.models.notices import NoticeKind, NoticeState
from service.models.scheduling import insert_ignoring_duplicates

OPTED_OUT = "Công dân đã từ chối nhận thông báo về hồ sơ này"
CHANNEL_LABELS = {"sms": "SMS", "zalo_zns": "Zalo (ZNS)"}
CITIZEN = "citizen"


@dataclass(frozen=True)
class Attempt:
    """One try on one channel."""

    channel: str
    at: dt.datetime
    provider_id: str | None
    error: str | None

    @property
    def channel_label(self) -> str:
        """The channel as clerks call it."""
        return CHANNEL_LABELS.get(self.channel, self.channel)


@dataclass(frozen=True)
class NoticeRecord:
    """One notice and its tries, oldest try first."""

    kind: NoticeKind
    event_at: dt.datetime
    state: NoticeState
    channel: str | None
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime
    reason: str | None
    tries: tuple[Attempt, ...]

    @property
    def channel_label(self) -> str:
        """The channel that delivered it, as clerks call it."""
        return CHANNEL_LABELS.get(self.channel or "", self.channel or "")


@dataclass(frozen=True)
class DossierNotices:
    """Everything the dossier page says about notices to the citizen."""

    consent: bool | None
    opted_out_at: dt.datetime | None
    opted_out_by: str | None
    notices: tuple[NoticeRecord, ...]

    @property
    def opted_out_label(self) -> str:
        """Who recorded the opt-out, in Vietnamese."""
        if self.opted_out_by == CITIZEN:
            return "công dân tự đăng ký trên trang tra cứu"
        return f"cán bộ {self.opted_out_by} ghi nhận"


def notices_of(session: Session, dossier: Dossier) -> DossierNotices:
    """The dossier's notices in the order of their events, with consent and opt-out."""
    opt_out = session.get(NoticeOptOut, dossier.id)
    return DossierNotices(
        consent=dossier.notice_consent, opted_out_at=opt_out.at if opt_out else None,
        opted_out_by=opt_out.by if opt_out else None,
        notices=_records(session, CitizenNotice.dossier_id == dossier.id))


def complaint_notices(session: Session, complaint_id: int) -> tuple[NoticeRecord, ...]:
    """The notice of a complaint's answer (none before it is answered), with its tries."""
    return _records(session, CitizenNotice.complaint_id == complaint_id)


def _records(session: Session, which: ColumnElement[bool]) -> tuple[NoticeRecord, ...]:
    rows = session.scalars(select(CitizenNotice).where(which)
                           .order_by(CitizenNotice.event_at, CitizenNotice.id)).all()
    tries: dict[int, list[Attempt]] = {row.id: [] for row in rows}
    for a in session.scalars(select(NoticeAttempt).where(NoticeAttempt.notice_id.in_(list(tries)))
                             .order_by(NoticeAttempt.at, NoticeAttempt.id)):
        tries[a.notice_id].append(Attempt(a.channel, a.at, a.provider_id, a.error))
    return tuple(NoticeRecord(r.kind, r.event_at, r.state, r.channel, r.sent_at,
                              r.next_attempt_at, r.reason, tuple(tries[r.id])) for r in rows)


def opt_out(session: Session, dossier_id: int, by: str, now: dt.datetime) -> bool:
    """Record that the citizen wants no more notices about this dossier; flush, no commit.

    Notices still waiting are marked not to be sent at once, so the page says so. Returns
    False when the citizen had already opted out.
    """
    added = insert_ignoring_duplicates(session, NoticeOptOut, [
        {"dossier_id": dossier_id, "at": now, "by": by[:255]}],
        returning=(NoticeOptOut.dossier_id,))
    session.execute(update(CitizenNotice).where(
        CitizenNotice.dossier_id == dossier_id, CitizenNotice.state == NoticeState.PENDING)
        .values(state=NoticeState.SKIPPED, reason=OPTED_OUT)
        .execution_options(synchronize_session=False))
    session.flush()
    return bool(added)


def opt_out_proven(session: Session, code: str, now: dt.datetime) -> bool:
    """The citizen's own opt-out from the lookup page, for a dossier whose second factor the
    lookup has just checked; False (and nothing recorded) when there is no such dossier."""
    dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == normalise_code(code)))
    if dossier_id is None:
        return False
    opt_out(session, dossier_id, CITIZEN, now)
    return True
