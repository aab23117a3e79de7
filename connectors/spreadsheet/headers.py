"""Find the header of an export and match its columns to canonical fields, saying which is which.

Provincial one-stop exports put title rows above the header, split it over two rows under
merged group headings ("Thời gian" over "Ngày tiếp nhận" and "Ngày hẹn trả"), number the rows
in an "STT" column and hide technical columns. Headers are compared without accents, case,
punctuation or spacing, so "NGÀY HẸN TRẢ", "Ngày hẹn trả:" and "Ngay hen tra" are one name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import FIELD_LABELS
from connectors.spreadsheet.package import Merge
from connectors.spreadsheet.workbook import Sheet

HEADER_SEARCH_ROWS = 20
# A column the reader recognises but never stores: the row's ordinal.
ORDINAL = "ordinal"
# Canonical field -> the header names provincial one-stop software puts on its exports.
DEFAULT_COLUMNS: dict[str, list[str]] = {
    ORDINAL: ["STT", "Số TT", "TT", "Số thứ tự"],
    "code": ["Mã hồ sơ", "Số hồ sơ", "Mã HS", "Số HS", "Mã số hồ sơ", "Số biên nhận",
             "Mã biên nhận"],
    "procedure_code": ["Mã thủ tục", "Mã TTHC", "Mã thủ tục hành chính", "Mã TT"],
    "procedure_name": ["Tên thủ tục", "Thủ tục", "Tên TTHC", "Thủ tục hành chính",
                       "Tên thủ tục hành chính"],
    "domain_name": ["Lĩnh vực", "Tên lĩnh vực"],
    "domain_code": ["Mã lĩnh vực"],
    "applicant_name": ["Chủ hồ sơ", "Họ tên người nộp", "Họ và tên người nộp", "Người nộp",
                       "Tên người nộp", "Người nộp hồ sơ", "Người đứng tên", "Họ tên", "Họ và tên",
                       "Tổ chức/cá nhân", "Tên tổ chức, cá nhân", "Người yêu cầu"],
    "applicant_id_no": ["Số giấy tờ", "Số CCCD", "CCCD/CMND", "Số CMND/CCCD", "Số CCCD/CMND",
                        "CMND/CCCD", "Số định danh", "Số định danh cá nhân",
                        "Số giấy tờ tùy thân"],
    "applicant_phone": ["Số điện thoại", "Điện thoại", "SĐT", "Số ĐT", "Điện thoại liên hệ",
                        "Số điện thoại người nộp"],
    "applicant_email": ["Email", "E-mail", "Thư điện tử", "Địa chỉ email"],
    "filed_at": ["Ngày nộp", "Ngày nộp hồ sơ", "Thời gian nộp"],
    "received_at": ["Ngày tiếp nhận", "Ngày nhận", "Ngày nhận hồ sơ", "Ngày tiếp nhận hồ sơ",
                    "Thời gian tiếp nhận", "Ngày giờ tiếp nhận"],
    "source_due_at": ["Ngày hẹn trả", "Hẹn trả", "Hạn xử lý", "Ngày hẹn trả kết quả",
                      "Hạn giải quyết", "Hạn trả kết quả", "Ngày hết hạn"],
    "finished_at": ["Ngày hoàn thành", "Ngày có kết quả", "Ngày kết thúc xử lý",
                    "Ngày xử lý xong", "Ngày kết thúc", "Ngày hoàn thành xử lý"],
    "returned_at": ["Ngày trả kết quả", "Ngày trả", "Ngày trả KQ", "Ngày đã trả kết quả",
                    "Thời gian trả kết quả"],
    "modified_at": ["Ngày cập nhật", "Cập nhật lúc", "Ngày cập nhật cuối"],
    "status": ["Trạng thái", "Tình trạng", "Trạng thái hồ sơ", "Tình trạng hồ sơ",
               "Tình trạng xử lý", "Trạng thái xử lý"],
    "channel": ["Hình thức nộp", "Kênh nộp", "Kênh", "Hình thức tiếp nhận", "Kênh tiếp nhận",
                "Hình thức nộp hồ sơ"],
    "handler": ["Cơ quan giải quyết", "Đơn vị xử lý", "Phòng ban xử lý", "Cơ quan xử lý",
                "Đơn vị giải quyết", "Bộ phận xử lý"],
    "received_by": ["Người tiếp nhận", "Cán bộ tiếp nhận", "Công chức tiếp nhận"],
    "limit_days": ["Thời hạn giải quyết", "Số ngày giải quyết", "Thời hạn xử lý",
                   "Thời gian giải quyết", "Số ngày xử lý"],
    "summary": ["Trích yếu", "Nội dung", "Trích yếu hồ sơ", "Nội dung yêu cầu"],
}
LABELS = {**FIELD_LABELS, ORDINAL: "Số thứ tự", "modified_at": "Ngày cập nhật",
          "limit_days": "Thời hạn giải quyết"}
PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def fold(text: Any) -> str:
    """Text as compared: without accents, case, bracketed notes, punctuation or extra spaces."""
    decomposed = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"[^\W_]+", PARENTHESES.sub(" ", plain).casefold()))


def known_headers(configured: Mapping[str, list[str]]) -> dict[str, str]:
    """Folded header -> field: the configuration's names first, then the defaults."""
    known: dict[str, str] = {}
    for columns in (configured, DEFAULT_COLUMNS):
        for field, names in columns.items():
            for name in names:
                known.setdefault(fold(name), field)
    return known


