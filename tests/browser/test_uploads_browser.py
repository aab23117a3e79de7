"""Uploads and quarantine in headless Chromium: upload a real XLSX, read the preview, confirm,
read the summary; watch a running import's progress bar; fix a quarantined record through the
form with the date picker; discard one with a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session

from connectors.base import DossierRecord
from service.ingest import quarantine
from service.ingest.imports import ImportSummary
from service.models import SpreadsheetUpload, Unit
from service.procedures import builtin_catalogue
from service.procedures.store import upsert_catalogue
from service.users.accounts import create_user
from service.vocabulary import Channel, Status
from tests.browser.support import ARTIFACTS, CHROMIUM, served
from tests.conftest import UNIT_CODE, local, make_settings
from tests.fixtures.spreadsheet.exports import provincial_export

NOW = local(2026, 3, 10, 9)
PASSWORD = "mật-khẩu-đủ-dài"
LAPTOP = {"width": 1366, "height": 900}
UNKNOWN = f"{UNIT_CODE}-260302-0042"
JUNK = f"{UNIT_CODE}-260302-0099"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package"),
]


def _record(code: str, procedure: str, applicant: str) -> DossierRecord:
    return DossierRecord(code=code, unit_code=UNIT_CODE, procedure_code=procedure,
                         procedure_name="Thủ tục lạ", domain_name="Hộ tịch",
                         applicant_name=applicant, channel=Channel.DIRECT,
                         received_at=local(2026, 3, 2, 9), status=Status.PROCESSING,
                         source_id=code)


def seed(session: Session) -> None:
    """The unit, the built-in catalogue, a clerk, and two records refused for their procedure."""
    session.add(Unit(code=UNIT_CODE, name="UBND xã Thanh Miện"))
    upsert_catalogue(session, builtin_catalogue())
    create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW, full_name="Nguyễn Thu Lan")
    reason = "«Mã thủ tục» 9.999999 chưa có trong danh mục thủ tục"
    quarantine.quarantine(session, "simulator", None, [
        (_record(UNKNOWN, "9.999999", "Phạm Văn Nam"), reason),
        (_record(JUNK, "9.999998", "Hồ sơ thử nghiệm"), reason)], NOW)


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return make_settings(f"sqlite:///{tmp_path / 'uploads.db'}",
                         web={"upload_folder": str(tmp_path / "uploads")})


@pytest.fixture
def server(settings: dict[str, Any]) -> Iterator[str]:
    with served(settings, seed, NOW) as url:
        yield url


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A signed-in clerk's page that fails the test on any script error or CSP violation.

    Its locale is English: the dates must still read dd/mm/yyyy, whatever the browser's.
    """
    tab = browser.new_page(viewport=LAPTOP, locale="en-US")
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    # Answers such as the form's 422 are logged as failed loads too; those are not problems.
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error"
           and not message.text.startswith("Failed to load resource") else None)
    tab.goto(f"{server}/dang-nhap")
    tab.get_by_label("Tên đăng nhập").fill("lan")
    tab.get_by_label("Mật khẩu").fill(PASSWORD)
    tab.get_by_role("button", name="Đăng nhập").click()
    tab.wait_for_url(f"{server}/tong-quan")
    yield tab
    assert problems == []


