"""Files that must not hurt: refused before allocation when too big, one clear line when broken."""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from connectors.spreadsheet import SpreadsheetConnector, SpreadsheetError, read_export
from service.models import Dossier
from service.runtime import Runtime
from tests.conftest import shipped_config
from tests.fixtures.spreadsheet.exports import UNIT, code, shared_strings_bomb, simple_export

BROKEN = ("không đọc được, tệp bị hỏng hoặc không phải bảng tính Excel .xlsx (hãy mở bằng "
          "Excel rồi lưu lại dạng .xlsx)")


def reader(**options: Any) -> Any:
    return SpreadsheetConnector("s", {"unit_code": UNIT, **options}).reader


def refusal(path: Path, **options: Any) -> tuple[str, float, float]:
    """The error reading `path`, the seconds it took and the peak of Python allocations (MB)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(SpreadsheetError) as caught:
            read_export(path, reader(**options))
        return (str(caught.value), time.perf_counter() - started,
                tracemalloc.get_traced_memory()[1] / 2**20)
    finally:
        tracemalloc.stop()


def dossier_rows(count: int) -> list[list[Any]]:
    return [[n, code(f"{n:04d}"), "1.001022", "Nguyễn Văn Bình", "02/03/2026 08:00",
             "05/03/2026", None, "Đang xử lý"] for n in range(1, count + 1)]


def with_sheet_xml(source: Path, target: Path, change: Any) -> Path:
    """A copy of a workbook whose first sheet's XML is passed through `change`."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) \
            as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            new.writestr(info, data)
    return target


# -- bounded before anything allocates -------------------------------------------------------

def test_two_million_shared_strings_are_refused_at_once(tmp_path: Path) -> None:
    bomb = shared_strings_bomb(tmp_path / "bom.xlsx", 2_000_000)
    assert bomb.stat().st_size < 150_000
    message, seconds, peak_mb = refusal(bomb)
    assert message == ("Tệp bom.xlsx: có 2.000.000 chuỗi văn bản dùng chung (tối đa 500.000), "
                       "quá giới hạn; tệp không được đọc để máy chủ không bị treo, hãy chia "
                       "thành nhiều tệp nhỏ hơn")
    assert seconds < 2 and peak_mb < 16, (seconds, peak_mb)


def test_shared_strings_are_counted_when_the_file_does_not_declare_them(tmp_path: Path
                                                                        ) -> None:
    bomb = shared_strings_bomb(tmp_path / "bom.xlsx", 2_000_000, declare=False)
    message, seconds, peak_mb = refusal(bomb)
    # Counting stops as soon as the limit is passed, somewhere in the first megabytes.
    assert message.startswith("Tệp bom.xlsx: có ") and "(tối đa 500.000)" in message
    assert seconds < 10 and peak_mb < 16, (seconds, peak_mb)


def test_the_bomb_is_a_workbook_whose_strings_openpyxl_loads_whole(tmp_path: Path) -> None:
    small = shared_strings_bomb(tmp_path / "nho.xlsx", 1_000)
    book = load_workbook(small, read_only=True)
    try:
        assert next(book.active.iter_rows(values_only=True)) == ("x", "y")
    finally:
        book.close()
    assert refusal(small, max_shared_strings=999)[0].startswith(
        "Tệp nho.xlsx: có 1.000 chuỗi văn bản dùng chung (tối đa 999)")


def test_rows_and_cells_over_the_limits_are_refused_before_reading(tmp_path: Path) -> None:
    path = simple_export(tmp_path / "a.xlsx", dossier_rows(50))
    assert refusal(path, max_rows=20)[0].startswith(
        "Tệp a.xlsx: trang «Hồ sơ» có hơn 20 dòng, quá giới hạn;")
    assert refusal(path, max_cells=300)[0].startswith(
        "Tệp a.xlsx: trang «Hồ sơ» có hơn 300 ô, quá giới hạn;")
    assert len(read_export(path, reader(max_rows=52, max_cells=500)).records) == 50


def test_a_file_that_unpacks_too_large_is_refused(tmp_path: Path) -> None:
    path = simple_export(tmp_path / "lon.xlsx", dossier_rows(6_000))
    message = refusal(path, max_file_mb=1)[0]
    assert message.startswith("Tệp lon.xlsx: giải nén ra ") and "(tối đa 1 MB)" in message


