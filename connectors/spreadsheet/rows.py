"""Turn one row of an export (values by canonical field) into a canonical record.

Every problem of the row is collected, not just the first, and each names its field and what
was expected, in Vietnamese: the row's number and column header are added by the table reader.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import DossierRecord, EventRecord
from connectors.spreadsheet.dates import read_moment, show_moment
from connectors.spreadsheet.headers import fold
from service.calendar.settings import DEFAULT_OFFICE_HOURS
from service.vocabulary import Channel, LimitUnit, Status

REQUIRED = ("code", "procedure_code", "applicant_name", "received_at", "status")
# What a clerk should put in an empty required cell.
EXPECTED = {
    "code": "mã hồ sơ in trên giấy tiếp nhận",
    "procedure_code": "mã thủ tục hành chính (vd. 1.001193)",
    "applicant_name": "tên người nộp hồ sơ",
    "received_at": "ngày tiếp nhận (dd/mm/yyyy hoặc dd/mm/yyyy hh:mm)",
    "status": "trạng thái hồ sơ (vd. «Đang xử lý»)",
}
# Status words seen on exports, by portal code; the code itself (1-10) is accepted too.
DEFAULT_STATUS_MAP: dict[str, int] = {
    "mới đăng ký": 1, "chờ tiếp nhận": 1, "được tiếp nhận": 2, "đã tiếp nhận": 2,
    "mới tiếp nhận": 2, "không được tiếp nhận": 3, "từ chối tiếp nhận": 3, "đang xử lý": 4,
    "đang giải quyết": 4, "chờ bổ sung": 5, "yêu cầu bổ sung": 5,
    "yêu cầu bổ sung giấy tờ": 5, "chờ thực hiện nghĩa vụ tài chính": 6,
    "yêu cầu thực hiện nghĩa vụ tài chính": 6, "chờ nộp phí": 6,
    "công dân yêu cầu rút hồ sơ": 7, "rút hồ sơ": 7, "đã rút hồ sơ": 7, "dừng xử lý": 8,
    "từ chối giải quyết": 8, "đã xử lý xong": 9, "đã có kết quả": 9, "chờ trả kết quả": 9,
    "đã trả kết quả": 10, "hoàn thành": 10, "đã hoàn thành": 10, "đã trả": 10,
}
DEFAULT_CHANNEL_MAP: dict[str, int] = {
    "trực tiếp": 1, "tại quầy": 1, "một cửa": 1, "trực tuyến": 2, "qua mạng": 2,
    "dịch vụ công trực tuyến": 2, "bưu chính": 3, "dịch vụ bưu chính": 3, "qua bưu điện": 3,
    "bưu chính công ích": 3,
}
# "5", "5 ngày", "05 ngày làm việc", "8 giờ", "Trong ngày".
LIMIT = re.compile(r"(\d+)\s*(ngay|gio)?\b.*")
SAME_DAY = ("trong ngay", "ngay trong ngay")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of a row."""

    field: str
    value: Any
    text: str


