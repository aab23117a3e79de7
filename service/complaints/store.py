"""Receiving, assigning, answering and closing complaints; every step flushes, the caller commits.

Citizens send a complaint about their dossier from the lookup page (after the second factor)
or from the public form; clerks receive it, pass it to the handling body, answer and close it.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.complaints.policy import ComplaintPolicy, complaint_class
from service.models import Complaint, ComplaintSource, ComplaintStatus, Dossier

MAX_NAME = 100
MIN_CONTENT, MAX_CONTENT = 10, 2000
MIN_ANSWER, MAX_ANSWER = 10, 4000
MAX_NOTE = 500
MAX_HANDLER = 255
# Two citizens sending at the same second may draw the same number; the loser draws again.
CODE_ATTEMPTS = 20


class ComplaintError(ValueError):
    """A complaint cannot be sent or changed as asked; the message is Vietnamese, for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(field: str, label: str, value: str | None, low: int, high: int) -> str:
    """The trimmed text, or ComplaintError naming the field and the accepted length."""
    text = " ".join((value or "").split()) if field in ("name", "handler") else (
        (value or "").strip())
    if len(text) < low:
        raise ComplaintError(field, f"{label}: cần ít nhất {low} ký tự." if text
                             else f"{label}: chưa nhập.")
    if len(text) > high:
        raise ComplaintError(field, f"{label}: dài {len(text)} ký tự, tối đa {high} ký tự.")
    return text


def normalise_phone(value: str | None) -> str:
    """A Vietnamese phone number as 0 and 9–10 digits, from 09…, +849…, 849… or with spaces."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not re.fullmatch(r"0\d{9,10}", digits):
        raise ComplaintError("phone", "Số điện thoại không hợp lệ: cần 10 hoặc 11 chữ số, "
                                      "bắt đầu bằng 0 hoặc +84.")
    return digits


def submit_public(session: Session, policy: ComplaintPolicy, unit_id: int, name: str,
                  phone: str, content: str, now: dt.datetime) -> Complaint:
    """Record a complaint from the public form (no dossier)."""
    complaint = Complaint(
        unit_id=unit_id, dossier_id=None, source=ComplaintSource.PUBLIC,
        name=_text("name", "Họ và tên", name, 2, MAX_NAME), phone=normalise_phone(phone),
        content=_text("content", "Nội dung phản ánh, kiến nghị", content, MIN_CONTENT,
                      MAX_CONTENT))
    return _file(session, policy, complaint, now)


def submit_about_dossier(session: Session, policy: ComplaintPolicy, dossier_id: int,
                         content: str, now: dt.datetime) -> Complaint:
    """Record a complaint about a dossier whose holder proved it; one open at a time."""
    text = _text("content", "Nội dung phản ánh, kiến nghị", content, MIN_CONTENT, MAX_CONTENT)
    dossier = session.get_one(Dossier, dossier_id)
    if session.scalar(select(Complaint.code).where(Complaint.dossier_id == dossier_id,
                                                   Complaint.is_open == true())):
        raise ComplaintError("content", "Hồ sơ này đã có phản ánh, kiến nghị đang chờ trả lời; "
                                        "vui lòng chờ cơ quan trả lời phản ánh trước.")
    complaint = Complaint(
        unit_id=dossier.unit_id, dossier_id=dossier.id, source=ComplaintSource.LOOKUP,
        name=dossier.applicant_name, phone=dossier.applicant_phone, content=text,
        handler=dossier.handler)
    return _file(session, policy, complaint, now)


def _file(session: Session, policy: ComplaintPolicy, complaint: Complaint,
          now: dt.datetime) -> Complaint:
    """Give the complaint its clock and its code, and store it."""
    complaint.submitted_at = complaint.updated_at = now
    complaint.due_at, complaint.near_at = policy.due_at(now), policy.near_at(now)
    complaint.status, complaint.is_open = ComplaintStatus.NEW, True
    complaint.deadline_class = complaint_class(True, complaint.due_at, complaint.near_at, now)
    prefix = f"PAKN-{policy.calendar.local(now):%y%m%d}-"
    taken = session.scalar(select(func.count()).where(Complaint.code.like(f"{prefix}%"))) or 0
    for attempt in range(CODE_ATTEMPTS):
        complaint.code = f"{prefix}{taken + 1 + attempt:03d}"
        try:
            with session.begin_nested():
                session.add(complaint)
                session.flush()
            return complaint
        except IntegrityError:
            continue
    raise RuntimeError(f"no free complaint code after {prefix}{taken + CODE_ATTEMPTS:03d}")


def _check_open(complaint: Complaint) -> None:
    if not complaint.is_open:
        raise ComplaintError("status", f"Phản ánh {complaint.code} đã "
                                       f"{complaint.status.label.lower()}; không thể thay đổi.")


def _touch(complaint: Complaint, status: ComplaintStatus, now: dt.datetime) -> None:
    complaint.status, complaint.is_open = status, status.is_open
    complaint.deadline_class = complaint_class(complaint.is_open, complaint.due_at,
                                               complaint.near_at, now)
    complaint.updated_at = now


def receive(session: Session, complaint: Complaint, clerk: str, now: dt.datetime) -> None:
    """A clerk takes the complaint in; it keeps the clock it started with."""
    if complaint.status is not ComplaintStatus.NEW:
        raise ComplaintError("status", f"Phản ánh {complaint.code} đã được tiếp nhận.")
    complaint.received_at, complaint.received_by = now, clerk
    _touch(complaint, ComplaintStatus.RECEIVED, now)
    session.flush()


def assign(session: Session, complaint: Complaint, handler: str, clerk: str,
           now: dt.datetime) -> None:
    """Pass the complaint to the handling body that must answer it (again to change it)."""
    _check_open(complaint)
    complaint.handler = _text("handler", "Cơ quan giải quyết", handler, 2, MAX_HANDLER)
    if complaint.received_at is None:
        complaint.received_at, complaint.received_by = now, clerk
    complaint.assigned_at = now
    _touch(complaint, ComplaintStatus.ASSIGNED, now)
    session.flush()


def answer(session: Session, complaint: Complaint, text: str, by: str,
           now: dt.datetime) -> None:
    """Record the answer the citizen will read on the lookup page; this stops the clock."""
    _check_open(complaint)
    complaint.answer = _text("answer", "Nội dung trả lời", text, MIN_ANSWER, MAX_ANSWER)
    complaint.answered_at, complaint.answered_by = now, by
    if complaint.received_at is None:
        complaint.received_at, complaint.received_by = now, by
    _touch(complaint, ComplaintStatus.ANSWERED, now)
    session.flush()


def close(session: Session, complaint: Complaint, note: str, now: dt.datetime) -> None:
    """End the complaint; without an answer the note must say why (duplicate, out of scope)."""
    if complaint.status is ComplaintStatus.CLOSED:
        raise ComplaintError("status", f"Phản ánh {complaint.code} đã kết thúc.")
    low = 0 if complaint.answered_at else MIN_CONTENT
    label = "Ghi chú" if complaint.answered_at else "Lý do kết thúc khi chưa trả lời"
    complaint.close_note = _text("note", label, note, low, MAX_NOTE) or None
    complaint.closed_at = now
    _touch(complaint, ComplaintStatus.CLOSED, now)
    session.flush()
