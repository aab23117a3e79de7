"""Notices in headless Chromium: the clerk sees the SMS sent; the citizen stops further ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.models import Base
from service.runtime import Runtime
from service.users.accounts import create_user
from tests.browser.support import ARTIFACTS, CHROMIUM, PHONE, served
from tests.builders import ingest, record
from tests.conftest import UNIT_CODE, local, make_settings
from tests.fixtures.serving import serve
from tests.fixtures.sms.server import Gateway
from tests.notices.conftest import esms_section, run_notices

CODE = f"{UNIT_CODE}-260302-0009"
NOW = local(2026, 3, 2, 9, 5)
PASSWORD = "mật-khẩu-đủ-dài"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package"),
]


def no_seed(session: Session) -> None:
    """The database is filled before serving, by ingest and the notices job."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Gateway]]:
    """The app after one receipt notice went to the SMS stand-in; a clerk account."""
    gateway = Gateway()
    with serve(gateway.handle) as url:
        gateway.url = url
        settings = make_settings(
            f"sqlite:///{tmp_path / 'notices.db'}",
            notices={"enabled": True, "channels": ["sms"],
                     "sms": esms_section(url, tmp_path / "esms")})
        runtime = Runtime.from_settings(settings)
        Base.metadata.create_all(runtime.engine)
        ingest(runtime, local(2026, 3, 2, 9), record(CODE, local(2026, 3, 2, 9)))
        run_notices(runtime, NOW)
        with runtime.sessions.begin() as session:
            create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW,
                        full_name="Nguyễn Thu Lan")
        runtime.engine.dispose()
        with served(settings, no_seed, NOW) as app_url:
            yield app_url, gateway


def test_a_notice_shows_on_the_dossier_page_and_the_citizen_stops_the_next(
        server: tuple[str, Gateway], browser: Any) -> None:
    url, gateway = server
    assert len(gateway.sent) == 1
    clerk = browser.new_page(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    clerk.goto(f"{url}/ho-so/{CODE}")
    clerk.get_by_label("Tên đăng nhập").fill("lan")
    clerk.get_by_label("Mật khẩu").fill(PASSWORD)
    clerk.get_by_role("button", name="Đăng nhập").click()
    clerk.wait_for_url(f"**/ho-so/{CODE}")
    section = clerk.locator("#thong-bao")
    text = section.inner_text()
    assert "Tiếp nhận hồ sơ" in text and "Đã gửi qua SMS lúc 02/03/2026 09:05" in text
    section.screenshot(path=str(ARTIFACTS / "notices-dossier-section.png"))

    citizen = browser.new_page(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    citizen.goto(f"{url}/tra-cuu")
    citizen.get_by_label("Mã hồ sơ").fill(CODE)
    citizen.get_by_label("4 số cuối điện thoại hoặc mã tra cứu trên phiếu hẹn").fill("5678")
    citizen.get_by_role("button", name="Tra cứu").click()
    citizen.get_by_role("button", name="Không nhận tin nhắn về hồ sơ này nữa").click()
    confirmed = citizen.locator("p.notice.ok").inner_text()
    assert confirmed.startswith("Đã ghi nhận: ông/bà sẽ không nhận thêm tin nhắn SMS, Zalo")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    citizen.screenshot(path=str(ARTIFACTS / "notices-lookup-stopped-phone.png"), full_page=True)

    clerk.reload()
    text = clerk.locator("#thong-bao").inner_text()
    assert "Công dân đã từ chối nhận thông báo" in text
    assert "công dân tự đăng ký trên trang tra cứu" in text
    assert clerk.get_by_role("button", name="Công dân từ chối nhận thông báo").count() == 0
