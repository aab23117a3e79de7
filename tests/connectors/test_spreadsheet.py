"""Spreadsheet exports: CSV and XLSX import with good, bad and duplicate rows; drop folder."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import select

from connectors.base import Batch
from connectors.spreadsheet import SpreadsheetConnector
from jobs import watch_folder
from service.cli import cli
from service.ingest.quarantine import fix, retry
from service.ingest.runs import BatchResult, run_connector
from service.models import ConnectorCursor, Dossier, QuarantinedRecord
from service.runtime import Runtime
from service.vocabulary import Channel, Status
from tests.conftest import local, shipped_config
from tests.webhook_support import reconfigure

FIXTURES = Path(__file__).parents[1] / "fixtures" / "spreadsheet"
MIXED = FIXTURES / "export_mixed.csv"
UNIT = "000.32.26.H26"
EXPECTED_REJECTS = {
    6: ", cột «Ngày tiếp nhận»: «32/13/2026» không phải ngày hợp lệ (dd/mm/yyyy)",
    7: ", cột «Trạng thái»: «Đang chờ ký» không phải trạng thái đã biết",
    8: ", cột «Mã hồ sơ»: trùng mã hồ sơ 000.32.26.H26-260302-0001 với dòng 4 (giữ dòng 4)",
    9: ", cột «Chủ hồ sơ»: để trống, cần tên người nộp hồ sơ",
    11: ": «Mã thủ tục» 9.999999 chưa có trong danh mục thủ tục và hồ sơ không ghi «Thời hạn "
        "giải quyết»",
}


@pytest.fixture
def config_file(catalogued: Runtime, tmp_path: Path) -> Path:
    return shipped_config(catalogued, tmp_path)


def import_cli(config: Path, *files: Path) -> Any:
    return CliRunner().invoke(cli, ["--config", str(config), "import", *map(str, files)],
                              catch_exceptions=False)


def stored(runtime: Runtime) -> dict[str, Dossier]:
    with runtime.sessions() as session:
        return {d.code: d for d in session.scalars(select(Dossier))}


def xlsx_from_csv(source: Path, target: Path) -> Path:
    """The same export as XLSX, dates as real Excel date cells where the CSV has plain ones."""
    book = Workbook()
    sheet = book.active
    with source.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter=";"):
            cells: list[Any] = []
            for value in row:
                try:
                    cells.append(dt.datetime.strptime(value, "%d/%m/%Y %H:%M"))
                except ValueError:
                    cells.append(value or None)
            sheet.append(cells)
    book.save(target)
    return target


def check_mixed_result(output: str, runtime: Runtime) -> None:
    assert ": tạo mới 3, cập nhật 0, không đổi 0, bị từ chối 5" in output
    for row, reason in EXPECTED_REJECTS.items():
        assert f"  Dòng {row}{reason}" in output, (row, output)
    rows = stored(runtime)
    assert sorted(rows) == [f"{UNIT}-260302-000{n}" for n in (1, 2, 7)]
    first, returned, waiting = (rows[f"{UNIT}-260302-000{n}"] for n in (1, 2, 7))
    assert first.received_at == local(2026, 3, 2, 8, 15)
    assert first.source_due_at == local(2026, 3, 5, 17, 0)  # a date alone means close of day
    assert first.returned_at is None and first.applicant_phone == "0912345678"
    assert (returned.status, returned.channel) == (Status.RETURNED, Channel.ONLINE)
    assert returned.returned_at == local(2026, 3, 4, 10, 0)
    assert waiting.received_at == local(2026, 3, 3, 8, 30)
    assert (waiting.status, waiting.channel) == (Status.WAITING_SUPPLEMENT, Channel.POSTAL)


def test_csv_import_stores_good_rows_and_names_bad_ones(config_file: Path,
                                                        catalogued: Runtime) -> None:
    done = import_cli(config_file, MIXED)
    assert done.exit_code == 0, done.output
    check_mixed_result(done.output, catalogued)
    assert "0912345678" not in done.output  # personal data stays out of the summary


def test_xlsx_import_with_title_rows_and_excel_dates(config_file: Path, catalogued: Runtime,
                                                     tmp_path: Path) -> None:
    book = xlsx_from_csv(MIXED, tmp_path / "export_mixed.xlsx")
    done = import_cli(config_file, book)
    assert done.exit_code == 0, done.output
    check_mixed_result(done.output, catalogued)


def test_reimport_writes_nothing_and_keeps_one_quarantine_row_per_item(
        config_file: Path, catalogued: Runtime) -> None:
    import_cli(config_file, MIXED)
    again = import_cli(config_file, MIXED)
    assert "tạo mới 0, cập nhật 0, không đổi 3, bị từ chối 5" in again.output
    with catalogued.sessions() as session:
        held = session.scalars(select(QuarantinedRecord)).all()
    assert len(held) == 5 and {q.times_seen for q in held} == {2}


def test_a_quarantined_row_fixed_by_a_clerk_is_stored(config_file: Path,
                                                      catalogued: Runtime) -> None:
    import_cli(config_file, MIXED)
    connector = SpreadsheetConnector("spreadsheet", {"unit_code": UNIT})
    with catalogued.sessions.begin() as session:
        item = session.scalar(select(QuarantinedRecord).where(
            QuarantinedRecord.reason.contains("32/13/2026")))
        assert item.payload["_row"] == 6 and item.payload["_file"] == "export_mixed.csv"
        payload = {**item.payload, "Ngày tiếp nhận": "02/03/2026 14:00"}
        fix(session, item.id, payload, "clerk", local(2026, 3, 5, 9))
        result = retry(session, [item.id], catalogued.derive, local(2026, 3, 5, 9),
                       lambda name: connector)
    assert result[0].resolved and item.state == "resolved" and item.fixed_by == "clerk"
    assert item.original_payload["Ngày tiếp nhận"] == "32/13/2026"
    assert stored(catalogued)[f"{UNIT}-260302-0003"].received_at == local(2026, 3, 2, 14)


def test_a_file_without_a_header_row_is_refused_in_one_line(config_file: Path,
                                                           tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_text("a;b\n1;2\n", encoding="utf-8")
    done = import_cli(config_file, junk)
    assert done.exit_code == 1
    assert done.output == ("Tệp junk.csv: không tìm thấy dòng tiêu đề có cột mã hồ sơ («Mã hồ "
                           "sơ», «Số hồ sơ», «Mã HS»…) trong 20 dòng đầu của trang «junk»\n")


def folder_settings(runtime: Runtime, folder: Path, **options: Any) -> Runtime:
    runtime.settings["connectors"] = {"drop": {
        "type": "spreadsheet", **SpreadsheetConnector.options_schema().load(
            {"unit_code": UNIT, "folder": str(folder), "settle_seconds": 60, **options})}}
    return reconfigure(runtime)


def age(path: Path, seconds: float) -> None:
    when = path.stat().st_mtime - seconds
    os.utime(path, (when, when))


def test_watched_folder_imports_settled_files_and_moves_them(catalogued: Runtime,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    settled, fresh, junk = (folder / "a.csv", folder / "b.csv", folder / "c.csv")
    shutil.copy(MIXED, settled)
    shutil.copy(MIXED, fresh)
    junk.write_text("no;header\n", encoding="utf-8")
    age(settled, 120)
    age(junk, 120)
    runtime = folder_settings(catalogued, folder)
    watch_folder.run(runtime, dt.datetime.now(dt.UTC))
    assert len(stored(runtime)) == 3
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["b.csv"]
    assert [p.name[16:] for p in (folder / "imported").iterdir()] == ["a.csv"]
    assert sorted(p.name[16:] for p in (folder / "failed").iterdir()) == [
        "c.csv", "c.csv.reason.txt"]


def test_the_ingest_command_sets_a_bad_file_aside_with_its_reason_as_the_job_does(
        catalogued: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    junk, good = folder / "a-hong.xlsx", folder / "b.csv"
    junk.write_bytes(b"PK\x03\x04 not a workbook" * 40)
    shutil.copy(MIXED, good)
    age(junk, 120)
    age(good, 120)
    config = shipped_config(catalogued, tmp_path, {"connectors": {"drop": {
        "type": "spreadsheet", "unit_code": UNIT, "folder": str(folder), "settle_seconds": 60}}})
    done = CliRunner().invoke(cli, ["--config", str(config), "ingest", "drop"])
    assert done.exit_code == 0, done.output
    assert len(stored(catalogued)) == 3  # the good file behind the bad one
    reasons = list((folder / "failed").glob("*.reason.txt"))
    assert len(reasons) == 1 and "a-hong.xlsx" in reasons[0].read_text(encoding="utf-8")


def test_an_interrupted_file_resumes_after_the_last_committed_row(catalogued: Runtime,
                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(MIXED, folder / "a.csv")
    age(folder / "a.csv", 120)
    runtime = folder_settings(catalogued, folder, batch_rows=3)
    now = dt.datetime.now(dt.UTC)

    def crash(batch: Batch, result: BatchResult) -> None:
        raise KeyboardInterrupt  # the process stops right after the first commit

    with pytest.raises(KeyboardInterrupt):
        run_connector(runtime.sessions, runtime.connector("drop"), runtime.derive, now, crash)
    with runtime.sessions() as session:
        assert session.get(ConnectorCursor, "drop").cursor["row"] == 6
    assert len(stored(runtime)) == 2 and (folder / "a.csv").exists()
    resumed = run_connector(runtime.sessions, runtime.connector("drop"), runtime.derive, now)
    assert (resumed.created, resumed.rejected) == (1, 3)  # rows 7-11 only
    assert len(stored(runtime)) == 3 and not (folder / "a.csv").exists()


def test_quarantine_commands_list_fix_retry_and_discard(config_file: Path,
                                                       catalogued: Runtime) -> None:
    import_cli(config_file, MIXED)
    runner = CliRunner()

    def quarantine(*args: str) -> Any:
        return runner.invoke(cli, ["--config", str(config_file), "quarantine", *args],
                             catch_exceptions=False)

    listed = quarantine("list")
    assert "5 mục" in listed.output and "0912345678" not in listed.output
    assert listed.output.count("Chờ xử lý") == 5
    with catalogued.sessions() as session:
        ids = {q.reason.split(",")[0]: q.id for q in session.scalars(select(QuarantinedRecord))
               if q.reason.startswith("Dòng")}
    fixed = quarantine("fix", str(ids["Dòng 6"]), "--set", "Ngày tiếp nhận=02/03/2026 14:00")
    assert fixed.output.strip() == f"{ids['Dòng 6']}: đã lưu"
    retried = quarantine("retry", "--all")
    # Only the duplicate row can be stored as it is: a clerk retrying it takes its values.
    assert "Đã nhập được 1/4 mục" in retried.output
    assert f"{ids['Dòng 8']}: 000.32.26.H26-260302-0001: đã lưu" in retried.output
    assert (f"{ids['Dòng 9']}: -: vẫn bị từ chối: Dòng 9, cột «Chủ hồ sơ»: để trống, cần tên "
            "người nộp hồ sơ") in retried.output
    assert quarantine("discard", str(ids["Dòng 9"])).exit_code == 2  # a reason is required
    assert quarantine("discard", str(ids["Dòng 9"]), "--reason", "hồ sơ thử nghiệm"
                      ).output.strip().endswith("đã bỏ qua")
    assert "2 mục" in quarantine("list").output
    with catalogued.sessions() as session:
        kept = session.get_one(QuarantinedRecord, ids["Dòng 9"])
        assert (kept.discard_reason, kept.fixed_by.startswith("cli:")) == ("hồ sơ thử nghiệm",
                                                                           True)
    refused = quarantine("discard", str(ids["Dòng 9"]), "--reason", "lần nữa")
    assert refused.exit_code == 1
    assert refused.output == f"Lỗi: mục cách ly số {ids['Dòng 9']} không còn chờ xử lý " \
                             "(đã bỏ qua)\n"
