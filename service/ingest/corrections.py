"""A clerk's correction of a quarantined record: its fields as a form, stored only when valid.

The form holds what a clerk can judge from the paper dossier: the code, the procedure chosen
from the catalogue, the portal status and the channel from their lists, the applicant, the
handling body and the dates as dd/mm/yyyy [hh:mm] (the office's way, whatever the browser's
locale). Every field is checked first, each error in Vietnamese beside its field; the corrected
item is then rebuilt and stored through the same ingest path as any other, and a refusal there
leaves the caller to roll back, so nothing is stored until the whole record is valid.

Two shapes of quarantined item can be corrected: canonical records (refused by the ingest path,
or pushed by a webhook) and spreadsheet rows (their cells by the file's headers). Other source
items, such as an OpenCPS answer, are re-read from their source on every cycle: they are fixed
there or by configuration, and re-run here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import FIELD_LABELS, Connector
from connectors.spreadsheet.headers import LABELS
from service.config.schema import office_times
from service.config.settings import Settings
from service.ingest import Deriver, quarantine
from service.ingest.records import MAX_LENGTHS
from service.ingest.shapes import Moment, Shape, shape_of
from service.models import Procedure, QuarantinedRecord
from service.vocabulary import Channel, Status

MOMENT = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})[:h](\d{2}))?")
MOMENT_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}( \d{1,2}:\d{2})?"
FORMAT = "dd/mm/yyyy hoặc dd/mm/yyyy hh:mm"
# Dates that cannot precede the receipt of the dossier.
AFTER_RECEIPT = ("source_due_at", "finished_at", "returned_at")


@dataclass(frozen=True)
class FormField:
    """One field of the form: its canonical name, how it is entered, whether it must be given."""

    name: str
    kind: str
    required: bool = False
    # Shown only when the item holds a value for it (a date column the export happened to have).
    always: bool = True

    @property
    def label(self) -> str:
        """The field's Vietnamese name."""
        return LABELS[self.name]


FIELDS = (
    FormField("code", "text", required=True),
    FormField("procedure_code", "procedure", required=True),
    FormField("applicant_name", "text", required=True),
    FormField("status", "status", required=True),
    FormField("channel", "channel", required=True),
    FormField("received_at", "moment", required=True),
    FormField("source_due_at", "moment"),
    FormField("finished_at", "moment"),
    FormField("returned_at", "moment"),
    FormField("handler", "text"),
    FormField("filed_at", "moment", always=False),
    FormField("source_modified_at", "moment", always=False),
    FormField("limit_days", "text", always=False),
)
EXPECTED = {
    "code": "mã hồ sơ in trên giấy tiếp nhận",
    "procedure_code": "thủ tục của hồ sơ, chọn trong danh mục",
    "applicant_name": "tên người nộp hồ sơ",
    "status": "trạng thái hồ sơ, chọn trong danh sách",
    "channel": "hình thức nộp, chọn trong danh sách",
    "received_at": f"ngày tiếp nhận ({FORMAT})",
}


