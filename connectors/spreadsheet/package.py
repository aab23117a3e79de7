"""Measure an XLSX package before any parser allocates: sizes, counts, sheets, hidden columns.

openpyxl reads every shared string into a list when it opens a workbook (a 118 KB file with
2 million of them took 455 MB and 40 s) and pads each row it yields to the sheet's widest
column. So each XML part is first streamed through the decompressor and its element starts
counted, and a file over the limits is refused before openpyxl sees it. The same pass picks up
what openpyxl's streaming reader does not give: hidden columns and merged ranges.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from connectors.base import InputError

CHUNK = 1 << 20
# Kept between chunks so an element start cut by a chunk boundary is still seen.
OVERLAP = 512
MAX_PARTS = 2_000
# Tags of the package's own small parts (workbook, relationships) that are parsed whole.
MAX_SMALL_PART = 4 << 20
STRINGS = (b"<si>", b"<si ", b":si>", b":si ")
ROWS = (b"<row ", b"<row>", b":row ", b":row>")
CELLS = (b"<c ", b"<c>", b":c ", b":c>")
TABLE = re.compile(rb"<(?:\w+:)?sst\b[^>]*>")
COLUMN = re.compile(rb"<(?:\w+:)?col\s[^>]*>")
MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*>")
ROW_NUMBER = re.compile(rb"[<:]row\s[^>]*?\br\s*=\s*[\"'](\d+)")
ATTRIBUTE = re.compile(rb"([\w:]+)\s*=\s*[\"']([^\"']*)[\"']")
CELL_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")


def amount(number: int) -> str:
    """A count as Vietnamese writes it: 2.000.000."""
    return f"{number:,}".replace(",", ".")


def megabytes(size: int) -> str:
    """A size in whole megabytes, written the Vietnamese way."""
    return f"{amount(round(size / 2**20))} MB"


class SpreadsheetError(InputError):
    """A file that cannot be read at all; the message, in Vietnamese, names the file and why."""


@dataclass(frozen=True)
class Limits:
    """How much of a file the reader accepts before it refuses the whole file."""

    max_bytes: int = 100 << 20
    max_rows: int = 100_000
    max_cells: int = 3_000_000
    max_shared_strings: int = 500_000
    max_columns: int = 200
    max_merges: int = 50_000


@dataclass(frozen=True)
class Merge:
    """A merged range, 1-based and inclusive."""

    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass
class PartScan:
    """What one streamed XML part holds."""

    strings: int = 0
    rows: int = 0
    cells: int = 0
    last_row: int = 0
    hidden_columns: set[int] = field(default_factory=set)
    merges: list[Merge] = field(default_factory=list)


@dataclass(frozen=True)
class SheetPart:
    """A worksheet as the package declares it, with what openpyxl will not tell."""

    name: str
    hidden: bool
    rows: int
    hidden_columns: frozenset[int]
    merges: tuple[Merge, ...]


def inspect_package(path: Path, limits: Limits) -> list[SheetPart]:
    """Check an XLSX file against the limits and list its sheets; SpreadsheetError if not."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            _check_sizes(path, parts, limits)
            declared = _declared_sheets(archive)
            names = {part: name for name, _, part in declared}
            scans = {info.filename: _scan(path, archive, info, limits, names.get(info.filename))
                     for info in parts if info.filename.lower().endswith(".xml")}
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
            KeyError, ValueError, StopIteration, ElementTree.ParseError) as exc:
        raise not_a_workbook(path, exc) from exc
    strings = sum(scan.strings for scan in scans.values())
    if strings > limits.max_shared_strings:
        raise _too_many_strings(path, strings, limits)
    sheets = []
    for name, hidden, part in declared:
        scan = scans.get(part, PartScan())
        sheets.append(SheetPart(name, hidden, max(scan.rows, scan.last_row),
                                frozenset(scan.hidden_columns), tuple(scan.merges)))
    return sheets


def not_a_workbook(path: Path, exc: BaseException) -> SpreadsheetError:
    """The one error for a damaged file, or one that is not an .xlsx workbook."""
    return SpreadsheetError(
        f"Tệp {path.name}: không đọc được, tệp bị hỏng hoặc không phải bảng tính Excel .xlsx "
        f"(hãy mở bằng Excel rồi lưu lại dạng .xlsx) [{type(exc).__name__}]")


