"""The clerks' web app in headless Chromium: sign in, filter, open, extend, download Biểu 06."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.clerks import sign_in
from tests.browser.support import ARTIFACTS, CHROMIUM, PHONE
from tests.conftest import UNIT_CODE


@pytest.fixture
def server(clerks_server: str) -> str:
    """The seeded clerks' app (tests/browser/conftest.py)."""
    return clerks_server

LAPTOP = {"width": 1366, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package"),
]


def test_clerk_day_from_login_to_extension_and_form06(server: str, browser: Any,
                                                      tmp_path: Path) -> None:
    page = browser.new_page(viewport=LAPTOP, locale="vi-VN", accept_downloads=True)
    sign_in(page, server)
    assert page.locator(".stat.overdue .figure").inner_text().isdigit()
    assert page.locator("svg.chart").count() == 3
    page.screenshot(path=str(ARTIFACTS / "clerks-dashboard.png"), full_page=True)

    page.get_by_role("link", name="Hồ sơ", exact=True).click()
    page.get_by_label("Trạng thái").select_option("5")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url("**/ho-so?**status=5**")
    statuses = page.locator("td[data-label='Trạng thái']").all_inner_texts()
    assert statuses and set(statuses) == {"Yêu cầu bổ sung giấy tờ"}

    code = f"{UNIT_CODE}-260208-0007"
    page.get_by_label("Tìm theo mã hồ sơ, họ tên, số điện thoại hoặc số CCCD/CMND").fill(
        "260208-0007")
    page.get_by_label("Trạng thái").select_option("")
    page.get_by_role("button", name="Lọc").click()
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"**/ho-so/{code}")
    body = page.locator("main").inner_text()
    assert "Theo quy định (Nghị định 118/2025)" in body and "Giải thích cách tính" in body
    # A clerk sees the ID number masked (docs/domain.md, Personal data); the phone in clear.
    assert "001190012345" not in body and "•••••••••345" in body

    page.get_by_role("link", name="Hẹn lại ngày trả (xin lỗi)").click()
    page.get_by_label("Lý do chậm trễ").fill("Chờ kết quả xác minh của Công an huyện")
    page.get_by_label("Ngày hẹn trả mới").fill("20/03/2026")
    page.get_by_label("Người ký phiếu").fill("Chủ tịch UBND xã Trần Văn An")
    # Due 12/03/2026 17:00 and the server's clock says 10/03: in time, so no late warning.
    assert "Xin lỗi muộn" not in page.locator("main").inner_text()
    page.get_by_role("button", name="Lập phiếu xin lỗi và hẹn lại").click()
    page.wait_for_url(f"**/ho-so/{code}/phieu-xin-loi")
    letter = page.locator("article.letter").inner_text()
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in letter
    assert "17 giờ 00 phút, ngày 20/03/2026" in letter
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    page.screenshot(path=str(ARTIFACTS / "clerks-apology-letter-print.png"), full_page=True)
    page.emulate_media(media="screen")

    page.goto(f"{server}/ho-so/{code}/gia-han")
    assert "chỉ cho phép hẹn lại một lần" in page.locator("main").inner_text()

    page.goto(f"{server}/bao-cao/bieu-06?unit={UNIT_CODE}&period=2026-Q1&windows=calendar")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải Excel (đúng mẫu Biểu 06)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    sheet = load_workbook(saved)["Biểu 06"]
    assert sheet["A1"].value == "Biểu số 06/VPCP/KSTT"
    total_row = next(r for r in range(11, 20) if sheet.cell(r, 2).value == "Tổng cộng")
    cells = {c: sheet.cell(total_row, c).value for c in range(3, 14)}
    # Q1 is in progress on the server's clock (10/03 09:00), so the form is judged then: the
    # six seeded dossiers received on 12/03 to 27/03 are not counted yet.
    assert sheet["D4"].value == "Số liệu tính đến 09:00 ngày 10/03/2026"
    assert cells[3] == 24 and cells[3] == cells[4] + cells[5] + cells[6] == cells[7] + cells[11]
    assert cells[7] == 10 and cells[10] == 2


def test_phone_width_list_and_dashboard(server: str, browser: Any) -> None:
    page = browser.new_page(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    sign_in(page, server)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "clerks-dashboard-phone.png"), full_page=True)
    page.goto(f"{server}/ho-so")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    first = page.locator("table.list tbody tr").first
    assert first.locator("td[data-label='Mã hồ sơ'] a").is_visible()
    assert "Trần Thị Hoa" in first.inner_text() and "0987654321" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "clerks-list-phone.png"), full_page=True)