class RowProblems(ValueError):
    """A row that cannot become a record; carries every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.text for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class DayTimes:
    """The time of day a date without a time stands for."""

    due: dt.time = DEFAULT_OFFICE_HOURS[-1][1]
    other: dt.time = DEFAULT_OFFICE_HOURS[0][0]


class RowParser:
    """Builds records with the connector's unit, status and channel maps and day times."""

    def __init__(self, options: Mapping[str, Any], zone: ZoneInfo, times: DayTimes) -> None:
        self.options, self.zone, self.times = options, zone, times
        self.statuses = {fold(k): v for k, v in
                         {**DEFAULT_STATUS_MAP, **options["status_map"]}.items()}
        self.channels = {fold(k): v for k, v in
                         {**DEFAULT_CHANNEL_MAP, **options["channel_map"]}.items()}

    def record(self, values: Mapping[str, Any]) -> DossierRecord:
        """Build the record from non-empty values by field; RowProblems lists what is wrong."""
        problems: list[Problem] = [Problem(f, None, f"để trống, cần {EXPECTED[f]}")
                                   for f in REQUIRED if f not in values]
        found: dict[str, Any] = {}

        def read(field: str, parse: Any) -> None:
            if field in values:
                try:
                    found[field] = parse(values[field], field)
                except ValueError as exc:
                    problems.append(Problem(field, values[field], str(exc)))

        for field in ("received_at", "filed_at", "finished_at", "returned_at", "modified_at",
                      "source_due_at"):
            read(field, self.instant)
        read("status", self._status)
        read("channel", self._channel)
        read("limit_days", _limit)
        if problems:
            raise RowProblems(problems)
        return self._build(values, found)

    def _build(self, values: Mapping[str, Any], found: dict[str, Any]) -> DossierRecord:
        status, limit = found["status"], found.get("limit_days")
        code = cell_text(values["code"])
        events = [EventRecord(found["received_at"], Status.ACCEPTED, _text(values, "received_by"))]
        ending = {Status.RESOLVED: found.get("finished_at"),
                  Status.RETURNED: found.get("returned_at")}.get(status)
        if ending is not None:
            events.append(EventRecord(ending, status))
        stopped = status in (Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.STOPPED)
        return DossierRecord(
            code=code, source_id=code, unit_code=self.options["unit_code"],
            unit_name=self.options.get("unit_name"),
            procedure_code=cell_text(values["procedure_code"]),
            procedure_name=_text(values, "procedure_name") or "",
            domain_name=_text(values, "domain_name") or "",
            domain_code=_text(values, "domain_code"),
            limit_value=limit[0] if limit else None, limit_unit=limit[1] if limit else None,
            applicant_name=cell_text(values["applicant_name"]),
            applicant_id_no=_digits(values, "applicant_id_no", 12),
            applicant_phone=_digits(values, "applicant_phone", 10),
            applicant_email=_text(values, "applicant_email"),
            channel=found.get("channel", Channel(self.options["default_channel"])),
            handler=_text(values, "handler"), received_by=_text(values, "received_by"),
            summary=_text(values, "summary"), received_at=found["received_at"],
            filed_at=found.get("filed_at"), source_due_at=found.get("source_due_at"),
            status=status, source_status=cell_text(values["status"])[:64],
            finished_at=found.get("finished_at"), returned_at=found.get("returned_at"),
            stopped_at=found.get("modified_at") if stopped else None,
            source_modified_at=found.get("modified_at"), events=tuple(events))

    def instant(self, value: Any, field: str) -> dt.datetime:
        """A cell as an aware instant; a date alone is the close of office hours for a due
        date and the opening for the others. ValueError says what was expected."""
        moment = read_moment(value)
        if moment is None:
            raise ValueError(f"«{_shown(value)}» không phải ngày hợp lệ (dd/mm/yyyy)")
        if isinstance(moment, dt.datetime):
            if field == "source_due_at" and moment.time() == dt.time(0) and \
                    moment.tzinfo is None:
                # No office returns results at midnight: an exporter that writes a date into
                # a date-time column shows 00:00 for "that day".
                moment = moment.date()
            else:
                return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)
        clock = self.times.due if field == "source_due_at" else self.times.other
        return dt.datetime.combine(moment, clock, self.zone)

    def _status(self, value: Any, field: str) -> Status:
        return _coded(value, self.statuses, Status, (
            "trạng thái đã biết (vd. «Đang xử lý», «Đã trả kết quả» hoặc mã 1–10); nhờ quản trị "
            "viên thêm vào status_map trong cấu hình"))

    def _channel(self, value: Any, field: str) -> Channel:
        return _coded(value, self.channels, Channel, (
            "hình thức nộp đã biết («Trực tiếp», «Trực tuyến», «Bưu chính» hoặc mã 1–3); nhờ "
            "quản trị viên thêm vào channel_map trong cấu hình"))


def _coded(value: Any, words: dict[str, int], enum: Any, expected: str) -> Any:
    """A status or channel by its word on the export, or by its portal code."""
    text = cell_text(value)
    code = words.get(fold(text))
    if code is None and text.isdigit():
        code = int(text)
    try:
        return enum(code)
    except ValueError:
        raise ValueError(f"«{_shown(value)}» không phải {expected}") from None


def _limit(value: Any, field: str) -> tuple[int, LimitUnit]:
    """A time limit: working days by default, hours when it says "giờ", or the same day."""
    text = fold(cell_text(value))
    if text in SAME_DAY:
        return 0, LimitUnit.SAME_DAY
    match = LIMIT.fullmatch(text)
    if match is None:
        raise ValueError(f"«{_shown(value)}» không phải thời hạn giải quyết (vd. 5, «5 ngày "
                         "làm việc», «8 giờ» hoặc «Trong ngày»)")
    unit = LimitUnit.WORKING_HOURS if match.group(2) == "gio" else LimitUnit.WORKING_DAYS
    return int(match.group(1)), unit


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", surrounding spaces dropped."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _text(values: Mapping[str, Any], field: str) -> str | None:
    value = values.get(field)
    return None if value is None else cell_text(value) or None


def _digits(values: Mapping[str, Any], field: str, length: int) -> str | None:
    """A phone or identity number; a number cell lost its leading zero, which is put back."""
    value = values.get(field)
    text = _text(values, field)
    if isinstance(value, int | float) and text and text.isdigit() and len(text) == length - 1:
        return "0" + text
    return text


def _shown(value: Any) -> str:
    """A value as it is quoted back to a clerk: dates as dd/mm/yyyy, long text cut."""
    if isinstance(value, dt.datetime | dt.date):
        return show_moment(value)
    text = cell_text(value)
    return text if len(text) <= 60 else text[:57] + "…"