def test_a_clerk_uploads_an_export_previews_it_confirms_and_reads_the_summary(
        page: Any, server: str, settings: dict[str, Any], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    export = provincial_export(tmp_path / "Danh sách tháng 3.xlsx")
    page.get_by_role("link", name="Nhập tệp").click()
    page.get_by_label("Tệp danh sách hồ sơ").set_input_files(str(export))
    page.get_by_role("button", name="Tải lên và xem trước").click()
    page.wait_for_url(f"{server}/nhap-tep/*")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Xem trước tệp «Danh sách tháng 3.xlsx»")
    matched = page.locator("#matched-columns tbody tr")
    pairs = [row.locator("td").all_inner_texts()[1:] for row in matched.all()]
    assert ["Số hồ sơ", "Mã hồ sơ"] in pairs and ["Hạn xử lý", "Ngày hẹn trả"] in pairs
    assert ["Tình trạng", "Trạng thái"] in pairs and len(pairs) == 11
    ignored = page.locator("#ignored-columns").inner_text()
    assert "«STT» (A, số thứ tự)" in ignored and "«Trạng thái» (C, cột ẩn, trùng với cột L)" \
        in ignored
    assert page.locator("#row-count").inner_text() == ("5 dòng hồ sơ: 4 đọc được, 1 có lỗi; bỏ "
                                                       "qua 6 dòng không phải hồ sơ")
    refused = page.locator("#preview-rows tbody tr.bad")
    assert refused.count() == 1 and "«31/02/2026» không phải ngày hợp lệ" in refused.inner_text()
    page.screenshot(path=str(ARTIFACTS / "uploads-preview.png"), full_page=True)

    page.get_by_role("button", name="Xác nhận nhập").click()
    counts = page.locator("#import-counts")
    expect(counts).to_have_text(
        "Danh sách tháng 3.xlsx: tạo mới 4, cập nhật 0, không đổi 0, bị từ chối 1",
        timeout=60_000)
    assert "Dòng 16, cột «Hạn xử lý»" in page.locator("#import-problems").inner_text()
    expect(page.locator("#import-state")).to_have_text("Đã nhập xong")
    page.screenshot(path=str(ARTIFACTS / "uploads-summary.png"), full_page=True)
    assert not any(Path(settings["web"]["upload_folder"]).iterdir())  # the file is gone

    page.get_by_role("link", name="Hồ sơ", exact=True).click()
    page.get_by_label("Tìm theo mã hồ sơ, họ tên, số điện thoại hoặc số CCCD/CMND").fill(
        "260302-0004")
    page.get_by_role("button", name="Lọc").click()
    assert "Phạm Thị Hạnh" in page.locator("table.list tbody").inner_text()


def test_the_progress_bar_follows_a_running_import_then_shows_its_summary(
        page: Any, server: str, settings: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    engine = create_engine(settings["database_url"])
    summary = ImportSummary("lon.xlsx", "Hồ sơ", (2,), [], {"created": 900, "updated": 0,
                                                        "unchanged": 100, "rejected": 0})
    with Session(engine) as session:
        upload = SpreadsheetUpload(
            token="dang-nhap-do", user_id=1, username="lan", filename="lon.xlsx",
            stored_name="dang-nhap-do/lon.xlsx", size=1, digest="0" * 64,
            connector="spreadsheet", state="running", rows_total=1000, rows_done=400,
            created_at=NOW, started_at=NOW, heartbeat_at=NOW)
        session.add(upload)
        session.commit()
    page.goto(f"{server}/nhap-tep/dang-nhap-do")
    bar = page.locator("progress#import-progress")
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("400", "1000")
    with engine.begin() as conn:
        conn.execute(update(SpreadsheetUpload).values(rows_done=700,
                                                      heartbeat_at=NOW + dt.timedelta(seconds=5)))
    expect(page.locator("[data-progress-text]")).to_have_text("Đã đọc 700 / khoảng 1.000 dòng")
    assert page.evaluate("document.querySelector('progress').value") == 700
    with engine.begin() as conn:
        conn.execute(update(SpreadsheetUpload).values(
            state="done", rows_done=1000, finished_at=NOW, summary=summary.stored(500)))
    expect(page.locator("#import-counts")).to_have_text(
        "lon.xlsx: tạo mới 900, cập nhật 0, không đổi 100, bị từ chối 0")
    engine.dispose()


def test_a_clerk_fixes_a_quarantined_record_through_the_form(page: Any, server: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="Hồ sơ lỗi dữ liệu", exact=True).click()
    page.locator("section.card").filter(has_text=UNKNOWN).get_by_role(
        "link", name="Sửa hoặc bỏ qua").click()
    assert "9.999999 chưa có trong danh mục" in page.locator("#reason").inner_text()
    page.get_by_label("Mã thủ tục").select_option("1.004873")
    page.get_by_label("Chủ hồ sơ").fill("")
    due_field = page.locator(".datefield").filter(has=page.get_by_label("Ngày hẹn trả", exact=True))
    due_field.get_by_role("button", name="Chọn ngày trên lịch").click()
    # The calendar opens on the receipt month (03/2026), though today is another month.
    expect(page.locator(".datepicker-title").first).to_have_text("Tháng 3/2026")
    page.screenshot(path=str(ARTIFACTS / "quarantine-datepicker.png"))
    page.get_by_role("button", name="05/03/2026").click()
    assert page.get_by_label("Ngày hẹn trả", exact=True).input_value() == "05/03/2026"
    page.get_by_role("button", name="Lưu và nhập lại").click()

    error = page.locator("#err-applicant_name")
    expect(error).to_have_text("Chủ hồ sơ: để trống, cần tên người nộp hồ sơ")
    due = page.get_by_label("Ngày hẹn trả", exact=True)
    assert due.input_value() == "05/03/2026"  # what the clerk chose is kept
    page.screenshot(path=str(ARTIFACTS / "quarantine-form-errors.png"), full_page=True)
    page.get_by_label("Chủ hồ sơ").fill("Phạm Văn Nam")
    page.get_by_role("button", name="Lưu và nhập lại").click()
    expect(page.locator(".flash.ok")).to_have_text(f"Đã lưu hồ sơ {UNKNOWN} vào cơ sở dữ liệu.")

    page.goto(f"{server}/ho-so/{UNKNOWN}")
    body = page.locator("main").inner_text()
    assert "Cấp Giấy xác nhận tình trạng hôn nhân" in body and "Phạm Văn Nam" in body
    assert "05/03/2026 17:00" in body


def test_a_clerk_discards_a_record_giving_a_reason(page: Any, server: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/quan-tri/cach-ly")
    page.locator("section.card").filter(has_text=JUNK).get_by_role(
        "link", name="Sửa hoặc bỏ qua").click()
    page.get_by_role("button", name="Bỏ qua bản ghi").click()
    expect(page.locator("#err-reason")).to_contain_text("hãy ghi lý do bỏ qua bản ghi")
    page.get_by_label("Lý do bỏ qua").fill("Hồ sơ thử nghiệm của phần mềm một cửa")
    page.get_by_role("button", name="Bỏ qua bản ghi").click()
    expect(page.locator(".flash.ok")).to_have_text("Đã bỏ qua bản ghi.")
    assert JUNK not in page.locator("main").inner_text()
    page.get_by_role("link", name="Đã bỏ qua").click()
    expect(page.locator("main")).to_contain_text(
        "Bỏ qua bởi lan: Hồ sơ thử nghiệm của phần mềm một cửa")
