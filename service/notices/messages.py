"""The Vietnamese texts of the notices, and the values ZNS templates are filled with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from service.models.notices import NoticeKind
from service.vocabulary import Status

# A note from the source or a procedure's name can be long; an SMS cannot (two GSM parts
# carry 306 characters).
NOTE_LIMIT = 120
NAME_LIMIT = 60
DESK = "Mời ông/bà liên hệ Bộ phận Một cửa"


@dataclass(frozen=True)
class Facts:
    """What a notice may say about its dossier; dates are already local calendar dates."""

    office: str
    code: str
    procedure: str
    applicant: str
    status: Status
    received: dt.date
    due: dt.date | None
    new_due: dt.date | None
    detail: str | None
    extension_reason: str | None
    secret: str
    lookup_url: str

    def reason(self, kind: NoticeKind) -> str | None:
        """The apology's reason for an apology, else the source's note (why it was refused)."""
        return self.extension_reason if kind is NoticeKind.APOLOGY else self.detail

    def values(self, kind: NoticeKind) -> dict[str, str]:
        """The named values a ZNS template's parameters are mapped to."""
        return {
            "office": self.office, "code": self.code, "procedure": self.procedure,
            "applicant": self.applicant, "received_date": _day(self.received),
            "due_date": _day(self.due), "new_due_date": _day(self.new_due),
            "missing": self.detail or "", "reason": self.reason(kind) or "",
            "secret": self.secret, "lookup_url": self.lookup_url, "status": self.status.label,
            "text": text(kind, self),
        }


def _day(day: dt.date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def _note(text: str | None, limit: int = NOTE_LIMIT) -> str:
    """A source's note, one line, cut for an SMS."""
    line = " ".join((text or "").split()).rstrip(".")
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"


def text(kind: NoticeKind, facts: Facts) -> str:
    """The notice as one Vietnamese text, with full diacritics."""
    head = f"{facts.office}: Hồ sơ {facts.code}"
    if kind is NoticeKind.RECEIVED:
        due = f", hẹn trả kết quả ngày {_day(facts.due)}" if facts.due else ""
        where = f" tại {facts.lookup_url}" if facts.lookup_url else ""
        return (f"{head} ({_note(facts.procedure, NAME_LIMIT)}) đã được tiếp nhận ngày "
                f"{_day(facts.received)}{due}. Mã tra cứu: {facts.secret}. "
                f"Tra cứu tiến độ{where} bằng mã hồ sơ và mã tra cứu.")
    if kind is NoticeKind.SUPPLEMENT:
        missing = f": {_note(facts.detail)}" if facts.detail else ""
        return f"{head} cần bổ sung, hoàn thiện giấy tờ{missing}. {DESK}."
    if kind is NoticeKind.APOLOGY:
        reason = facts.reason(kind)
        why = f" Lý do: {_note(reason)}." if reason else ""
        return (f"{facts.office} xin lỗi ông/bà: hồ sơ {facts.code} chưa giải quyết kịp hạn."
                f"{why} Ngày hẹn trả kết quả mới: {_day(facts.new_due)}.")
    if kind is NoticeKind.RESULT:
        return f"{head} đã có kết quả. Mời ông/bà đến Bộ phận Một cửa nhận kết quả."
    verb = "không được tiếp nhận" if facts.status is Status.NOT_ACCEPTED else "đã dừng xử lý"
    why = f" Lý do: {_note(facts.detail)}." if facts.detail else ""
    return f"{head} {verb}.{why} {DESK} để biết thêm chi tiết."


@dataclass(frozen=True)
class Answer:
    """What the notice of a complaint's answer may say."""

    office: str
    code: str
    dossier_code: str | None
    answer: str
    answered: dt.date
    lookup_url: str

    def text(self) -> str:
        """The answer as one Vietnamese text; the whole answer is on the lookup page."""
        about = f" về hồ sơ {self.dossier_code}" if self.dossier_code else ""
        where = f" tại {self.lookup_url}" if self.lookup_url else ""
        return (f"{self.office} trả lời phản ánh, kiến nghị {self.code}{about} ngày "
                f"{_day(self.answered)}: {_note(self.answer)}. Xem toàn văn{where} bằng mã "
                f"{self.code}.")

    def values(self) -> dict[str, str]:
        """The named values a ZNS template's parameters are mapped to."""
        return {"office": self.office, "code": self.code, "dossier_code": self.dossier_code or "",
                "answer": _note(self.answer), "answered_date": _day(self.answered),
                "lookup_url": self.lookup_url, "text": self.text()}
