"""In headless Chromium: print the receipt slip to PDF on one page; download and open the list
export; search a name without diacritics."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from service.dossiers.search.keys import search_columns
from service.dossiers.search.words import replace_words
from service.models import Dossier, Procedure, Unit
from service.users.accounts import create_user
from service.vocabulary import Channel, LimitUnit, Status
from tests.browser.support import CHROMIUM, served
from tests.conftest import UNIT_CODE, local, make_settings

NOW = local(2026, 3, 10, 9)
PASSWORD = "mật-khẩu-đủ-dài"
CODE = f"{UNIT_CODE}-260309-0001"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package"),
]


def seed(session: Session) -> None:
    """A commune, a procedure with a long name, two dossiers and a clerk."""
    unit = Unit(code=UNIT_CODE, name="UBND xã Thanh Miện")
    procedure = Procedure(code="1.001193", name="Đăng ký khai sinh kết hợp đăng ký nhận cha, "
                          "mẹ, con và cấp bản sao trích lục hộ tịch", domain_name="Hộ tịch",
                          limit_value=3, limit_unit=LimitUnit.WORKING_DAYS)
    for number, name in ((1, "Nguyễn Thị Thu Hương"), (2, "Trần Văn Bình")):
        values = dict(
            code=f"{UNIT_CODE}-260309-{number:04d}", unit=unit, procedure=procedure,
            applicant_name=name, applicant_phone="0979144153", channel=Channel.DIRECT,
            received_at=local(2026, 3, 9, 8 + number), due_at=local(2026, 3, 12, 17),
            status=Status.PROCESSING, is_open=True, received_by="Nguyễn Thu Lan",
            source="test", source_id=str(number), fingerprint="", lookup_secret="K7M2Q9PX",
            updated_at=NOW)
        row = Dossier(**values, **search_columns(values))
        session.add(row)
        session.flush()
        replace_words(session, {row.id: row.name_key}, fresh={row.id})
    create_user(session, "lan", PASSWORD, "clerk", [UNIT_CODE], NOW, full_name="Nguyễn Thu Lan")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The app on a loopback port with the clock at NOW."""
    with served(make_settings(f"sqlite:///{tmp_path / 'slip.db'}"), seed, NOW) as url:
        yield url


@pytest.fixture
def page(server: str, browser: Any) -> Any:
    """A signed-in clerk's page in headless Chromium."""
    tab = browser.new_page(locale="vi-VN", accept_downloads=True)
    tab.goto(f"{server}/dang-nhap")
    tab.get_by_label("Tên đăng nhập").fill("lan")
    tab.get_by_label("Mật khẩu").fill(PASSWORD)
    tab.get_by_role("button", name="Đăng nhập").click()
    tab.wait_for_url(f"{server}/tong-quan")
    return tab


def test_receipt_slip_prints_on_one_a5_page(server: str, page: Any, tmp_path: Path) -> None:
    page.goto(f"{server}/ho-so?q=nguyen thi thu")
    page.get_by_role("link", name=CODE).click()
    page.get_by_role("link", name="In giấy tiếp nhận và hẹn trả kết quả").click()
    page.wait_for_url(f"**/tra-cuu/phieu/{CODE}")
    assert page.get_by_role("button", name="In giấy tiếp nhận").is_visible()
    pdf = tmp_path / "giay-tiep-nhan.pdf"  # kept in pytest's tmp dir as the artefact
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    data = pdf.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=30,
                          check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    assert "(A5)" in info, info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          timeout=30, check=True).stdout
    text = " ".join(text.split())
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "UBND XÃ THANH MIỆN", CODE,
                     "K7M2Q9PX", "17 giờ 00 phút, ngày 12/03/2026", "Nguyễn Thị Thu Hương"):
        assert expected in text, expected
    assert "In giấy tiếp nhận" not in text  # the button is not printed


def test_list_export_downloads_and_opens(server: str, page: Any, tmp_path: Path) -> None:
    page.goto(f"{server}/ho-so?q=binh")
    assert page.locator("td[data-label='Mã hồ sơ']").all_inner_texts() == [
        f"{UNIT_CODE}-260309-0002"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Xuất Excel").click()
    assert download.value.suggested_filename == "danh-sach-ho-so-20260310-0900.xlsx"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    sheet = load_workbook(saved).active
    assert sheet["A2"].value == "Bộ lọc: Tìm kiếm: binh"
    assert [c.value for c in sheet[5]][:2] == [f"{UNIT_CODE}-260309-0002", "UBND xã Thanh Miện"]
    assert sheet.freeze_panes == "A5" and sheet.auto_filter.ref == "A4:S5"


def test_reprint_is_audit_logged(server: str, page: Any) -> None:
    for _ in range(2):
        page.goto(f"{server}/tra-cuu/phieu/{CODE}")
    page.goto(f"{server}/ho-so/{CODE}")
    history = page.locator("main").inner_text()
    assert "In lại giấy tiếp nhận hồ sơ và hẹn trả kết quả" in history
    assert "In giấy tiếp nhận hồ sơ và hẹn trả kết quả" in history


