"""Citizen lookup: a dossier code plus a second factor gives a plain-Vietnamese progress report.

A wrong code and a wrong second factor are indistinguishable: both run the same queries and the
same comparisons, and both return None.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session

from service.dossiers.classes import is_late
from service.dossiers.dues import citizen_due, original_due
from service.dossiers.views import mask_name
from service.models import CitizenRating, Dossier, Procedure, StatusEvent
from service.vocabulary import FINAL_STATUSES, Status

MAX_CODE_LENGTH = 64
MAX_FACTOR_LENGTH = 32
MAX_COMMENT_LENGTH = 1000
# Compared when there is no dossier or no phone, so failing costs the same as succeeding.
NO_MATCH = "\x00" * 8

STATUS_TEXTS: dict[Status, str] = {
    Status.REGISTERED: "Hồ sơ đã được đăng ký, đang chờ cán bộ tiếp nhận.",
    Status.ACCEPTED: "Hồ sơ đã được tiếp nhận và đang chuyển đến bộ phận giải quyết.",
    Status.NOT_ACCEPTED: "Hồ sơ không được tiếp nhận. Mời ông/bà liên hệ Bộ phận một cửa.",
    Status.PROCESSING: "Hồ sơ đang được xử lý tại {handler}.",
    Status.WAITING_SUPPLEMENT: "Hồ sơ cần bổ sung giấy tờ. Mời ông/bà liên hệ Bộ phận một cửa.",
    Status.WAITING_PAYMENT: "Hồ sơ đang chờ ông/bà nộp phí, lệ phí.",
    Status.WITHDRAWN: "Hồ sơ đã được rút theo yêu cầu của ông/bà.",
    Status.STOPPED: "Hồ sơ đã dừng xử lý. Mời ông/bà liên hệ Bộ phận một cửa.",
    Status.RESOLVED: "Đã có kết quả, mời ông/bà đến nhận.",
    Status.RETURNED: "Đã trả kết quả cho ông/bà.",
}
APOLOGY_NOTE = ("Cơ quan giải quyết đã gửi thư xin lỗi và hẹn lại ngày trả kết quả vì hồ sơ "
                "không giải quyết kịp hạn ban đầu.")
# A late apology (Decree 118/2025 asks for it at least one day before the due date) gives the
# citizen the new date but does not make the dossier on time.
LATE_APOLOGY_NOTE = ("Cơ quan giải quyết đã gửi thư xin lỗi và hẹn lại ngày trả kết quả, nhưng "
                     "thư được gửi muộn (sau thời hạn chậm nhất 01 ngày trước hạn): hồ sơ vẫn "
                     "tính là quá hạn so với hạn ban đầu.")
DEFAULT_HANDLER = "cơ quan giải quyết"


@dataclass(frozen=True)
class TimelineStep:
    """One step of the dossier's progress as the citizen sees it."""

    at: dt.datetime
    text: str


@dataclass(frozen=True)
class LookupResult:
    """What a citizen may see of a dossier: no ID number, phone, e-mail or address."""

    code: str
    procedure: str
    applicant: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    original_due_at: dt.datetime | None
    apology: str | None
    status_code: int
    status_text: str
    is_finished: bool
    is_late: bool
    timeline: list[TimelineStep]


def normalise_code(code: str) -> str:
    """The code as stored: trimmed and upper-case (receipts print it upper-case)."""
    return code.strip().upper()


def normalise_factor(factor: str) -> str:
    """The second factor without spaces or dashes, upper-case (secrets use A–Z and 2–9)."""
    return re.sub(r"[\s\-.]", "", factor).upper()


