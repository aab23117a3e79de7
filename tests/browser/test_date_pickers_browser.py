"""The one date picker (static/datepicker.js) on each kind of page that asks for a date, in an
English (en-US) Chromium: the clerk types dd/mm/yyyy or picks from the calendar, by mouse or
keyboard, submits, and the server receives dd/mm/yyyy [hh:mm] whatever the browser's locale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.clerks import NOW, sign_in
from tests.browser.support import CHROMIUM, PHONE
from tests.conftest import UNIT_CODE

LAPTOP = {"width": 1366, "height": 900}
# Dossier 7 of the clerks' seed: open, due 12/03/2026 17:00; the server's clock: 10/03 09:00.
CODE = f"{UNIT_CODE}-260208-0007"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package"),
]


@pytest.fixture
def server(clerks_server: str) -> str:
    """The seeded clerks' app (tests/browser/conftest.py)."""
    return clerks_server


def english_page(browser: Any, server: str, **options: Any) -> Iterator[Any]:
    tab = browser.new_page(locale="en-US", **options)
    # The browser's clock agrees with the server's: an empty field's calendar opens on today.
    tab.clock.set_fixed_time(NOW)
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    # The favicon's 404 is logged as a failed load; that is not a problem.
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error"
           and not message.text.startswith("Failed to load resource") else None)
    sign_in(tab, server)
    yield tab
    assert problems == []  # no script error, no CSP violation


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A signed-in clerk's laptop tab in English that fails on any script error."""
    yield from english_page(browser, server, viewport=LAPTOP)


def field_and_button(page: Any, label: str) -> tuple[Any, Any]:
    field = page.get_by_label(label, exact=True)
    wrap = page.locator(".datefield").filter(has=field)
    return field, wrap.get_by_role("button", name="Chọn ngày trên lịch")


def received(request: Any) -> dict[str, list[str]]:
    """The form fields a request carried: the query of a GET, the body of a POST."""
    text = request.post_data if request.method == "POST" else urlsplit(request.url).query
    return parse_qs(text or "")


def test_list_filter_takes_a_typed_day_and_one_picked_with_the_keyboard(page: Any,
                                                                       server: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/ho-so")
    first, _ = field_and_button(page, "Tiếp nhận từ ngày")
    last, calendar = field_and_button(page, "đến ngày")
    first.fill("01/02/2026")
    calendar.click()
    # An empty field opens on the other date of the form, with that day focused.
    expect(page.locator(".datepicker:not([hidden]) .datepicker-title")).to_have_text("Tháng 2/2026")
    expect(page.get_by_role("button", name="01/02/2026")).to_be_focused()
    for key in ("PageDown", "ArrowDown", "ArrowRight", "End", "ArrowLeft"):
        page.keyboard.press(key)  # 01/03 (Sunday), 08/03, 09/03, 15/03, 14/03
    expect(page.locator(".datepicker:not([hidden]) .datepicker-title")).to_have_text("Tháng 3/2026")
    page.keyboard.press("Enter")
    assert last.input_value() == "14/03/2026"
    expect(last).to_be_focused()
    with page.expect_request("**/ho-so?**") as sent:
        page.get_by_role("button", name="Lọc").click()
    query = received(sent.value)
    assert query["received_from"] == ["01/02/2026"] and query["received_to"] == ["14/03/2026"]
    page.wait_for_load_state()
    assert first.input_value() == "01/02/2026" and last.input_value() == "14/03/2026"
    days = page.locator("td[data-label='Tiếp nhận']").all_inner_texts()
    assert days and all((int(d[6:10]), int(d[3:5]), int(d[:2])) >= (2026, 2, 1) and
               (int(d[6:10]), int(d[3:5]), int(d[:2])) <= (2026, 3, 14) for d in days)


def test_extension_form_sends_the_new_date_picked_from_the_calendar(page: Any,
                                                                   server: str) -> None:
    page.goto(f"{server}/ho-so/{CODE}/gia-han")
    page.get_by_label("Lý do chậm trễ").fill("Chờ kết quả xác minh của Công an huyện")
    field, calendar = field_and_button(page, "Ngày hẹn trả mới")
    calendar.click()
    page.get_by_role("button", name="10/03/2026").and_(page.locator(":focus")).wait_for()
    page.get_by_role("button", name="Tháng sau").click()
    page.get_by_role("button", name="03/04/2026").click()
    assert field.input_value() == "03/04/2026"
    calendar.click()
    page.keyboard.press("Escape")  # closes and goes back to the button
    assert page.locator(".datepicker").first.is_hidden()
    page.get_by_label("Người ký phiếu").fill("Chủ tịch UBND xã Trần Văn An")
    with page.expect_request(lambda r: r.method == "POST" and "/gia-han" in r.url) as sent:
        page.get_by_role("button", name="Lập phiếu xin lỗi và hẹn lại").click()
    assert received(sent.value)["new_date"] == ["03/04/2026"]
    page.wait_for_url(f"**/ho-so/{CODE}/phieu-xin-loi")
    assert "17 giờ 00 phút, ngày 03/04/2026" in page.locator("article.letter").inner_text()


def test_report_as_of_is_a_date_and_time_typed_and_picked_dd_mm_yyyy(page: Any,
                                                                    server: str) -> None:
    page.goto(f"{server}/bao-cao/bieu-06?unit={UNIT_CODE}&ky=q1&nam=2026&windows=calendar")
    field, calendar = field_and_button(page, "Số liệu tính đến (dd/mm/yyyy hh:mm; để trống: "
                                             "hiện tại, hoặc cuối kỳ đã qua)")
    assert field.evaluate("f => f.type") == "text"  # not the browser's locale-bound datetime-local
    field.fill("05/03/2026 08:15")
    calendar.click()
    page.get_by_role("button", name="09/03/2026").click()
    assert field.input_value() == "09/03/2026 08:15"  # picking a day keeps the time
    with page.expect_request("**/bao-cao/bieu-06?**") as sent:
        page.get_by_role("button", name="Xem").click()
    assert received(sent.value)["as_of"] == ["09/03/2026 08:15"]
    page.wait_for_load_state()
    assert page.locator(".as-of").inner_text() == "Số liệu tính đến 08:15 ngày 09/03/2026"

    field, _ = field_and_button(page, "Số liệu tính đến (dd/mm/yyyy hh:mm; để trống: "
                                      "hiện tại, hoặc cuối kỳ đã qua)")
    field.fill("09/03/2026")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_load_state()
    assert "viết ngày và giờ dạng dd/mm/yyyy hh:mm" in page.locator(".flash.error").inner_text()


def test_on_a_phone_digits_become_a_date_and_the_calendar_fits(browser: Any,
                                                               server: str) -> None:
    phone = english_page(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    tab = next(phone)
    tab.goto(f"{server}/ho-so/{CODE}/gia-han")
    field, calendar = field_and_button(tab, "Ngày hẹn trả mới")
    assert field.get_attribute("inputmode") == "numeric"
    field.fill("20032026")  # a number pad has no "/"
    field.blur()
    assert field.input_value() == "20/03/2026"
    calendar.tap()
    panel = tab.locator(".datepicker").first.bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= PHONE["width"]
    day = tab.get_by_role("button", name="25/03/2026")
    assert day.bounding_box()["height"] >= 40  # big enough for a finger
    day.tap()
    assert field.input_value() == "25/03/2026"
    next(phone, None)