def test_a_row_numbered_far_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = simple_export(tmp_path / "a.xlsx", dossier_rows(2))
    far = with_sheet_xml(path, tmp_path / "xa.xlsx", lambda xml: xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row>'
                         b"</sheetData>"))
    assert refusal(far)[0].startswith("Tệp xa.xlsx: trang «Hồ sơ» có hơn 100.000 dòng")


def test_a_sheet_that_declares_a_wrong_size_is_still_read_whole(tmp_path: Path) -> None:
    path = simple_export(tmp_path / "a.xlsx", dossier_rows(3))
    wrong = with_sheet_xml(path, tmp_path / "sai.xlsx", lambda xml: xml.replace(
        b'<dimension ref="A1:H5" />', b'<dimension ref="A1"/>'))
    assert b'<dimension ref="A1"/>' in zipfile.ZipFile(wrong).read("xl/worksheets/sheet1.xml")
    assert len(read_export(wrong, reader()).records) == 3


def test_a_csv_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lon.csv"
    path.write_bytes(b"Ma ho so;x\n" + b"a;" + b"b" * (2 << 20) + b"\n")
    assert refusal(path, max_file_mb=1)[0].startswith("Tệp lon.csv: dung lượng 2 MB (tối đa 1 MB)")


# -- broken files: one clear line, never a traceback -----------------------------------------

def broken_files(folder: Path) -> dict[str, Path]:
    good = simple_export(folder / "good.xlsx", dossier_rows(2))
    files = {"garbage": folder / "garbage.xlsx", "truncated": folder / "truncated.xlsx",
             "not a workbook": folder / "khong-phai.xlsx", "old excel": folder / "cu.xlsx",
             "bad sheet xml": folder / "hong.xlsx"}
    files["garbage"].write_bytes(bytes(range(256)) * 40)
    files["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with zipfile.ZipFile(files["not a workbook"], "w") as package:
        package.writestr("readme.txt", "không phải bảng tính")
    # An .xls from Excel 97-2003 (an OLE compound file) renamed .xlsx by a clerk.
    files["old excel"].write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(4088))
    with_sheet_xml(good, files["bad sheet xml"], lambda xml: xml.replace(b"</row>", b"</rw>", 1))
    return files


@pytest.mark.parametrize("kind", ["garbage", "truncated", "not a workbook", "old excel",
                                  "bad sheet xml"])
def test_a_broken_xlsx_gives_one_clear_line(tmp_path: Path, kind: str) -> None:
    path = broken_files(tmp_path)[kind]
    message = refusal(path)[0]
    assert message.startswith(f"Tệp {path.name}: {BROKEN} [") and "\n" not in message


def test_a_csv_that_cannot_be_parsed_gives_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "hong.csv"
    path.write_bytes("Mã hồ sơ;Chủ hồ sơ\n".encode() + b'"a;' + b"b" * 200_000 + b'"\n')
    assert refusal(path)[0].startswith("Tệp hong.csv: dòng 2 không đọc được (field larger")


def test_the_import_command_reports_a_broken_file_in_one_line_and_goes_on(
        catalogued: Runtime, tmp_path: Path) -> None:
    files = broken_files(tmp_path)
    config = shipped_config(catalogued, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "service.cli.run", "--config", str(config), "import",
         str(files["garbage"]), str(tmp_path / "good.xlsx"), str(files["bad sheet xml"]),
         str(tmp_path / "khong-co.xlsx")],
        capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())})
    assert done.returncode == 1
    errors = done.stderr.splitlines()
    assert [line.split(":")[0] for line in errors] == [
        "Tệp garbage.xlsx", "Tệp hong.xlsx", "Tệp khong-co.xlsx"], done.stderr
    assert errors[0].startswith(f"Tệp garbage.xlsx: {BROKEN} [BadZipFile]")
    assert errors[2] == f"Tệp khong-co.xlsx: không tìm thấy tệp {tmp_path / 'khong-co.xlsx'}"
    assert "good.xlsx: tạo mới 2, cập nhật 0, không đổi 0, bị từ chối 0" in done.stdout
    with catalogued.sessions() as session:
        assert sorted(session.scalars(select(Dossier.code))) == [code("0001"), code("0002")]