def phone_tail(phone: str | None) -> str:
    """The last four digits of a phone number, or a value nothing can match."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else NO_MATCH


# Everything the citizen may see, with the history, in one indexed query by code: wrong codes,
# wrong factors and right ones all run exactly this statement once. Built once so SQLAlchemy
# compiles it once.
DOSSIER_QUERY = (
    select(Dossier.id, Dossier.code, Dossier.applicant_phone, Dossier.lookup_secret,
           Dossier.applicant_name, Dossier.received_at, Dossier.due_at, Dossier.source_due_at,
           Dossier.statutory_due_at, Dossier.extension_due_at, Dossier.extension_late,
           Dossier.status, Dossier.handler,
           Dossier.outcome, Dossier.deadline_class, Dossier.finished_at, Dossier.returned_at,
           Procedure.name.label("procedure"), StatusEvent.at.label("event_at"),
           StatusEvent.status.label("event_status"))
    .join(Procedure, Procedure.id == Dossier.procedure_id)
    .outerjoin(StatusEvent, StatusEvent.dossier_id == Dossier.id)
    .where(Dossier.code == bindparam("code"))
    .order_by(StatusEvent.at)
)


def verify_rows(conn: Connection, code: str, factor: str) -> Sequence[Row[Any]]:
    """The dossier's rows (one per history line) if the factor matches; always the same work."""
    rows = conn.execute(DOSSIER_QUERY, {"code": normalise_code(code)}).all()
    row = rows[0] if rows else None
    given = normalise_factor(factor).encode()
    phone = phone_tail(row.applicant_phone if row else None).encode()
    secret = (row.lookup_secret.upper() if row and row.lookup_secret else NO_MATCH).encode()
    # Both comparisons run every time (no short-circuit), each in constant time.
    matched = hmac.compare_digest(given, phone) | hmac.compare_digest(given, secret)
    return rows if row is not None and matched and len(given) >= 4 else ()


def lookup(conn: Connection, code: str, factor: str, now: dt.datetime) -> LookupResult | None:
    """The citizen's view of a dossier, or None when the code or the factor is wrong.

    Takes a Core connection: the lookup only reads, and an ORM session costs it a third more.
    """
    rows = verify_rows(conn, code, factor)
    return describe(rows[0], rows, now) if rows else None


def describe(row: Any, rows: Sequence[Any], now: dt.datetime) -> LookupResult:
    """Turn the rows of DOSSIER_QUERY (the dossier, once per history line) into the view."""
    extended = row.extension_due_at is not None
    return LookupResult(
        code=row.code,
        procedure=row.procedure,
        applicant=mask_name(row.applicant_name),
        received_at=row.received_at,
        due_at=citizen_due(row),
        original_due_at=original_due(row, "source") if extended else None,
        apology=(LATE_APOLOGY_NOTE if row.extension_late else APOLOGY_NOTE) if extended else None,
        status_code=row.status.value,
        status_text=status_text(row.status, row.handler),
        is_finished=row.status in FINAL_STATUSES,
        is_late=is_late(row, now),
        timeline=[TimelineStep(r.event_at, r.event_status.label) for r in rows
                  if r.event_at is not None],
    )


def status_text(status: Status, handler: str | None) -> str:
    """The status in plain Vietnamese."""
    return STATUS_TEXTS[status].format(handler=handler or DEFAULT_HANDLER)


def rate(session: Session, code: str, factor: str, score: int, comment: str | None,
         now: dt.datetime) -> bool:
    """Record the citizen's rating of a dossier they proved they hold; False if not verified."""
    if not 1 <= score <= 5:
        raise ValueError("a rating is between 1 and 5")
    rows = verify_rows(session.connection(), code, factor)
    if not rows:
        return False
    dossier_id = rows[0].id
    text = (comment or "").strip()[:MAX_COMMENT_LENGTH] or None
    rating = session.scalar(select(CitizenRating).where(CitizenRating.dossier_id == dossier_id))
    if rating is None:
        rating = CitizenRating(dossier_id=dossier_id, created_at=now, score=score)
        session.add(rating)
    rating.score, rating.comment, rating.updated_at = score, text, now
    session.flush()
    return True