def _check_sizes(path: Path, parts: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(parts) > MAX_PARTS:
        raise too_big(path, f"gồm {amount(len(parts))} phần (tối đa {amount(MAX_PARTS)})")
    total = sum(info.file_size for info in parts)
    if total > limits.max_bytes:
        raise too_big(path, f"giải nén ra {megabytes(total)} (tối đa "
                            f"{megabytes(limits.max_bytes)})")


def too_big(path: Path, what: str) -> SpreadsheetError:
    """The error for a file over a limit, saying which and what to do."""
    return SpreadsheetError(f"Tệp {path.name}: {what}, quá giới hạn; tệp không được đọc để "
                            "máy chủ không bị treo, hãy chia thành nhiều tệp nhỏ hơn")


def _too_many_strings(path: Path, strings: int, limits: Limits) -> SpreadsheetError:
    return too_big(path, f"có {amount(strings)} chuỗi văn bản dùng chung (tối đa "
                         f"{amount(limits.max_shared_strings)})")


def _scan(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits,
          sheet: str | None) -> PartScan:
    """Stream one part and count what the parser would allocate, refusing as soon as over."""
    scan, tail, first = PartScan(), b"", True
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            data = tail + chunk
            if first:
                _check_declared_strings(path, data, limits)
                first = False
            scan.strings += _count(data, STRINGS) - _count(tail, STRINGS)
            scan.rows += _count(data, ROWS) - _count(tail, ROWS)
            scan.cells += _count(data, CELLS) - _count(tail, CELLS)
            if sheet is not None:
                _tags(data, len(tail), scan)
                _check_counts(path, sheet, scan, limits)
            elif scan.strings > limits.max_shared_strings:
                raise _too_many_strings(path, scan.strings, limits)
            tail = data[-OVERLAP:]
    return scan


def _count(data: bytes, needles: tuple[bytes, ...]) -> int:
    return sum(data.count(needle) for needle in needles)


def _check_declared_strings(path: Path, head: bytes, limits: Limits) -> None:
    """Refuse at once when the shared-string table declares more strings than allowed."""
    table = TABLE.search(head)
    if table is None:
        return
    attributes = dict(ATTRIBUTE.findall(table.group(0)))
    declared = attributes.get(b"uniqueCount", b"0")
    if declared.isdigit() and int(declared) > limits.max_shared_strings:
        raise _too_many_strings(path, int(declared), limits)


def _check_counts(path: Path, sheet: str, scan: PartScan, limits: Limits) -> None:
    rows = max(scan.rows, scan.last_row)
    if rows > limits.max_rows:
        raise too_big(path, f"trang «{sheet}» có hơn {amount(limits.max_rows)} dòng")
    if scan.cells > limits.max_cells:
        raise too_big(path, f"trang «{sheet}» có hơn {amount(limits.max_cells)} ô")
    if len(scan.merges) > limits.max_merges:
        raise too_big(path, f"trang «{sheet}» có hơn {amount(limits.max_merges)} vùng ô gộp")


def _tags(data: bytes, start: int, scan: PartScan) -> None:
    """Hidden columns, merged ranges and the last row number of the chunk's new bytes."""
    columns = b"<col " in data or b":col " in data
    for match in COLUMN.finditer(data) if columns else ():
        if match.end() > start:
            attributes = dict(ATTRIBUTE.findall(match.group(0)))
            if attributes.get(b"hidden", b"0").lower() in (b"1", b"true"):
                first = int(attributes.get(b"min", b"0"))
                last = min(int(attributes.get(b"max", b"0")), first + 16_384)
                scan.hidden_columns.update(range(first, last + 1))
    for match in MERGE.finditer(data) if b"mergeCell " in data else ():
        if match.end() > start:
            ref = dict(ATTRIBUTE.findall(match.group(0))).get(b"ref", b"").decode("ascii")
            merge = _merge(ref)
            if merge is not None:
                scan.merges.append(merge)
    at = max(data.rfind(b"<row "), data.rfind(b":row "))
    if at >= 0:
        number = ROW_NUMBER.match(data, at)
        if number:
            scan.last_row = max(scan.last_row, int(number.group(1)))


def _merge(ref: str) -> Merge | None:
    corners = [CELL_REF.fullmatch(part) for part in ref.upper().split(":")]
    if len(corners) != 2 or None in corners:
        return None
    (col_a, row_a), (col_b, row_b) = (c.groups() for c in corners)  # type: ignore[union-attr]
    return Merge(int(row_a), column_number(col_a), int(row_b), column_number(col_b))


def column_number(letters: str) -> int:
    """A column's letters as its 1-based number: A is 1, AA is 27."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _declared_sheets(archive: zipfile.ZipFile) -> list[tuple[str, bool, str]]:
    """The workbook's sheets in order, from its own parts: name, hidden, worksheet part."""
    workbook = _target(archive, "_rels/.rels", "", "officeDocument")
    rels = posixpath.join(posixpath.dirname(workbook), "_rels",
                          posixpath.basename(workbook) + ".rels")
    sheets = []
    for element in _small_xml(archive, workbook).iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next(v for k, v in element.attrib.items() if _local(k) == "id")
        part = _target(archive, rels, posixpath.dirname(workbook), rel_id)
        hidden = element.attrib.get("state", "visible") != "visible"
        sheets.append((element.attrib["name"], hidden, part))
    return sheets


def _target(archive: zipfile.ZipFile, rels: str, base: str, wanted: str) -> str:
    """The part a relationship points to, by its id or by the end of its type."""
    for element in _small_xml(archive, rels).iter():
        attributes = element.attrib
        if attributes.get("Id") == wanted or attributes.get("Type", "").endswith(f"/{wanted}"):
            target = attributes["Target"]
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join(base, target))
    raise KeyError(f"{rels}: no relationship {wanted}")


def _small_xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    info = archive.getinfo(name)
    if info.file_size > MAX_SMALL_PART:
        raise ValueError(f"{name} is {info.file_size} bytes")
    return ElementTree.fromstring(archive.read(info))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
