"""What a citizen sees of complaints: theirs about a dossier, or one looked up by its code.

A complaint looked up by code needs the last four digits of the phone given with it; a wrong
code and a wrong factor run the same query and comparison and give the same None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from service.dossiers.lookup import factor_matches, normalise_code
from service.dossiers.views import mask_name
from service.models import Complaint, ComplaintStatus, Dossier, Unit

PREFIX = "PAKN-"
STATUS_TEXTS = {
    ComplaintStatus.NEW: "Đã nhận phản ánh, kiến nghị; đang chờ cán bộ tiếp nhận.",
    ComplaintStatus.RECEIVED: "Cán bộ đã tiếp nhận phản ánh, kiến nghị và đang xem xét.",
    ComplaintStatus.ASSIGNED: "Phản ánh, kiến nghị đã được chuyển đến {body} để trả lời.",
    ComplaintStatus.ANSWERED: "{body} đã trả lời phản ánh, kiến nghị.",
    ComplaintStatus.CLOSED: "Phản ánh, kiến nghị đã được xử lý xong.",
}


@dataclass(frozen=True)
class CitizenComplaint:
    """A complaint as its sender sees it: no phone, masked name, the answer once given."""

    code: str
    name: str
    dossier_code: str | None
    submitted_at: dt.datetime
    due_at: dt.datetime
    status_text: str
    body: str
    answer: str | None
    answered_at: dt.datetime | None
    close_note: str | None
    is_open: bool


COLUMNS = (Complaint.code, Complaint.name, Complaint.phone, Complaint.submitted_at,
           Complaint.due_at, Complaint.status, Complaint.is_open, Complaint.handler,
           Complaint.answer, Complaint.answered_at, Complaint.close_note,
           Unit.name.label("unit_name"), Dossier.code.label("dossier_code"))
BY_CODE = (select(*COLUMNS).join(Unit, Unit.id == Complaint.unit_id)
           .outerjoin(Dossier, Dossier.id == Complaint.dossier_id)
           .where(Complaint.code == bindparam("code")))
BY_DOSSIER = (select(*COLUMNS).join(Unit, Unit.id == Complaint.unit_id)
              .join(Dossier, Dossier.id == Complaint.dossier_id)
              .where(Dossier.code == bindparam("code")).order_by(Complaint.submitted_at.desc()))


def is_complaint_code(code: str) -> bool:
    """Whether a code typed into the lookup is a complaint's (PAKN-…) rather than a dossier's."""
    return normalise_code(code).startswith(PREFIX)


def describe(row: Any) -> CitizenComplaint:
    """The citizen's view of one row of BY_CODE or BY_DOSSIER."""
    body = row.handler or row.unit_name
    return CitizenComplaint(
        code=row.code, name=mask_name(row.name), dossier_code=row.dossier_code,
        submitted_at=row.submitted_at, due_at=row.due_at,
        status_text=STATUS_TEXTS[row.status].format(body=body), body=body,
        answer=row.answer, answered_at=row.answered_at, close_note=row.close_note,
        is_open=row.is_open)


def complaints_of_dossier(conn: Connection, dossier_code: str) -> list[CitizenComplaint]:
    """The complaints about a dossier, newest first (call only once its holder is verified)."""
    return [describe(row) for row in conn.execute(BY_DOSSIER, {"code": dossier_code})]


def lookup_complaint(conn: Connection, code: str, factor: str) -> CitizenComplaint | None:
    """The complaint with this code if the factor is the last four digits of its phone."""
    row = conn.execute(BY_CODE, {"code": normalise_code(code)}).first()
    # A complaint has no receipt secret: only its phone's last four digits open it.
    matched = factor_matches(factor, row.phone if row else None, None)
    return describe(row) if row is not None and matched else None