@dataclass
class Correction:
    """The form of one quarantined item: the fields shown, values as text, errors by field."""

    item: QuarantinedRecord
    fields: tuple[FormField, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    # What the source item said, where the form had to translate it (a status word).
    hints: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # A refusal not tied to one field of the form (the ingest path's reason).
    problem: str | None = None
    stored: bool = False
    shape: Shape | None = field(default=None, repr=False)

    @property
    def editable(self) -> bool:
        """Whether the item can be corrected through the form."""
        return self.shape is not None


@dataclass(frozen=True)
class Context:
    """What checking a form needs: the catalogue, the office's zone and day times."""

    procedures: dict[str, str]
    zone: ZoneInfo
    due_time: dt.time
    other_time: dt.time

    @classmethod
    def load(cls, session: Session, settings: Settings) -> Context:
        """The catalogue from the database; zone and office hours from the settings."""
        times = office_times(settings.timezone, settings.calendar.office_hours)
        procedures = {code: name for code, name in session.execute(
            select(Procedure.code, Procedure.name).order_by(Procedure.code))}
        return cls(procedures, ZoneInfo(times["timezone"]),
                   dt.time.fromisoformat(times["due_time"]),
                   dt.time.fromisoformat(times["received_time"]))

    def instant(self, moment: Moment, name: str) -> dt.datetime:
        """The instant a date stands for: the close of office hours for a due date, else the
        opening, as the spreadsheet import reads a date without a time."""
        clock = moment.clock or (self.due_time if name == "source_due_at" else self.other_time)
        return dt.datetime.combine(moment.day, clock, self.zone)


def form_for(item: QuarantinedRecord, connector: Connector | None, context: Context
             ) -> Correction:
    """The form of an item, filled with what it holds; no fields when it has no known shape."""
    shape = shape_of(item, connector, context.zone)
    if shape is None:
        return Correction(item)
    values, hints = shape.read(item.payload)
    shown = tuple(f for f in FIELDS if f.name in shape.names and (f.always or values.get(f.name)))
    return Correction(item, shown, values, hints, shape=shape)


def check(correction: Correction, form: Mapping[str, str], context: Context
          ) -> dict[str, Any]:
    """Read the submitted values into the correction; return them parsed, errors noted."""
    correction.values = {f.name: (form.get(f.name) or "").strip() for f in correction.fields}
    correction.errors, parsed = {}, {}
    for item in correction.fields:
        text = correction.values[item.name]
        if not text:
            if item.required:
                correction.errors[item.name] = f"để trống, cần {EXPECTED[item.name]}"
            parsed[item.name] = None
            continue
        try:
            parsed[item.name] = _parse(item, text, context)
        except ValueError as exc:
            correction.errors[item.name] = str(exc)
    _check_order(correction, parsed, context)
    return parsed


def _parse(item: FormField, text: str, context: Context) -> Any:
    if item.kind == "moment":
        return read_moment(text)
    if item.kind == "procedure":
        if text not in context.procedures:
            raise ValueError(f"«{text}» chưa có trong danh mục thủ tục; chọn thủ tục đúng trong "
                             "danh sách, hoặc nhờ quản trị viên thêm thủ tục vào danh mục")
        return text
    if item.kind in ("status", "channel"):
        enum = Status if item.kind == "status" else Channel
        try:
            return enum(int(text))
        except ValueError:
            raise ValueError(f"«{text}» không có trong danh sách; {EXPECTED[item.name]}") from None
    limit = MAX_LENGTHS.get(item.name)
    if limit is not None and len(text) > limit:
        raise ValueError(f"dài {len(text)} ký tự, tối đa {limit} ký tự")
    return text


def read_moment(text: str) -> Moment:
    """A date typed as dd/mm/yyyy, with hh:mm or not; ValueError says what was expected."""
    match = MOMENT.fullmatch(text)
    if match is None:
        raise ValueError(f"«{text}» không đúng dạng ngày {FORMAT} (vd. 05/03/2026 08:15)")
    day, month, year, hour, minute = match.groups()
    try:
        date = dt.date(int(year), int(month), int(day))
        clock = dt.time(int(hour), int(minute)) if hour is not None else None
    except ValueError:
        raise ValueError(f"«{text}» không phải ngày giờ có thật ({FORMAT})") from None
    if not 1990 <= date.year <= 2100:
        raise ValueError(f"«{text}»: năm {date.year} không hợp lý cho một hồ sơ")
    return Moment(date, clock)


def _check_order(correction: Correction, parsed: dict[str, Any], context: Context) -> None:
    received = parsed.get("received_at")
    if not isinstance(received, Moment):
        return
    start = context.instant(received, "received_at")
    for name in AFTER_RECEIPT:
        value = parsed.get(name)
        if not isinstance(value, Moment) or context.instant(value, name) >= start:
            continue
        # The ingest path compares instants: a date alone on the day of receipt stands for a
        # time of day, which the clerk is told.
        assumed = "" if value.clock or value.day != received.day else \
            f"; ngày không ghi giờ được tính lúc {context.instant(value, name):%H:%M}, hãy ghi giờ"
        correction.errors[name] = (f"trước «{FIELD_LABELS['received_at']}» "
                                   f"({correction.values['received_at']}){assumed}; cần ngày giờ "
                                   "từ lúc tiếp nhận trở đi")


def correct(session: Session, item_id: int, form: Mapping[str, str], actor: str,
            now: dt.datetime, derive: Deriver,
            connector_for: Callable[[str], Connector | None], context: Context,
            store_check: quarantine.StoreCheck | None = None) -> Correction:
    """Check a clerk's form for an open item and, when all of it is valid, store the record.

    `stored` says whether it went in; otherwise the caller rolls back (nothing stays). A
    `store_check` refusing the record raises QuarantineError (see `quarantine.retry`).
    """
    item = quarantine.open_item(session, item_id)
    correction = form_for(item, connector_for(item.connector), context)
    shape = correction.shape
    if shape is None:
        raise quarantine.QuarantineError(f"mục cách ly số {item_id} không sửa được bằng biểu "
                                         "mẫu; hãy sửa ở hệ thống nguồn rồi nhập lại")
    parsed = check(correction, form, context)
    if correction.errors:
        return correction
    payload = shape.write(item.payload, parsed, correction.values, context.instant)
    # The procedure's name follows the code chosen from the catalogue.
    shape.set_name(payload, context.procedures[parsed["procedure_code"]])
    try:
        quarantine.rebuild(item.kind, item.connector, payload, connector_for)
    except ValueError as exc:
        correction.problem = str(exc)
        return correction
    quarantine.fix(session, item_id, payload, actor, now)
    result = quarantine.retry(session, [item_id], derive, now, connector_for, store_check)[0]
    correction.stored, correction.problem = result.resolved, result.reason
    return correction
