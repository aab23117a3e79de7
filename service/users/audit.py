"""What an edit changed, for the audit log: a dossier's fields before and after, field by field.

An audit entry keeps `changes`, a list of {field, old, new} with values as JSON (instants in
ISO 8601, statuses and channels as their codes). They may hold the applicant's personal data:
pages show them only to whoever may see the dossier, and mask them for roles without
personal data (see `shown_changes`).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import FIELD_LABELS
from service.models import Dossier, Procedure, Unit

# The dossier fields an edit is audited by, with the name clerks read (never the lookup secret
# or derived search keys).
AUDITED: dict[str, str] = {
    "code": FIELD_LABELS["code"], "unit": FIELD_LABELS["unit_code"],
    "procedure": FIELD_LABELS["procedure_code"], "applicant_name": FIELD_LABELS["applicant_name"],
    "applicant_id_no": FIELD_LABELS["applicant_id_no"],
    "applicant_phone": FIELD_LABELS["applicant_phone"],
    "applicant_email": FIELD_LABELS["applicant_email"], "status": FIELD_LABELS["status"],
    "channel": FIELD_LABELS["channel"], "handler": FIELD_LABELS["handler"],
    "received_by": FIELD_LABELS["received_by"], "summary": FIELD_LABELS["summary"],
    "filed_at": FIELD_LABELS["filed_at"], "received_at": FIELD_LABELS["received_at"],
    "source_due_at": FIELD_LABELS["source_due_at"], "due_at": "Hạn giải quyết",
    "finished_at": FIELD_LABELS["finished_at"], "returned_at": FIELD_LABELS["returned_at"],
    "stopped_at": FIELD_LABELS["stopped_at"],
    "extension_due_at": "Ngày hẹn trả mới (phiếu xin lỗi)",
    "extension_reason": "Lý do hẹn lại", "extension_signer": "Người ký phiếu xin lỗi",
    "extension_issued_at": "Ngày lập phiếu xin lỗi", "extension_late": "Xin lỗi muộn",
    "notice_opt_out": "Từ chối nhận thông báo",
    # A complaint's steps (phản ánh, kiến nghị).
    "complaint_status": "Trạng thái phản ánh", "complaint_handler": "Cơ quan giải quyết phản ánh",
    "complaint_received_by": "Người tiếp nhận phản ánh", "complaint_answer": "Nội dung trả lời",
    "complaint_answered_by": "Người trả lời", "complaint_close_note": "Ghi chú kết thúc",
}
COMPLAINT_FIELDS = ("status", "handler", "received_by", "answer", "answered_by", "close_note")
# Fields that are the applicant's personal data.
PERSONAL = frozenset({"applicant_name", "applicant_id_no", "applicant_phone", "applicant_email"})
_COLUMNS = [name for name in AUDITED if hasattr(Dossier, name) and name not in ("unit",)]


def json_value(value: Any) -> Any:
    """A value as the audit log stores it: instants in ISO 8601, enums as their code."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def dossier_values(session: Session, *, code: str | None = None,
                   dossier_id: int | None = None) -> tuple[int, dict[str, Any]] | None:
    """The dossier's id and audited fields as stored now (read from the database, not from
    objects the session may hold stale), or None when there is no such dossier."""
    columns = [getattr(Dossier, name) for name in _COLUMNS]
    query = (select(Dossier.id, Unit.code.label("unit"), Procedure.code.label("procedure"),
                    *columns)
             .join(Unit, Unit.id == Dossier.unit_id)
             .join(Procedure, Procedure.id == Dossier.procedure_id))
    query = query.where(Dossier.code == code) if code is not None \
        else query.where(Dossier.id == dossier_id)
    row = session.execute(query).mappings().first()
    if row is None:
        return None
    return row["id"], {name: json_value(row[name]) for name in AUDITED if name in row}


def complaint_values(complaint: Any) -> dict[str, Any]:
    """A complaint's audited fields as they are now."""
    return {f"complaint_{name}": json_value(getattr(complaint, name))
            for name in COMPLAINT_FIELDS}


def changes_between(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
                    ) -> list[dict[str, Any]]:
    """Each field whose value differs, as {field, old, new}; a missing side counts as empty."""
    before, after = before or {}, after or {}
    names = [name for name in AUDITED if name in before or name in after]
    names += sorted((set(before) | set(after)) - set(AUDITED))
    return [{"field": name, "old": before.get(name), "new": after.get(name)} for name in names
            if before.get(name) != after.get(name)]


class DossierEdit:
    """A dossier's audited fields taken before an edit, compared after it."""

    def __init__(self, session: Session, *, code: str | None = None,
                 dossier_id: int | None = None) -> None:
        self.session = session
        found = dossier_values(session, code=code, dossier_id=dossier_id)
        self.dossier_id, self.before = found if found else (None, None)

    def changes(self, *, code: str | None = None) -> list[dict[str, Any]]:
        """What the edit changed; `code` names the dossier when it was created or renamed."""
        if code is not None:
            found = dossier_values(self.session, code=code)
        else:
            found = dossier_values(self.session, dossier_id=self.dossier_id)
        if found is not None:
            self.dossier_id = found[0]
        return changes_between(self.before, found[1] if found else None)


def _word(value: Any, name: str, zone: ZoneInfo) -> Any:
    """A stored value as a clerk reads it: yes/no, an instant in office time."""
    if isinstance(value, bool):
        return "có" if value else "không"
    if name.endswith("_at") and isinstance(value, str):
        try:
            return f"{dt.datetime.fromisoformat(value).astimezone(zone):%d/%m/%Y %H:%M}"
        except ValueError:
            return value
    return value


def shown_changes(changes: list[dict[str, Any]] | None, personal: bool,
                  mask: Callable[[str | None], str], mask_name: Callable[[str], str],
                  zone: ZoneInfo) -> list[dict[str, Any]]:
    """The changes as a page lists them: the field's Vietnamese name, instants in office time,
    personal data masked unless `personal` (names as citizens see them, numbers to their
    last digits)."""
    shown = []
    for change in changes or []:
        name = change.get("field", "")
        old, new = change.get("old"), change.get("new")
        if not personal and name in PERSONAL:
            hide = mask_name if name == "applicant_name" else mask
            old, new = (hide(str(v)) if v not in (None, "") else v for v in (old, new))
        old, new = (_word(v, name, zone) for v in (old, new))
        shown.append({"field": name, "label": AUDITED.get(name, name), "old": old, "new": new})
    return shown
