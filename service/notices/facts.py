"""Turn claimed notices into messages, or into the reason they must not be sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from service.models import CitizenNotice, Complaint, Dossier, NoticeOptOut, Procedure, Unit
from service.models.notices import NoticeKind, NoticeState
from service.models.scheduling import id_in
from service.notices import messages
from service.notices.phones import mobile_number
from service.notices.policy import NoticePolicy
from service.notices.record import OPTED_OUT
from service.notices.senders import Outgoing, Sender
from service.vocabulary import Status

COLUMNS = (CitizenNotice.id, CitizenNotice.kind, CitizenNotice.detail, Dossier.code,
           Dossier.applicant_name, Dossier.applicant_phone, Dossier.notice_consent,
           Dossier.status, Dossier.is_open, Dossier.received_at, Dossier.due_at,
           Dossier.extension_due_at, Dossier.extension_reason, Dossier.lookup_secret,
           Procedure.name.label("procedure"), Unit.name.label("unit"),
           NoticeOptOut.at.label("opted_out_at"))


@dataclass(frozen=True)
class Ready:
    """A claimed notice: its message, or why it is not to be sent."""

    notice_id: int
    kind: NoticeKind
    message: Outgoing | None = None
    skip: str | None = None


def prepare(session: Session, ids: Sequence[int], senders: Mapping[str, Sender],
            policy: NoticePolicy, now: dt.datetime) -> list[Ready]:
    """The claimed notices as messages; those not to be sent are marked skipped here."""
    if not ids:
        return []
    rows = session.execute(
        select(*COLUMNS).join(Dossier, Dossier.id == CitizenNotice.dossier_id)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .join(Unit, Unit.id == Dossier.unit_id)
        .outerjoin(NoticeOptOut, NoticeOptOut.dossier_id == Dossier.id)
        .where(id_in(CitizenNotice.id, ids)).order_by(CitizenNotice.next_attempt_at,
                                                        CitizenNotice.id))
    ready = [_ready(session, row, skip_reason(row, policy), senders, policy,
                    lambda row=row: _dossier_message(row, policy)) for row in rows]
    return ready + _answers(session, ids, senders, policy)


def _ready(session: Session, row: Row[Any], reason: str | None, senders: Mapping[str, Sender],
           policy: NoticePolicy, message: Callable[[], Outgoing]) -> Ready:
    """The notice's message, or it marked skipped with the reason it must not go."""
    reason = reason or _no_channel(row.kind, senders, policy)
    if reason is not None:
        return _skip(session, row.id, row.kind, reason)
    return Ready(row.id, row.kind, message())


def _dossier_message(row: Row[Any], policy: NoticePolicy) -> Outgoing:
    facts = facts_of(row, policy)
    return Outgoing(kind=row.kind.value, phone=mobile_number(row.applicant_phone) or "",
                    text=messages.text(row.kind, facts), values=facts.values(row.kind),
                    request_id=f"tthc-notice-{row.id}")


def _skip(session: Session, notice_id: int, kind: NoticeKind, reason: str) -> Ready:
    """Mark a claimed notice skipped, with why, for the page that shows it."""
    session.execute(update(CitizenNotice).where(CitizenNotice.id == notice_id).values(
        state=NoticeState.SKIPPED, reason=reason, claimed_until=None, claimed_by=None)
        .execution_options(synchronize_session=False))
    return Ready(notice_id, kind, skip=reason)


def _answers(session: Session, ids: Sequence[int], senders: Mapping[str, Sender],
             policy: NoticePolicy) -> list[Ready]:
    """The claimed notices of complaint answers, to the phone given with each complaint.

    The citizen gave that phone so as to be answered (Decree 13/2023/NĐ-CP: data used for
    the purpose it was given for); a refusal of notices about the dossier still holds.
    """
    rows = session.execute(
        select(CitizenNotice.id, CitizenNotice.kind, Complaint.code, Complaint.phone,
               Complaint.answer, Complaint.answered_at, Dossier.code.label("dossier_code"),
               Unit.name.label("unit"), NoticeOptOut.at.label("opted_out_at"))
        .join(Complaint, Complaint.id == CitizenNotice.complaint_id)
        .join(Unit, Unit.id == Complaint.unit_id)
        .outerjoin(Dossier, Dossier.id == Complaint.dossier_id)
        .outerjoin(NoticeOptOut, NoticeOptOut.dossier_id == Complaint.dossier_id)
        .where(id_in(CitizenNotice.id, ids)).order_by(CitizenNotice.next_attempt_at,
                                                        CitizenNotice.id))
    return [_ready(session, row, _answer_skip_reason(row), senders, policy,
                   lambda row=row: _answer_message(row, policy)) for row in rows]


def _answer_message(row: Row[Any], policy: NoticePolicy) -> Outgoing:
    answer = messages.Answer(office=policy.office_name or row.unit, code=row.code,
                             dossier_code=row.dossier_code, answer=row.answer or "",
                             answered=policy.calendar.local(row.answered_at).date(),
                             lookup_url=policy.lookup_url)
    return Outgoing(kind=row.kind.value, phone=mobile_number(row.phone) or "",
                    text=answer.text(), values=answer.values(),
                    request_id=f"tthc-notice-{row.id}")


def _answer_skip_reason(row: Row[Any]) -> str | None:
    if row.opted_out_at is not None:
        return OPTED_OUT
    if mobile_number(row.phone) is None:
        return "Phản ánh không có số điện thoại di động nhận được tin nhắn"
    return None


def skip_reason(row: Row[Any], policy: NoticePolicy) -> str | None:
    """Why this notice must not go, in Vietnamese for the dossier page, or None."""
    if row.opted_out_at is not None:
        return OPTED_OUT
    if row.notice_consent is False:
        return "Công dân không đồng ý nhận thông báo qua tin nhắn"
    if row.notice_consent is None and policy.consent_required:
        return "Chưa có sự đồng ý nhận thông báo của công dân"
    if mobile_number(row.applicant_phone) is None:
        return "Hồ sơ không có số điện thoại di động nhận được tin nhắn"
    if row.kind is NoticeKind.SUPPLEMENT and row.status is not Status.WAITING_SUPPLEMENT:
        return "Hồ sơ không còn chờ bổ sung"
    if row.kind is NoticeKind.RESULT and row.status is Status.RETURNED:
        return "Công dân đã nhận kết quả"
    if row.kind is NoticeKind.APOLOGY and not row.is_open:
        return "Hồ sơ đã kết thúc xử lý"
    return None


def _no_channel(kind: NoticeKind, senders: Mapping[str, Sender],
                policy: NoticePolicy) -> str | None:
    if any(name in senders and senders[name].supports(kind.value) for name in policy.channels):
        return None
    return "Chưa có kênh gửi hoặc mẫu tin cho loại thông báo này"


def facts_of(row: Row[Any], policy: NoticePolicy) -> messages.Facts:
    """What the notice may say, dates in the office's calendar."""
    cal = policy.calendar

    def day(instant: dt.datetime | None) -> dt.date | None:
        return cal.local(instant).date() if instant is not None else None

    return messages.Facts(
        office=policy.office_name or row.unit, code=row.code, procedure=row.procedure,
        applicant=row.applicant_name, status=row.status, received=cal.local(row.received_at)
        .date(), due=day(row.due_at), new_due=day(row.extension_due_at), detail=row.detail,
        extension_reason=row.extension_reason, secret=row.lookup_secret,
        lookup_url=policy.lookup_url)