@dataclass(frozen=True)
class ColumnMatch:
    """One column of the header: what it says, and what the reader makes of it."""

    index: int
    letter: str
    header: str
    field: str | None
    hidden: bool = False
    note: str | None = None

    @property
    def used(self) -> bool:
        """True when the column's values go into records."""
        return self.field is not None and self.field != ORDINAL and self.note is None


@dataclass(frozen=True)
class Layout:
    """Where the table is on its sheet and which column holds which field."""

    sheet: str
    header_rows: tuple[int, ...]
    columns: tuple[ColumnMatch, ...]

    @property
    def fields(self) -> dict[str, ColumnMatch]:
        """The column each field is read from."""
        return {c.field: c for c in self.columns if c.used and c.field is not None}

    @property
    def width(self) -> int:
        """Cells a body row needs: up to the last column with a header."""
        return max((c.index for c in self.columns), default=0) + 1

    def describe(self) -> list[str]:
        """Vietnamese lines for clerks: «header» (column) → field, then the ignored columns."""
        used = [f"«{c.header}» ({c.letter}{', cột ẩn' if c.hidden else ''}) → "
                f"{LABELS.get(c.field or '', c.field)}" for c in self.columns if c.used]
        ignored = [f"«{c.header}» ({c.letter}{', ' + c.note if c.note else ''})"
                   for c in self.columns if not c.used]
        lines = ["Cột đã nhận: " + "; ".join(used)]
        if ignored:
            lines.append("Cột bỏ qua: " + "; ".join(ignored))
        return lines


def letter(index: int) -> str:
    """The column letters of a 0-based index: 0 is A, 27 is AB."""
    text, number = "", index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(65 + rest) + text
    return text


def find_layout(sheet: Sheet, head: list[tuple[int, list[Any]]], known: dict[str, str]
                ) -> Layout | None:
    """The first row naming the dossier code column, with a sub-header row under it if any."""
    grid = _expanded(head, sheet.merges)
    for position, (number, _) in enumerate(head):
        upper = grid[number]
        if "code" not in {known.get(fold(v)) for v in upper if v is not None}:
            continue
        rows: tuple[int, ...] = (number,)
        lower = None
        if position + 1 < len(head):
            below, own = head[position + 1]
            if _is_sub_header(upper, grid[below], own, known):
                rows, lower = (number, below), grid[below]
        return Layout(sheet.name, rows, _columns(upper, lower, sheet.hidden_columns, known))
    return None


def _expanded(head: list[tuple[int, list[Any]]], merges: tuple[Merge, ...]
              ) -> dict[int, list[Any]]:
    """Head rows with each merged range's value copied into all of its cells."""
    grid = {number: list(values) for number, values in head}
    last = max(grid, default=0)
    for merge in merges:
        origin = grid.get(merge.min_row)
        if origin is None or merge.min_col > len(origin):
            continue
        value = origin[merge.min_col - 1]
        for number in range(merge.min_row, min(merge.max_row, last) + 1):
            row = grid.get(number, [])
            for col in range(merge.min_col, min(merge.max_col, len(row)) + 1):
                row[col - 1] = value
    return grid


def _is_sub_header(upper: list[Any], lower: list[Any], own: list[Any], known: dict[str, str]
                   ) -> bool:
    """A second header row: its code cell empty or merged from above, and some text of its own."""
    code = next(i for i, v in enumerate(upper) if v is not None and known.get(fold(v)) == "code")
    code_below = lower[code] if code < len(lower) else None
    if code_below not in (None, "", upper[code]):
        return False
    texts = [(i, v) for i, v in enumerate(own) if isinstance(v, str) and v.strip()]
    return any(known.get(fold(v)) or known.get(fold(f"{v} {_text(upper, i)}"))
               for i, v in texts)


def _columns(upper: list[Any], lower: list[Any] | None, hidden: frozenset[int],
             known: dict[str, str]) -> tuple[ColumnMatch, ...]:
    """Match every column; for each field the first visible column wins, hidden ones last."""
    found = []
    for index in range(max(len(upper), len(lower or ()))):
        top = _text(upper, index)
        bottom = _text(lower, index) if lower is not None else ""
        if bottom == top:
            bottom = ""
        header, field = _match(top, bottom, known)
        if header:
            found.append(ColumnMatch(index, letter(index), header, field, index in hidden))
    owner: dict[str, ColumnMatch] = {}
    for column in sorted(found, key=lambda c: (c.hidden, c.index)):
        if column.field is not None and column.field not in owner:
            owner[column.field] = column
    return tuple(_noted(column, owner) for column in found)


def _noted(column: ColumnMatch, owner: dict[str, ColumnMatch]) -> ColumnMatch:
    if column.field is None:
        note = "cột ẩn, không dùng" if column.hidden else "không dùng"
    elif column.field == ORDINAL:
        note = "số thứ tự"
    elif owner[column.field] is not column:
        note = f"trùng với cột {owner[column.field].letter}"
        note = f"cột ẩn, {note}" if column.hidden else note
    else:
        return column
    return ColumnMatch(column.index, column.letter, column.header, column.field,
                       column.hidden, note)


def _match(top: str, bottom: str, known: dict[str, str]) -> tuple[str, str | None]:
    """The header text that names a field: the sub-header, with or without its group heading."""
    if not bottom:
        return top, known.get(fold(top))
    for candidate in (bottom, f"{bottom} {top}", f"{top} {bottom}"):
        if known.get(fold(candidate)):
            return candidate, known[fold(candidate)]
    return f"{top} / {bottom}" if top else bottom, None


def _text(values: list[Any] | None, index: int) -> str:
    if values is None or index >= len(values) or values[index] is None:
        return ""
    return " ".join(str(values[index]).split())
