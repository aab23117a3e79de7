"""The apology extension of a stored dossier: when it may be issued, and issuing it.

Decree 118/2025 Art. 19.6: a handling body that will be late sends the applicant a written
apology with a new date, once, no later than one day before the due date. The form and the
domain ask the same functions here. An apology recorded later is still recorded and printed
(the citizen is owed the letter and the new date) but marked late: it moves neither the
verdict nor the deadline class (`service.deadlines.apology_late`).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from service.calendar import WorkCalendar
from service.config.settings import Unit
from service.deadlines import (
    Extension,
    ExtensionError,
    apology_late,
    check_extension,
    with_extension,
)
from service.dossiers.derive import DeadlinePolicy, deadline_columns, dossier_input
from service.dossiers.dues import citizen_due
from service.models import Dossier
from service.vocabulary import LimitUnit

# "UBND xã Thanh Miện", "Ủy ban nhân dân phường Hòa Bình": the place is what follows.
UNIT_PREFIX = re.compile(r"^(ubnd|ủy ban nhân dân|uỷ ban nhân dân)\s+(xã|phường|thị trấn|"
                         r"đặc khu)\s+", re.IGNORECASE)


def letter_issuer(unit: Unit | None, unit_name: str, handler: str | None
                  ) -> tuple[str, str]:
    """The agency that signs the apology letter and the place it is dated in.

    Decree 118/2025 Art. 19.6 has the handling body apologise in writing, but a letter is
    issued by an agency: a body configured under the unit's `agencies` issues its own (the
    commune police), any other (a post such as "Công chức Tư pháp - Hộ tịch") writes in the
    name of the unit.
    """
    agency = (unit.agencies.get(handler or "") if unit else None) or unit_name
    place = (unit.place if unit else "") or UNIT_PREFIX.sub("", unit_name).strip()
    return agency, place

LATE_APOLOGY = ("Xin lỗi muộn: phiếu được lập sau thời hạn “chậm nhất 01 ngày trước hạn” "
                "(Nghị định 118/2025/NĐ-CP). Công dân vẫn nhận phiếu và ngày hẹn mới, nhưng hồ "
                "sơ vẫn tính theo hạn {due}: quá hạn nếu chưa giải quyết xong đến lúc đó.")


def extension_refusal(row: Dossier) -> str | None:
    """Why this dossier cannot be given an apology extension at all, in Vietnamese, or None."""
    problem = _refusal(row)
    return problem.vietnamese if problem else None


def _refusal(row: Dossier) -> ExtensionError | None:
    if row.extension_due_at is not None:
        return ExtensionError(
            f"dossier {row.code} was already extended once; a second extension is not allowed",
            "Hồ sơ đã được hẹn lại một lần; quy định chỉ cho phép hẹn lại một lần.")
    if not row.is_open or not row.status.is_open:
        return ExtensionError(
            f"dossier {row.code} is no longer being handled ({row.status.label}); "
            "its due date cannot be moved",
            f"Hồ sơ không còn đang giải quyết ({row.status.label}); không thể hẹn lại.")
    if row.procedure.limit_unit is LimitUnit.NONE:
        return ExtensionError(f"dossier {row.code}: its procedure sets no time limit",
                              "Thủ tục này không quy định thời hạn giải quyết; hồ sơ không có "
                              "hạn để hẹn lại.")
    return None


def late_if_recorded(row: Dossier, calendar: WorkCalendar, now: dt.datetime) -> bool:
    """Whether an apology recorded at `now` would be late for this dossier's due date."""
    moved = citizen_due(row)
    return moved is not None and apology_late(calendar, moved, now)


def check_new_due(row: Dossier, new_due_at: dt.datetime, calendar: WorkCalendar | None = None,
                  now: dt.datetime | None = None) -> bool:
    """Apply the extension rule to a proposed new date; ExtensionError says what is wrong.

    Returns whether the apology, recorded at `now`, would be late (False without a clock).
    """
    problem = _refusal(row)
    if problem is not None:
        raise problem
    moved = citizen_due(row)
    if moved is None:
        return False
    return check_extension(moved, new_due_at, None, calendar, now)


def issue_extension(session: Session, policy: DeadlinePolicy, row: Dossier,
                    new_due_at: dt.datetime, reason: str, signer: str,
                    now: dt.datetime) -> Dossier:
    """Record the one apology extension and, when in time, move the watched due date.

    Flushes, no commit. Raises ExtensionError for a second extension, a dossier no longer
    handled, or a date not after the due date it moves. A late apology is recorded with
    `extension_late` set and leaves the due date, the verdict and the class as they were.
    """
    check_new_due(row, new_due_at)
    inp = with_extension(policy.calendar, dossier_input(row), Extension(new_due_at, reason),
                         citizen_due(row), issued_at=now)
    row.extension_due_at, row.extension_reason = new_due_at, reason
    row.extension_signer, row.extension_issued_at = signer, now
    row.extension_late = inp.extension is not None and inp.extension.late
    for key, value in deadline_columns(policy, inp, now).items():
        setattr(row, key, value)
    row.updated_at = now
    session.flush()
    return row
