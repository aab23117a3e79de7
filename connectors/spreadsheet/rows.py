"""Read the rows of a clerk's XLSX or CSV export and turn them into canonical records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from connectors.base import DossierRecord, EventRecord
from service.vocabulary import Channel, LimitUnit, Status

# Canonical field -> the headers one-stop systems put on their exports.
DEFAULT_COLUMNS: dict[str, list[str]] = {
    "code": ["Mã hồ sơ", "Số hồ sơ", "Mã HS"],
    "procedure_code": ["Mã thủ tục", "Mã TTHC"],
    "procedure_name": ["Tên thủ tục", "Thủ tục", "Tên TTHC"],
    "domain_name": ["Lĩnh vực"],
    "applicant_name": ["Chủ hồ sơ", "Người nộp", "Tên người nộp", "Người đứng tên"],
    "applicant_id_no": ["Số giấy tờ", "Số CCCD", "CCCD/CMND", "Số CMND/CCCD"],
    "applicant_phone": ["Số điện thoại", "Điện thoại"],
    "applicant_email": ["Email", "Thư điện tử"],
    "received_at": ["Ngày tiếp nhận", "Ngày nhận"],
    "source_due_at": ["Ngày hẹn trả", "Hẹn trả"],
    "finished_at": ["Ngày kết thúc xử lý", "Ngày có kết quả", "Ngày hoàn thành"],
    "returned_at": ["Ngày trả kết quả", "Ngày trả"],
    "modified_at": ["Ngày cập nhật", "Cập nhật lúc"],
    "status": ["Trạng thái", "Tình trạng"],
    "channel": ["Hình thức nộp", "Kênh nộp", "Kênh"],
    "handler": ["Đơn vị xử lý", "Cơ quan giải quyết", "Phòng ban xử lý"],
    "received_by": ["Người tiếp nhận", "Cán bộ tiếp nhận"],
    "limit_days": ["Thời hạn giải quyết", "Số ngày giải quyết"],
    "summary": ["Trích yếu", "Nội dung"],
}
REQUIRED = ("code", "procedure_code", "applicant_name", "received_at", "status")
# Status words seen on exports, by the portal's TrangThaiHoSo code; the code itself is
# accepted too.
DEFAULT_STATUS_MAP: dict[str, int] = {
    "mới đăng ký": 1, "chờ tiếp nhận": 1, "được tiếp nhận": 2, "đã tiếp nhận": 2,
    "mới tiếp nhận": 2, "không được tiếp nhận": 3, "từ chối tiếp nhận": 3, "đang xử lý": 4,
    "đang giải quyết": 4, "chờ bổ sung": 5, "yêu cầu bổ sung": 5,
    "yêu cầu bổ sung giấy tờ": 5, "chờ thực hiện nghĩa vụ tài chính": 6,
    "yêu cầu thực hiện nghĩa vụ tài chính": 6, "chờ nộp phí": 6,
    "công dân yêu cầu rút hồ sơ": 7, "rút hồ sơ": 7, "dừng xử lý": 8,
    "từ chối giải quyết": 8, "đã xử lý xong": 9, "đã có kết quả": 9, "chờ trả kết quả": 9,
    "đã trả kết quả": 10, "hoàn thành": 10,
}
DEFAULT_CHANNEL_MAP: dict[str, int] = {
    "trực tiếp": 1, "tại quầy": 1, "trực tuyến": 2, "qua mạng": 2, "dịch vụ công trực tuyến": 2,
    "bưu chính": 3, "dịch vụ bưu chính": 3, "qua bưu điện": 3,
}
DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%H:%M:%S %d/%m/%Y", "%H:%M %d/%m/%Y",
                "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M:%S")
DAY_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
# "08 giờ 15 phút, ngày 03/03/2025" as printed on receipts.
SPOKEN = re.compile(r"(\d{1,2})\s*giờ\s*(\d{1,2})?\s*(?:phút)?\D*?(\d{1,2})/(\d{1,2})/(\d{4})")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# The common forms, read without strptime's per-call pattern work: day first, then time.
DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
                       r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
TIME_FIRST = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(\d{1,2})/(\d{1,2})/(\d{4})$")


def normalise(text: Any) -> str:
    """Header or value as compared: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def read_rows(path: Path, sheet: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """Yield (1-based row number, cell values) of an .xlsx or .csv file."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            pages = book[sheet] if sheet else book.worksheets[0]
            for number, values in enumerate(pages.iter_rows(values_only=True), start=1):
                yield number, list(values)
        finally:
            book.close()
        return
    if path.suffix.lower() != ".csv":
        raise ValueError(f"{path.name}: only .xlsx and .csv exports can be read")
    text = _decode(path.read_bytes())
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    for number, values in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        yield number, values


def count_rows(path: Path) -> int | None:
    """Rows in the file, for a progress bar; None when it cannot be known cheaply."""
    if path.suffix.lower() == ".csv":
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    try:
        book = load_workbook(path, read_only=True)
        try:
            return book.worksheets[0].max_row
        finally:
            book.close()
    except (OSError, ValueError, KeyError):
        return None


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) as exports should be; Windows-1258 as older ones are."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1258")


def find_header(rows: list[tuple[int, list[Any]]], columns: dict[str, list[str]]
                ) -> tuple[int, dict[str, int]] | None:
    """Find the header row (titles often sit above it): the first row naming the code column."""
    wanted = {normalise(name): field for field, names in columns.items() for name in names}
    for number, values in rows:
        found: dict[str, int] = {}
        for index, value in enumerate(values):
            field = wanted.get(normalise(value)) if value is not None else None
            if field and field not in found:
                found[field] = index
        if "code" in found:
            return number, found
    return None


class RowParser:
    """Turns a row (header -> value) into a DossierRecord with the connector's maps."""

    def __init__(self, options: dict[str, Any], zone: ZoneInfo) -> None:
        self.options, self.zone = options, zone
        self.columns = {**DEFAULT_COLUMNS, **options["columns"]}
        self.by_header = {normalise(name): field for field, names in self.columns.items()
                          for name in names}
        self.statuses = {normalise(k): v for k, v in
                         {**DEFAULT_STATUS_MAP, **options["status_map"]}.items()}
        self.channels = {normalise(k): v for k, v in
                         {**DEFAULT_CHANNEL_MAP, **options["channel_map"]}.items()}

    def fields(self, row: dict[str, Any]) -> dict[str, Any]:
        """Values by canonical field from a row keyed by its headers."""
        found: dict[str, Any] = {}
        for header, value in row.items():
            field = self.by_header.get(normalise(header))
            if field and field not in found and value not in (None, ""):
                found[field] = value
        return found

    def record(self, row: dict[str, Any]) -> DossierRecord:
        """Build the record; ValueError names the column and the value at fault."""
        values = self.fields(row)
        missing = [self.columns[f][0] for f in REQUIRED if f not in values]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        received = self.instant(values, "received_at")
        status = self._coded(values, "status", self.statuses, Status)
        finished, returned = self.instant(values, "finished_at"), self.instant(values,
                                                                              "returned_at")
        limit = self._limit(values)
        code = _cell_text(values["code"])
        events = [EventRecord(received, Status.ACCEPTED, _text(values, "received_by"))]
        ending = {Status.RESOLVED: finished, Status.RETURNED: returned}.get(status)
        if ending is not None:
            events.append(EventRecord(ending, status))
        return DossierRecord(
            code=code, source_id=code, unit_code=self.options["unit_code"],
            unit_name=self.options.get("unit_name"),
            procedure_code=_cell_text(values["procedure_code"]),
            procedure_name=_text(values, "procedure_name") or "",
            domain_name=_text(values, "domain_name") or "",
            limit_value=limit, limit_unit=LimitUnit.WORKING_DAYS if limit is not None else None,
            applicant_name=_cell_text(values["applicant_name"]),
            applicant_id_no=_text(values, "applicant_id_no"),
            applicant_phone=_text(values, "applicant_phone"),
            applicant_email=_text(values, "applicant_email"),
            channel=(self._coded(values, "channel", self.channels, Channel)
                     if "channel" in values else Channel(self.options["default_channel"])),
            handler=_text(values, "handler"), received_by=_text(values, "received_by"),
            summary=_text(values, "summary"), received_at=received,
            source_due_at=self.instant(values, "source_due_at", due=True),
            status=status, source_status=_cell_text(values["status"])[:64],
            finished_at=finished, returned_at=returned,
            stopped_at=(self.instant(values, "modified_at") if status in
                        (Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.STOPPED) else None),
            source_modified_at=self.instant(values, "modified_at"), events=tuple(events))

    def instant(self, values: dict[str, Any], field: str, due: bool = False
                ) -> dt.datetime | None:
        """A cell as an instant: Excel dates, serial numbers or the usual Vietnamese text."""
        value = values.get(field)
        if value is None:
            return None
        moment = self._moment(value, due)
        if moment is None:
            raise ValueError(f"{self.columns[field][0]}: {value!r} is not a date such as "
                             "03/03/2025 08:15")
        return moment

    def _moment(self, value: Any, due: bool) -> dt.datetime | None:
        close = dt.time.fromisoformat(self.options["due_time"]) if due else dt.time(0, 0)
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=self.zone) if value.tzinfo is None else value
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, close, self.zone)
        if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 100000:
            return (EXCEL_EPOCH + dt.timedelta(days=float(value))).replace(tzinfo=self.zone)
        text = str(value).strip()
        quick = self._quick(text, close)
        if quick is not None:
            return quick
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).replace(tzinfo=self.zone)
            except ValueError:
                pass
        for fmt in DAY_FORMATS:
            try:
                return dt.datetime.combine(dt.datetime.strptime(text, fmt).date(), close,
                                           self.zone)
            except ValueError:
                pass
        spoken = SPOKEN.search(text)
        if spoken:
            hour, minute, day, month, year = (int(g or 0) for g in spoken.groups())
            try:
                return dt.datetime(year, month, day, hour, minute, tzinfo=self.zone)
            except ValueError:
                return None
        return None

    def _quick(self, text: str, close: dt.time) -> dt.datetime | None:
        """dd/mm/yyyy [HH:MM[:SS]] and HH:MM[:SS] dd/mm/yyyy; None to try the slower forms."""
        match = DAY_FIRST.match(text)
        if match:
            day, month, year, hour, minute, second = match.groups()
        else:
            match = TIME_FIRST.match(text)
            if not match:
                return None
            hour, minute, second, day, month, year = match.groups()
        try:
            if hour is None:
                return dt.datetime.combine(dt.date(int(year), int(month), int(day)), close,
                                           self.zone)
            return dt.datetime(int(year), int(month), int(day), int(hour), int(minute),
                               int(second or 0), tzinfo=self.zone)
        except ValueError:
            return None

    def _coded(self, values: dict[str, Any], field: str, words: dict[str, int],
               enum: Any) -> Any:
        raw = values[field]
        text = normalise(_cell_text(raw))
        code = words.get(text)
        if code is None and text.isdigit():
            code = int(text)
        try:
            return enum(code)
        except ValueError:
            raise ValueError(f"{self.columns[field][0]}: {raw!r} is not a known value; add it "
                             f"to {field}_map in the configuration") from None

    def _limit(self, values: dict[str, Any]) -> int | None:
        raw = values.get("limit_days")
        if raw is None:
            return None
        match = re.match(r"\s*(\d+)", str(raw))
        if not match:
            raise ValueError(f"{self.columns['limit_days'][0]}: {raw!r} is not a number of days")
        return int(match.group(1))


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _text(values: dict[str, Any], field: str) -> str | None:
    value = values.get(field)
    return None if value is None else _cell_text(value) or None
