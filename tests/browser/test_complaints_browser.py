"""Complaints and phone-width pages in headless Chromium: a citizen complains, a clerk answers,
the citizen reads the answer; list, dossier and lookup pages at 375 px, screenshotted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.clerks import sign_in
from tests.browser.support import CHROMIUM
from tests.conftest import UNIT_CODE


@pytest.fixture
def server(clerks_server: str) -> str:
    """The seeded clerks' app (tests/browser/conftest.py)."""
    return clerks_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package"),
]
# Dossier 7 of the clerks' seed: open, handled by "Văn phòng UBND xã", phone ending 4321.
CODE = f"{UNIT_CODE}-260208-0007"
PHONE_375 = {"width": 375, "height": 667}
# The clerks' browser fixtures: the seeded app at 10/03/2026 09:00, and Chromium.
LAPTOP = {"width": 1366, "height": 900}
COMPLAINT = "Hồ sơ nộp từ tháng 2 đã quá hẹn, đề nghị cho biết khi nào có kết quả."
ANSWER = "Hồ sơ đã được ký ngày 10/03/2026, mời ông/bà đến Bộ phận Một cửa nhận kết quả."


def look_up(page: Any, server: str, code: str, factor: str) -> None:
    page.goto(f"{server}/tra-cuu")
    page.get_by_label("Mã hồ sơ hoặc mã phản ánh").fill(code)
    page.get_by_label("4 số cuối điện thoại hoặc mã tra cứu trên phiếu hẹn").fill(factor)
    page.get_by_role("button", name="Tra cứu").click()


def test_a_citizen_complains_and_reads_the_clerk_s_answer(server: str, browser: Any,
                                                          tmp_path: Path) -> None:
    citizen = browser.new_page(viewport=PHONE_375, locale="vi-VN", is_mobile=True,
                               has_touch=True)
    look_up(citizen, server, CODE, "4321")
    citizen.get_by_label("Nội dung phản ánh, kiến nghị", exact=False).fill(COMPLAINT)
    citizen.get_by_role("button", name="Gửi phản ánh, kiến nghị").click()
    notice = citizen.locator("#phan-anh .notice.ok").inner_text()
    assert "Đã nhận phản ánh PAKN-260310-001" in notice and "31/03/2026 17:00" in notice
    citizen.screenshot(path=str(tmp_path / "citizen-complaint-sent-375.png"), full_page=True)

    clerk = browser.new_page(viewport=LAPTOP, locale="vi-VN")
    sign_in(clerk, server)
    clerk.get_by_role("link", name="Phản ánh, kiến nghị", exact=True).click()
    clerk.get_by_role("link", name="PAKN-260310-001").click()
    assert COMPLAINT in clerk.locator("main").inner_text()
    clerk.get_by_role("button", name="Tiếp nhận").click()
    clerk.get_by_label("Nội dung trả lời công dân").fill(ANSWER)
    clerk.get_by_role("button", name="Gửi trả lời").click()
    assert "Đã ghi trả lời" in clerk.locator(".flash.ok").inner_text()
    assert "Trả lời đúng hạn" in clerk.locator("main").inner_text()

    look_up(citizen, server, CODE, "4321")
    answered = citizen.locator("#phan-anh").inner_text()
    assert "Trả lời của Văn phòng UBND xã ngày 10/03/2026" in answered and ANSWER in answered
    citizen.screenshot(path=str(tmp_path / "citizen-complaint-answered-375.png"),
                       full_page=True)
    look_up(citizen, server, "PAKN-260310-001", "4321")
    assert ANSWER in citizen.locator("main").inner_text()


def scale_of_labels(page: Any) -> float:
    """The smallest chart label as drawn on screen, in CSS pixels."""
    return page.evaluate("""() => Math.min(...[...document.querySelectorAll('svg.chart text')]
        .map((t) => parseFloat(getComputedStyle(t).fontSize)
                    * t.ownerSVGElement.getScreenCTM().a))""")


def test_list_dossier_and_lookup_pages_at_375_px(server: str, browser: Any,
                                                 tmp_path: Path) -> None:
    page = browser.new_page(viewport=PHONE_375, locale="vi-VN", is_mobile=True,
                            has_touch=True)
    sign_in(page, server)
    assert scale_of_labels(page) >= 11
    page.screenshot(path=str(tmp_path / "dashboard-375.png"), full_page=True)

    page.goto(f"{server}/ho-so")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_375["width"]
    assert not page.locator("details.fold").evaluate("panel => panel.open")
    link = page.locator("table.list tbody tr").first.locator("td[data-label='Mã hồ sơ'] a")
    box = link.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE_375["height"], box
    page.screenshot(path=str(tmp_path / "list-375.png"))
    page.screenshot(path=str(tmp_path / "list-375-full.png"), full_page=True)
    page.get_by_text("Bộ lọc").click()
    assert page.get_by_label("Trạng thái").is_visible()

    page.goto(f"{server}/ho-so/{CODE}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_375["width"]
    page.screenshot(path=str(tmp_path / "dossier-375.png"), full_page=True)

    citizen = browser.new_page(viewport=PHONE_375, locale="vi-VN", is_mobile=True,
                               has_touch=True)
    look_up(citizen, server, CODE, "4321")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE_375["width"]
    citizen.screenshot(path=str(tmp_path / "lookup-375.png"), full_page=True)
    shots = sorted(p.name for p in tmp_path.glob("*-375*.png"))
    assert shots == ["dashboard-375.png", "dossier-375.png", "list-375-full.png",
                     "list-375.png", "lookup-375.png"]


def test_a_date_is_picked_from_the_calendar_in_an_english_browser(server: str, browser: Any
                                                                  ) -> None:
    page = browser.new_page(viewport=LAPTOP, locale="en-US")
    sign_in(page, server)
    page.goto(f"{server}/ho-so")
    field = page.get_by_label("Tiếp nhận từ ngày")
    field.fill("01/03/2026")
    page.get_by_role("button", name="Chọn ngày trên lịch").first.click()
    page.get_by_role("button", name="Tháng sau").click()
    page.get_by_role("button", name="Tháng trước").click()
    page.get_by_role("button", name="04/03/2026").click()
    assert field.input_value() == "04/03/2026"
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url("**received_from=04%2F03%2F2026**")
    days = page.locator("td[data-label='Tiếp nhận']").all_inner_texts()
    assert days and all(d[3:5] == "03" and int(d[:2]) >= 4 for d in days)
