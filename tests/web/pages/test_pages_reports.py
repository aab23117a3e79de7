"""Report pages: Biểu 06 on screen and as an XLSX laid out like the form, 766, handling times."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from service.vocabulary import Channel, Outcome, Status
from tests.conftest import UNIT_CODE, local
from tests.pages_support import (  # noqa: F401 - settings is a fixture
    add_user,
    login,
    settings,
)

QUERY = f"unit={UNIT_CODE}&period=2026-Q3&windows=decree09"


@pytest.fixture
def signed_in(client: Any, session: Session, make_dossier: Any) -> Any:
    """A viewer (leadership) signed in, and three dossiers in Q3 2026."""
    make_dossier(received_at=local(2026, 7, 1, 9), channel=Channel.ONLINE, is_open=False,
                 status=Status.RETURNED, finished_at=local(2026, 7, 2, 9), outcome=Outcome.EARLY)
    make_dossier(received_at=local(2026, 7, 1, 9), due_at=local(2026, 7, 3, 17),
                 handler="Công an xã")
    make_dossier(received_at=local(2026, 6, 1, 9), due_at=local(2026, 12, 1, 17))
    session.commit()
    add_user(session, "lanhdao", "viewer")
    login(client, "lanhdao")
    return client


def test_form06_page_shows_the_form(signed_in: Any) -> None:
    page = signed_in.get(f"/bao-cao/bieu-06?{QUERY}").get_data(as_text=True)
    assert "Quý III năm 2026 (từ ngày 15/06/2026 đến ngày 14/09/2026)" in page
    cells = '<th scope="row">Hộ tịch</th>' + "".join(
        f'<td class="num">{v}</td>' for v in (3, 1, 1, 1, 1, 1, 0, 0, 2, 1, 1))
    assert cells in page


def test_form06_xlsx_is_laid_out_like_the_official_form(signed_in: Any) -> None:
    response = signed_in.get(f"/bao-cao/bieu-06.xlsx?{QUERY}")
    assert response.status_code == 200
    assert "bieu-06-000.32.26.H26-20260615-20260914.xlsx" in response.headers[
        "Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["Biểu 06"]
    assert sheet["A1"].value == "Biểu số 06/VPCP/KSTT"
    assert sheet["D1"].value.startswith("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
    assert "Quý III năm 2026" in sheet["D3"].value
    assert sheet["K1"].value == "Đơn vị báo cáo: UBND xã Thanh Miện"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"C6:F6", "G6:M6", "D8:E8", "G7:J7", "K7:M7", "A6:A9", "B6:B9"} <= merged
    assert [sheet.cell(10, c).value for c in (1, 3, 13)] == ["(1)", "(3)", "(13)"]
    assert [sheet.cell(11, c).value for c in range(1, 14)] == [
        1, "Hộ tịch", 3, 1, 1, 1, 1, 1, 0, 0, 2, 1, 1]
    assert sheet.cell(12, 2).value == "Tổng cộng" and sheet.cell(12, 3).value == 3


def test_a_bad_period_is_explained(signed_in: Any) -> None:
    response = signed_in.get(f"/bao-cao/bieu-06?unit={UNIT_CODE}&period=2026-Q9")
    assert response.status_code == 400
    assert "Kỳ báo cáo “2026-Q9” không hợp lệ" in response.get_data(as_text=True)


def test_reports_of_a_unit_outside_the_users_scope_are_refused(signed_in: Any) -> None:
    assert signed_in.get("/bao-cao/bieu-06?unit=000.99.26.H26&period=2026-Q3").status_code == 404
    assert signed_in.get("/bao-cao/bieu-06.xlsx?unit=000.99.26.H26").status_code == 404


def test_assessment_and_handling_pages(signed_in: Any) -> None:
    page = signed_in.get(f"/bao-cao/chi-so-766?{QUERY}").get_data(as_text=True)
    assert "Tự đánh giá theo Quyết định 766/QĐ-TTg" in page and "điểm trên các chỉ số" in page
    page = signed_in.get(f"/bao-cao/thoi-gian-giai-quyet?{QUERY}").get_data(as_text=True)
    assert "Trung vị" in page and "Công an xã" in page


def test_dashboard_shows_cards_and_svg_charts(signed_in: Any) -> None:
    page = signed_in.get("/tong-quan").get_data(as_text=True)
    assert page.count("<svg class=\"chart ") == 3
    assert "Quá hạn" in page and "Phải gửi phiếu xin lỗi hôm nay" in page
    # The CSP allows scripts from /static only: no inline script, no style attribute.
    assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", page) == []
    assert " style=" not in page
