"""Real-shape XLSX exports: layout, header variants, date cells, sheets and clerk-facing reasons."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from connectors.spreadsheet import SpreadsheetConnector, SpreadsheetError, read_export
from connectors.spreadsheet.dates import read_moment
from connectors.spreadsheet.headers import DEFAULT_COLUMNS, fold
from connectors.spreadsheet.rows import DEFAULT_CHANNEL_MAP, DEFAULT_STATUS_MAP
from service.cli import cli
from service.cli.context import load_settings
from service.models import AuditLog, Dossier, QuarantinedRecord
from service.runtime import Runtime
from service.vocabulary import Channel, Outcome, Status
from tests.conftest import local, shipped_config
from tests.fixtures.spreadsheet.exports import (
    DATE,
    DATETIME,
    LIST_SHEET,
    ROWS,
    UNIT,
    code,
    provincial_export,
    simple_export,
)


def reader(**options: Any) -> Any:
    return SpreadsheetConnector("s", {"unit_code": UNIT, **options}).reader


def import_cli(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(config), "import", *args],
                              catch_exceptions=False)


def stored(runtime: Runtime) -> dict[str, Dossier]:
    with runtime.sessions() as session:
        return {d.code: d for d in session.scalars(select(Dossier))}


# -- the layout of a provincial export ---------------------------------------------------

def test_the_dossier_list_is_found_below_titles_under_a_two_row_merged_header(
        tmp_path: Path) -> None:
    reading = read_export(provincial_export(tmp_path / "thang3.xlsx"), reader())
    assert (reading.sheet, reading.header_rows) == (LIST_SHEET, (6, 7))
    assert reading.sheets == ["Tổng hợp", LIST_SHEET]
    assert reading.matched == {
        "code": "Số hồ sơ", "procedure_code": "Mã thủ tục", "procedure_name": "Tên thủ tục",
        "domain_name": "Lĩnh vực", "applicant_name": "Họ tên", "applicant_phone": "Số điện thoại",
        "received_at": "Ngày tiếp nhận", "source_due_at": "Hạn xử lý",
        "returned_at": "Ngày trả kết quả", "status": "Tình trạng", "channel": "Kênh tiếp nhận"}
    assert reading.describe()[1] == ("Cột bỏ qua: «STT» (A, số thứ tự); «Trạng thái» (C, cột "
                                     "ẩn, trùng với cột L); «Ghi chú» (N, không dùng)")


def test_numbering_headings_subtotals_and_what_follows_the_total_are_not_dossiers(
        tmp_path: Path) -> None:
    reading = read_export(provincial_export(tmp_path / "thang3.xlsx"), reader())
    assert [(s.row, s.why.split(" «")[0]) for s in reading.skipped] == [
        (8, "dòng đánh số cột"), (9, "dòng tiêu đề nhóm"), (13, "dòng tổng"),
        (14, "dòng tiêu đề nhóm"), (17, "dòng tổng"), (18, "dòng tổng")]
    assert [row for row, _ in reading.records] == [10, 11, 12, 15]
    # "Người lập biểu" sits in the code column after the total: it is not a refused dossier.
    assert [r.row for r in reading.rejections] == [16]


def test_a_cell_merged_down_its_rows_gives_each_row_its_value(tmp_path: Path) -> None:
    records = dict(read_export(provincial_export(tmp_path / "thang3.xlsx"), reader()).records)
    assert [records[ROWS[n]].domain_name for n in ("0001", "0002", "0003")] == ["Hộ tịch"] * 3


def test_the_visible_status_column_wins_over_the_hidden_technical_one(tmp_path: Path) -> None:
    records = dict(read_export(provincial_export(tmp_path / "thang3.xlsx"), reader()).records)
    # The hidden column C says "PROCESSING"/"WAITING", which no status map knows.
    assert [records[ROWS[n]].status for n in ("0001", "0002", "0003", "0004")] == [
        Status.RETURNED, Status.PROCESSING, Status.WAITING_SUPPLEMENT, Status.RETURNED]
    assert records[ROWS["0003"]].channel == Channel.POSTAL


def test_a_hidden_column_is_read_when_no_visible_column_names_its_field(tmp_path: Path
                                                                        ) -> None:
    path = simple_export(tmp_path / "a.xlsx", [
        [1, code("0001"), "1.001022", "Nguyễn Văn Bình", "02/03/2026 08:00", "05/03/2026",
         None, "Đang xử lý"]])
    book = load_workbook(path)
    book.active.column_dimensions["C"].hidden = True
    book.save(path)
    reading = read_export(path, reader())
    assert reading.records[0][1].procedure_code == "1.001022"
    assert "«Mã thủ tục» (C, cột ẩn) → Mã thủ tục" in reading.describe()[0]


def test_a_number_cell_that_lost_the_phone_leading_zero_gets_it_back(tmp_path: Path) -> None:
    records = dict(read_export(provincial_export(tmp_path / "thang3.xlsx"), reader()).records)
    assert records[ROWS["0001"]].applicant_phone == "0912345678"


# -- dates without a time ----------------------------------------------------------------

def test_date_cells_without_a_time_mean_office_close_when_due_and_opening_otherwise(
        tmp_path: Path) -> None:
    records = dict(read_export(provincial_export(tmp_path / "thang3.xlsx"), reader()).records)
    first, text_due, date_received, same_day = (records[ROWS[n]] for n in
                                                ("0001", "0002", "0003", "0004"))
    assert first.received_at == local(2026, 3, 2, 8, 0)  # a date-time cell keeps its time
    assert first.source_due_at == local(2026, 3, 5, 17, 0)  # dd/mm/yyyy date cell
    assert first.returned_at == local(2026, 3, 5, 10, 0)
    assert text_due.source_due_at == local(2026, 3, 5, 17, 0)  # "05/03/2026" as text
    assert date_received.received_at == local(2026, 3, 3, 7, 30)
    assert same_day.source_due_at == local(2026, 3, 4, 17, 0)


def test_a_date_time_cell_at_midnight_is_kept_unless_it_is_a_due_date(tmp_path: Path) -> None:
    path = simple_export(tmp_path / "a.xlsx", [
        [1, code("0001"), "1.001022", "Nguyễn Văn Bình", dt.datetime(2026, 3, 2, 0, 0),
         dt.datetime(2026, 3, 5, 0, 0), None, "Đang xử lý"]], formats={"E": DATETIME,
                                                                     "F": DATETIME})
    record = read_export(path, reader()).records[0][1]
    # An online filing at 00:00 happened then; no office returns results at midnight.
    assert record.received_at == local(2026, 3, 2, 0, 0)
    assert record.source_due_at == local(2026, 3, 5, 17, 0)


def test_a_due_date_cell_is_judged_against_1700_end_to_end(catalogued: Runtime,
                                                           tmp_path: Path) -> None:
    returned = [dt.datetime(2026, 3, 5, 10, 0), dt.datetime(2026, 3, 5, 16, 59),
                dt.datetime(2026, 3, 5, 17, 30), dt.datetime(2026, 3, 4, 15, 0)]
    path = simple_export(tmp_path / "tra-ket-qua.xlsx", [
        [n, code(f"000{n}"), "1.001022", "Nguyễn Văn Bình", dt.datetime(2026, 3, 2, 8, 0),
         dt.date(2026, 3, 5), at, "Đã trả kết quả"] for n, at in enumerate(returned, start=1)],
        formats={"E": DATETIME, "F": DATE, "G": DATETIME})
    done = import_cli(shipped_config(catalogued, tmp_path), str(path))
    assert "tạo mới 4, cập nhật 0, không đổi 0, bị từ chối 0" in done.output, done.output
    rows = stored(catalogued)
    assert rows[code("0001")].due_at == local(2026, 3, 5, 17, 0)
    assert [rows[code(f"000{n}")].outcome for n in range(1, 5)] == [
        Outcome.ON_TIME, Outcome.ON_TIME, Outcome.LATE, Outcome.EARLY]


def test_office_hours_of_the_calendar_set_what_a_date_alone_means(catalogued: Runtime,
                                                                 tmp_path: Path) -> None:
    config = shipped_config(catalogued, tmp_path, {
        "calendar": {"office_hours": ["08:00-12:00", "13:00-16:30"]}})
    path = simple_export(tmp_path / "a.xlsx", [
        [1, code("0001"), "1.001022", "Nguyễn Văn Bình", dt.date(2026, 3, 2),
         dt.date(2026, 3, 5), None, "Đang xử lý"]], formats={"E": DATE, "F": DATE})
    import_cli(config, str(path))
    dossier = stored(catalogued)[code("0001")]
    assert (dossier.received_at, dossier.source_due_at) == (local(2026, 3, 2, 8, 0),
                                                            local(2026, 3, 5, 16, 30))
    connectors = load_settings(config, environ={}, overrides={"connectors": {"excel": {
        "type": "spreadsheet", "unit_code": UNIT, "due_time": "11:00"}}})["connectors"]
    assert (connectors["excel"]["due_time"], connectors["excel"]["received_time"]) == (
        "11:00", "08:00")


@pytest.mark.parametrize("value,expected", [
    ("03/03/2026 08:15:30", dt.datetime(2026, 3, 3, 8, 15, 30)),
    ("3/3/2026 8:15", dt.datetime(2026, 3, 3, 8, 15)),
    ("08:15 03/03/2026", dt.datetime(2026, 3, 3, 8, 15)),
    ("03-03-2026", dt.date(2026, 3, 3)),
    ("03.03.2026", dt.date(2026, 3, 3)),
    ("2026-03-03", dt.date(2026, 3, 3)),
    ("2026-03-03 08:15:00", dt.datetime(2026, 3, 3, 8, 15)),
    ("8 giờ 15 phút, ngày 3/3/2026", dt.datetime(2026, 3, 3, 8, 15)),
    ("17h00 ngày 05/03/2026", dt.datetime(2026, 3, 5, 17, 0)),
    ("05/03/2026 5:00 CH", dt.datetime(2026, 3, 5, 17, 0)),
    ("ngày 05 tháng 03 năm 2026", dt.date(2026, 3, 5)),
    (46084, dt.date(2026, 3, 3)),  # an Excel serial number of a whole day
    (46084.5, dt.datetime(2026, 3, 3, 12)),
    ("31/02/2026", None), ("03/03/0226", None), ("05/03/2026 hết hạn", None), ("", None),
    ("25:00 05/03/2026", None), (True, None),
])
def test_usual_date_forms_are_read_and_others_are_not(value: Any, expected: Any) -> None:
    assert read_moment(value) == expected


# -- header variants, sheets -------------------------------------------------------------

VARIANTS = {
    "MÃ HỒ SƠ": "code", "so ho so": "code", "Ngày  tiếp\nnhận": "received_at",
    "Ngày nhận": "received_at", "Hạn xử lý": "source_due_at", "Ngày hẹn trả:": "source_due_at",
    "Tình trạng": "status", "Trạng thái": "status", "Họ tên người nộp": "applicant_name",
    "Chủ hồ sơ": "applicant_name", "Số điện thoại": "applicant_phone",
    "Mã thủ tục (*)": "procedure_code", "Tên thủ tục": "procedure_name",
    "Ngày trả kết quả": "returned_at", "Ngày hoàn thành": "finished_at",
    "Ngày tiếp nhận": "received_at", "Ngày hẹn trả": "source_due_at",
}


@pytest.mark.parametrize("header,field", sorted(VARIANTS.items()))
def test_header_variants_are_matched_without_regard_to_accents_case_or_spacing(
        header: str, field: str) -> None:
    known = reader().known
    assert known[fold(header)] == field


def test_no_two_default_names_fold_to_different_meanings() -> None:
    for table in (DEFAULT_STATUS_MAP, DEFAULT_CHANNEL_MAP):
        folded: dict[str, int] = {}
        for word, value in table.items():
            assert folded.setdefault(fold(word), value) == value, word
    names: dict[str, str] = {}
    for field, headers in DEFAULT_COLUMNS.items():
        for header in headers:
            assert names.setdefault(fold(header), field) == field, header


def test_a_csv_with_other_header_names_is_read_and_its_mapping_reported(tmp_path: Path
                                                                       ) -> None:
    path = tmp_path / "xuat.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([
            ["Số TT", "Mã số hồ sơ", "Mã TTHC", "Người nộp hồ sơ", "Thời gian tiếp nhận",
             "Ngày hẹn trả kết quả", "Trạng thái hồ sơ", "Hình thức tiếp nhận"],
            [1, code("0001"), "1.001022", "Nguyễn Văn Bình", "02/03/2026 08:00", "05/03/2026",
             "đang xử lý", "trực tuyến"]])
    reading = read_export(path, reader())
    assert reading.describe()[0].startswith("Cột đã nhận: «Mã số hồ sơ» (B) → Mã hồ sơ; "
                                            "«Mã TTHC» (C) → Mã thủ tục")
    record = reading.records[0][1]
    assert (record.status, record.channel) == (Status.PROCESSING, Channel.ONLINE)


def two_sheets(path: Path, hidden_first: bool = False) -> Path:
    simple_export(path, [[1, code("0201"), "1.001022", "Nguyễn Văn Bình", "02/02/2026 08:00",
                          "05/02/2026", None, "Đang xử lý"]], title="Tháng 2")
    book = load_workbook(path)
    march = book.copy_worksheet(book["Tháng 2"])
    march.title = "Tháng 3"
    march["B3"] = code("0301")
    book["Tháng 2"].sheet_state = "hidden" if hidden_first else "visible"
    book.save(path)
    return path


def test_the_first_sheet_with_the_table_is_read_unless_another_is_named(tmp_path: Path
                                                                       ) -> None:
    path = two_sheets(tmp_path / "quy1.xlsx")
    assert read_export(path, reader()).records[0][1].code == code("0201")
    assert read_export(path, reader(sheet="Tháng 3")).records[0][1].code == code("0301")
    assert read_export(path, reader(sheet="THANG 3")).sheet == "Tháng 3"
    hidden = two_sheets(tmp_path / "an.xlsx", hidden_first=True)
    assert read_export(hidden, reader()).sheet == "Tháng 3"


def test_the_import_command_takes_a_sheet_name(catalogued: Runtime, tmp_path: Path) -> None:
    path = two_sheets(tmp_path / "quy1.xlsx")
    config = shipped_config(catalogued, tmp_path)
    done = import_cli(config, "--sheet", "Tháng 3", str(path))
    assert done.output.startswith("quy1.xlsx: trang «Tháng 3», dòng tiêu đề 2\n")
    assert sorted(stored(catalogued)) == [code("0301")]
    missing = import_cli(config, "--sheet", "Tháng 4", str(path))
    assert missing.exit_code == 1
    assert missing.output == ("Tệp quy1.xlsx: không có trang tính «Tháng 4»; các trang có: "
                              "«Tháng 2», «Tháng 3»\n")


def test_a_table_without_a_required_column_is_refused_naming_it(tmp_path: Path) -> None:
    path = simple_export(tmp_path / "a.xlsx", [[1, code("0001"), "Nguyễn Văn Bình"]],
                         headers=["STT", "Mã hồ sơ", "Chủ hồ sơ", "Tên thủ tục", "Trạng thái"])
    with pytest.raises(SpreadsheetError) as caught:
        read_export(path, reader())
    assert str(caught.value) == (
        "Tệp a.xlsx, trang «Hồ sơ», dòng tiêu đề 2: thiếu cột «Mã thủ tục» (hoặc Mã TTHC, Mã "
        "thủ tục hành chính); «Ngày tiếp nhận» (hoặc Ngày nhận, Ngày nhận hồ sơ)")


# -- what clerks read about refused rows -----------------------------------------------------

def test_each_refused_row_names_its_row_columns_and_what_was_expected(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        [n, code(f"00{n:02d}"), "1.001022", "Nguyễn Văn Bình", "02/03/2026 08:00",
         "05/03/2026", None, "Đang xử lý"] for n in range(1, 10)]
    rows.append([10, code("0010"), "1.001022", "Nguyễn Văn Bình", "02/03/2026 08:00",
                 "31/02/2026", None, "Đang xử lý"])
    rows.append([11, code("0011"), "1.001022", None, "hôm qua", "05/03/2026", None, "Đã ký"])
    rows.append([12, code("0001"), "1.001022", "Nguyễn Văn Bình", "02/03/2026 08:00",
                 "05/03/2026", None, "Đang xử lý"])
    reading = read_export(simple_export(tmp_path / "a.xlsx", rows), reader())
    assert [r.reason for r in reading.rejections] == [
        "Dòng 12, cột «Ngày hẹn trả»: «31/02/2026» không phải ngày hợp lệ (dd/mm/yyyy)",
        "Dòng 13, cột «Chủ hồ sơ»: để trống, cần tên người nộp hồ sơ; cột «Ngày tiếp nhận»: "
        "«hôm qua» không phải ngày hợp lệ (dd/mm/yyyy); cột «Trạng thái»: «Đã ký» không phải "
        "trạng thái đã biết (vd. «Đang xử lý», «Đã trả kết quả» hoặc mã 1–10); nhờ quản trị "
        "viên thêm vào status_map trong cấu hình",
        "Dòng 14, cột «Mã hồ sơ»: trùng mã hồ sơ 000.32.26.H26-260302-0001 với dòng 3 (giữ "
        "dòng 3)"]
    assert [(p.field, p.value) for p in reading.rejections[1].problems] == [
        ("applicant_name", None), ("received_at", "hôm qua"), ("status", "Đã ký")]
    assert len(reading.records) == 9 and len(reading.preview) == 10


def test_a_refused_row_is_quarantined_as_the_clerk_saw_it_and_fixed_by_its_column(
        catalogued: Runtime, tmp_path: Path) -> None:
    path = provincial_export(tmp_path / "thang3.xlsx")
    config = shipped_config(catalogued, tmp_path)
    done = import_cli(config, str(path))
    assert "  Dòng 16, cột «Hạn xử lý»: «31/02/2026» không phải ngày hợp lệ (dd/mm/yyyy)\n" \
        in done.output
    assert "  Bỏ qua 6 dòng không phải hồ sơ (dòng 8: dòng đánh số cột; dòng 9: dòng tiêu " \
        "đề nhóm «I. LĨNH VỰC HỘ TỊCH»;" in done.output
    with catalogued.sessions() as session:
        item = session.scalar(select(QuarantinedRecord))
    assert {k: item.payload[k] for k in ("_file", "_sheet", "_row", "Hạn xử lý",
                                         "Ngày tiếp nhận")} == {
        "_file": "thang3.xlsx", "_sheet": LIST_SHEET, "_row": 16, "Hạn xử lý": "31/02/2026",
        "Ngày tiếp nhận": "04/03/2026 09:30"}
    again = CliRunner().invoke(cli, ["--config", str(config), "quarantine", "fix", str(item.id),
                                     "--set", "Hạn xử lý=02/03/2026x"])
    assert again.output == (f"{item.id}: vẫn bị từ chối: Dòng 16, cột «Hạn xử lý»: "
                            "«02/03/2026x» không phải ngày hợp lệ (dd/mm/yyyy)\n")
    listed = CliRunner().invoke(cli, ["--config", str(config), "quarantine", "list"])
    assert f" {item.source_id} " in listed.output  # the row it came from, not "-"
    seen = catalogued.calendar.local(item.last_seen_at)  # in office time, not UTC
    assert f" {seen:%d/%m/%Y %H:%M} " in listed.output
    fixed = CliRunner().invoke(cli, ["--config", str(config), "quarantine", "fix", str(item.id),
                                     "--set", "Hạn xử lý=04/03/2026"])
    assert fixed.output == f"{item.id}: đã lưu\n"
    assert stored(catalogued)[code("0005")].source_due_at == local(2026, 3, 4, 17, 0)
    with catalogued.sessions() as session:
        entries = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    # Both fixes are audited as the system account that ran them; the one that stored names
    # the dossier and what it set.
    assert [(e.action, e.username, e.target) for e in entries] == [
        ("quarantine_fix", f"cli:{getpass.getuser()}", f"quarantine #{item.id}"),
        ("quarantine_fix", f"cli:{getpass.getuser()}", code("0005"))]
    assert entries[1].detail == f"quarantine #{item.id}" and entries[1].changes


def test_a_discard_from_the_command_line_is_audited_with_its_reason(
        catalogued: Runtime, tmp_path: Path) -> None:
    config = shipped_config(catalogued, tmp_path)
    import_cli(config, str(provincial_export(tmp_path / "thang3.xlsx")))
    with catalogued.sessions() as session:
        item = session.scalar(select(QuarantinedRecord))
    done = CliRunner().invoke(cli, ["--config", str(config), "quarantine", "discard",
                                    str(item.id), "--reason", "Trùng hồ sơ đã nhập tay"])
    assert done.output == f"{item.id}: đã bỏ qua\n"
    with catalogued.sessions() as session:
        entry = session.scalar(select(AuditLog))
    assert (entry.action, entry.username, entry.target, entry.detail) == (
        "quarantine_discard", f"cli:{getpass.getuser()}", f"quarantine #{item.id}",
        "Trùng hồ sơ đã nhập tay")


def test_records_the_ingest_refuses_are_explained_in_vietnamese(catalogued: Runtime,
                                                                tmp_path: Path) -> None:
    path = simple_export(tmp_path / "a.xlsx", [
        [1, code("0001"), "9.999999", "Nguyễn Văn Bình", "02/03/2026 08:00", "05/03/2026",
         None, "Đang xử lý"]])
    done = import_cli(shipped_config(catalogued, tmp_path), str(path))
    assert ("  Dòng 3: «Mã thủ tục» 9.999999 chưa có trong danh mục thủ tục và hồ sơ không ghi "
            "«Thời hạn giải quyết»; cần thêm thủ tục vào danh mục hoặc ghi thời hạn giải quyết "
            "của hồ sơ\n") in done.output
