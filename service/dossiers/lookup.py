"""Citizen lookup: a dossier code plus a second factor gives a plain-Vietnamese progress report.

The second factor is the last four digits of the phone on the dossier or the receipt's secret.
A wrong code and a wrong second factor are indistinguishable: both run the same one query and
the same comparisons, and both return None; only a match reads the history.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from service.db import DriverQuery
from service.dossiers.classes import is_late
from service.dossiers.dues import citizen_due, original_due
from service.dossiers.views import mask_name
from service.models import CitizenRating, Dossier, Procedure, StatusEvent
from service.vocabulary import FINAL_STATUSES, Status

MAX_CODE_LENGTH = 64
MAX_FACTOR_LENGTH = 32
MAX_COMMENT_LENGTH = 1000
# What may be typed as a second factor once spaces and dashes are gone: four digits (the phone)
# or eight letters and digits (the receipt's secret, drawn by service.ingest). Anything else is
# refused like a wrong factor, so no placeholder or control character can ever be compared.
PHONE_FACTOR = re.compile(r"[0-9]{4}")
SECRET_FACTOR = re.compile(r"[A-Z0-9]{8}")

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


def phone_tail(phone: str | None) -> str | None:
    """The last four digits of a phone number; None when it has fewer (no usable phone)."""
    digits = re.sub(r"[^0-9]", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else None


def usable_secret(secret: str | None) -> str | None:
    """The receipt's secret as it is typed, or None when the dossier has none of that shape."""
    value = (secret or "").upper()
    return value if SECRET_FACTOR.fullmatch(value) else None


def factor_matches(factor: str, phone: str | None, secret: str | None) -> bool:
    """Whether the typed factor is the phone's last four digits or the receipt's secret.

    An absent phone or secret (None) never matches: it is compared with the typed value itself
    so a mismatch costs what a match does, and the result is discarded. Real values are
    compared in constant time.
    """
    given = normalise_factor(factor)
    if PHONE_FACTOR.fullmatch(given):
        expected = phone_tail(phone)
    elif SECRET_FACTOR.fullmatch(given):
        expected = usable_secret(secret)
    else:
        expected = None
    same = hmac.compare_digest(given.encode(), (expected or given).encode())
    return expected is not None and same


# Everything the citizen may see of the dossier, in one indexed query by code: wrong codes,
# wrong factors and right ones all run exactly this statement once. Both statements run on the
# driver's cursor (service.db.DriverQuery): on the busiest public route SQLAlchemy's execution
# cost several times what the database itself does for them.
DOSSIER_QUERY = DriverQuery(
    select(Dossier.id, Dossier.code, Dossier.applicant_phone, Dossier.lookup_secret,
           Dossier.applicant_name, Dossier.received_at, Dossier.due_at, Dossier.source_due_at,
           Dossier.statutory_due_at, Dossier.extension_due_at, Dossier.extension_late,
           Dossier.status, Dossier.handler,
           Dossier.outcome, Dossier.deadline_class, Dossier.finished_at, Dossier.returned_at,
           Procedure.name.label("procedure"))
    .join(Procedure, Procedure.id == Dossier.procedure_id)
    .where(Dossier.code == bindparam("code"))
)
# The history, read only once the factor matched: fetching it for a wrong factor too would make
# a real code measurably slower to refuse than an unknown one.
HISTORY_QUERY = DriverQuery(
    select(StatusEvent.at, StatusEvent.status)
    .where(StatusEvent.dossier_id == bindparam("dossier_id"))
    .order_by(StatusEvent.at)
)


def verify(conn: Connection, code: str, factor: str) -> Any:
    """The dossier's row if the factor matches, else None; the same work either way."""
    row = DOSSIER_QUERY.first(conn, {"code": normalise_code(code)[:MAX_CODE_LENGTH]})
    phone, secret = (row.applicant_phone, row.lookup_secret) if row else (None, None)
    return row if factor_matches(factor, phone, secret) else None


def lookup(conn: Connection, code: str, factor: str, now: dt.datetime) -> LookupResult | None:
    """The citizen's view of a dossier, or None when the code or the factor is wrong.

    Takes a Core connection: the lookup only reads, and an ORM session costs it a third more.
    """
    row = verify(conn, code, factor)
    return None if row is None else progress(conn, row, now)


def lookup_proven(conn: Connection, code: str, now: dt.datetime) -> LookupResult | None:
    """The citizen's view of a dossier whose second factor was checked by an earlier lookup."""
    row = DOSSIER_QUERY.first(conn, {"code": normalise_code(code)[:MAX_CODE_LENGTH]})
    return None if row is None else progress(conn, row, now)


def progress(conn: Connection, row: Any, now: dt.datetime) -> LookupResult:
    """The view of a verified dossier row, with its history."""
    return describe(row, HISTORY_QUERY.rows(conn, {"dossier_id": row.id}), now)


def describe(row: Any, history: Sequence[Any], now: dt.datetime) -> LookupResult:
    """Turn a row of DOSSIER_QUERY and the rows of HISTORY_QUERY into the view."""
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
        timeline=[TimelineStep(step.at, step.status.label) for step in history],
    )


def status_text(status: Status, handler: str | None) -> str:
    """The status in plain Vietnamese."""
    return STATUS_TEXTS[status].format(handler=handler or DEFAULT_HANDLER)


def rate(session: Session, code: str, score: int, comment: str | None,
         now: dt.datetime) -> bool:
    """Record the citizen's rating of a dossier whose factor a lookup has checked; False if the
    dossier is gone."""
    if not 1 <= score <= 5:
        raise ValueError("a rating is between 1 and 5")
    dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == normalise_code(code)))
    if dossier_id is None:
        return False
    text = (comment or "").strip()[:MAX_COMMENT_LENGTH] or None
    rating = session.scalar(select(CitizenRating).where(CitizenRating.dossier_id == dossier_id))
    if rating is None:
        rating = CitizenRating(dossier_id=dossier_id, created_at=now, score=score)
        session.add(rating)
    rating.score, rating.comment, rating.updated_at = score, text, now
    session.flush()
    return True
