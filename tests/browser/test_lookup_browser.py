"""The citizen lookup in headless Chromium at phone width: usable, readable, screenshotted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.ingest import national_code
from service.models import Dossier, Procedure, StatusEvent, Unit
from service.vocabulary import Channel, LimitUnit, Status
from tests.browser.support import ARGS, ARTIFACTS, CHROMIUM, PHONE, served
from tests.conftest import local, make_settings

CODE = "000.32.26.H26-260302-0001"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package"),
]

# Contrast of text against its nearest opaque background, WCAG 2 formula, for the elements a
# citizen must read; returns the lowest ratio found.
CONTRAST_JS = """
() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (!c.startsWith('rgba') || !c.endsWith(', 0)')) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  let worst = 21;
  for (const el of document.querySelectorAll('h1, h2, p, dt, dd, li, label, button, legend')) {
    if (!el.textContent.trim()) continue;
    const a = lum(getComputedStyle(el).color), b = lum(background(el));
    worst = Math.min(worst, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
  }
  return worst;
}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The app on a loopback port with one dossier, served from a thread."""
    settings = make_settings(f"sqlite:///{tmp_path / 'browser.db'}",
                             web={"secure_cookies": False})
    with served(settings, seed) as url:
        yield url


def seed(session: Any) -> None:
    unit = Unit(code="000.32.26.H26", name="UBND xã Thanh Miện")
    procedure = Procedure(code=national_code("1.004873"),
                          name="Cấp Giấy xác nhận tình trạng hôn nhân", domain_name="Hộ tịch",
                          limit_value=3, limit_unit=LimitUnit.WORKING_DAYS)
    received = local(2026, 3, 2, 9)
    dossier = Dossier(code=CODE, unit=unit, procedure=procedure,
                      applicant_name="Nguyễn Văn Bình", applicant_phone="0912345678",
                      applicant_id_no="010203004567", channel=Channel.DIRECT,
                      received_at=received, status=Status.PROCESSING, is_open=True,
                      handler="Công chức Tư pháp - Hộ tịch", source="test", source_id="1",
                      fingerprint="", lookup_secret="ABCD2345", updated_at=received,
                      source_due_at=local(2026, 3, 5, 16), extension_due_at=local(2026, 3, 9, 16),
                      due_at=local(2026, 3, 9, 16))
    session.add(dossier)
    session.flush()
    session.add_all([StatusEvent(dossier_id=dossier.id, at=received, status=Status.ACCEPTED),
                     StatusEvent(dossier_id=dossier.id, at=local(2026, 3, 2, 10),
                                 status=Status.PROCESSING)])


def test_lookup_on_a_phone_without_javascript(server: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport=PHONE, java_script_enabled=False, locale="vi-VN")
            page.goto(f"{server}/tra-cuu?ma={CODE}")
            assert page.get_by_label("Mã hồ sơ").input_value() == CODE
            page.get_by_label("4 số cuối điện thoại hoặc mã tra cứu trên phiếu hẹn").fill("5678")
            page.get_by_role("button", name="Tra cứu").click()
            page.wait_for_load_state()
            text = page.locator("main").inner_text()
            assert "Hồ sơ đang được xử lý tại Công chức Tư pháp - Hộ tịch." in text
            assert "Nguyễn V. B." in text and "0912345678" not in text
            assert "xin lỗi" in text
            page.screenshot(path=str(ARTIFACTS / "lookup-phone.png"), full_page=True)
        finally:
            browser.close()


def test_lookup_page_is_readable_and_easy_to_touch(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            page.goto(f"{server}/tra-cuu")
            assert page.locator("html").get_attribute("lang") == "vi"
            for control in page.locator("input:not([type=hidden]), button").all():
                box = control.bounding_box()
                assert box is not None and box["height"] >= 44, control.get_attribute("name")
                assert control.get_attribute("id") is None or page.locator(
                    f"label[for={control.get_attribute('id')}]").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert page.evaluate(CONTRAST_JS) >= 4.5
            page.screenshot(path=str(ARTIFACTS / "lookup-form-phone.png"), full_page=True)
        finally:
            browser.close()
