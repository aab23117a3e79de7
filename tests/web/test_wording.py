"""One word per concept, Vietnamese numbers and dates, the letter's issuer, the period picker."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Procedure
from service.runtime import Runtime
from service.vocabulary import LimitUnit, Outcome, Status
from service.web.pages.charts import column_chart, stacked_bars
from tests.conftest import UNIT_CODE, local
from tests.pages_support import (  # noqa: F401 - settings is a fixture
    add_user,
    csrf_token,
    login,
    settings,
)

NOW = local(2026, 3, 10, 9)


@pytest.fixture
def clerk(client: Any, session: Session, runtime: Runtime) -> Any:
    runtime.now = lambda: NOW  # type: ignore[method-assign] - the pages' clock, passed in
    add_user(session, "lan", "clerk")
    login(client, "lan")
    return client


def test_the_nav_names_the_data_errors_and_complaints(clerk: Any) -> None:
    page = clerk.get("/tong-quan").get_data(as_text=True)
    assert ">Hồ sơ lỗi dữ liệu</a>" in page and ">Phản ánh, kiến nghị</a>" in page
    assert "Cách ly" not in page


def test_finished_late_is_tre_han_and_open_late_is_qua_han(clerk: Any, make_dossier: Any,
                                                           session: Session) -> None:
    make_dossier(status=Status.RETURNED, is_open=False, outcome=Outcome.LATE,
                 returned_at=local(2026, 3, 6, 9), due_at=local(2026, 3, 5, 17))
    make_dossier(due_at=local(2026, 3, 5, 17))
    session.commit()
    page = clerk.get("/ho-so").get_data(as_text=True)
    assert '<span class="badge late">Trễ hạn</span>' in page
    assert '<span class="badge overdue">Quá hạn</span>' in page


def test_a_same_day_limit_reads_trong_ngay(clerk: Any, make_dossier: Any,
                                           session: Session) -> None:
    dossier = make_dossier(procedure_code="1.000999")
    procedure = session.scalar(select(Procedure).where(Procedure.id == dossier.procedure_id))
    procedure.limit_value, procedure.limit_unit = 0, LimitUnit.SAME_DAY
    session.commit()
    page = clerk.get(f"/ho-so/{dossier.code}").get_data(as_text=True)
    assert "<dt>Thời hạn theo quy định</dt><dd>Trong ngày</dd>" in page
    assert "0 trong ngày" not in page


@pytest.mark.parametrize(("handler", "agency"), [
    ("Công chức Tư pháp - Hộ tịch", "UBND xã Thanh Miện"),  # a post: the commune issues it
    ("Công an xã", "Công an xã Thanh Miện"),                # configured under agencies
])
def test_the_apology_letter_is_issued_by_an_agency_and_dated_in_the_commune(
        clerk: Any, make_dossier: Any, session: Session, handler: str, agency: str) -> None:
    dossier = make_dossier(handler=handler, received_at=local(2026, 3, 2, 9),
                           due_at=local(2026, 3, 12, 17))
    session.commit()
    answer = clerk.post(f"/ho-so/{dossier.code}/gia-han", data={
        "reason": "Cần xác minh thêm tại địa phương khác", "new_date": "20/03/2026",
        "signer": "Chủ tịch UBND xã Trần Văn An", "csrf_token": csrf_token(clerk)})
    assert answer.status_code == 302
    letter = clerk.get(answer.headers["Location"]).get_data(as_text=True)
    head = letter.split('<h1 class="letter-title">')[0]
    assert f'<p class="upper strong">{agency}</p>' in head
    assert '<p class="italic">Thanh Miện, ngày 10 tháng 3 năm 2026</p>' in head
    assert f"{agency} xin lỗi Ông/Bà" in letter and "17 giờ 00 phút, ngày 20/03/2026" in letter
    assert "…, ngày" not in letter and f">{handler}<" not in head


def test_the_list_reads_dates_typed_day_first(clerk: Any, make_dossier: Any,
                                              session: Session) -> None:
    early = make_dossier(received_at=local(2026, 3, 2, 9))
    late = make_dossier(received_at=local(2026, 3, 5, 9))
    session.commit()
    page = clerk.get("/ho-so?received_from=04/03/2026").get_data(as_text=True)
    assert late.code in page and early.code not in page
    assert 'placeholder="dd/mm/yyyy"' in page and 'type="date"' not in page
    refused = clerk.get("/ho-so?received_from=31/02/2026")
    assert refused.status_code == 400
    assert "Tiếp nhận từ ngày: giá trị không hợp lệ" in refused.get_data(as_text=True)


def test_the_dashboard_writes_rates_with_a_decimal_comma(clerk: Any, make_dossier: Any,
                                                         session: Session) -> None:
    for outcome in (Outcome.ON_TIME, Outcome.ON_TIME, Outcome.LATE):
        make_dossier(status=Status.RETURNED, is_open=False, outcome=outcome,
                     received_at=local(2026, 2, 2, 9), finished_at=local(2026, 2, 4, 9))
    session.commit()
    page = clerk.get("/tong-quan").get_data(as_text=True)
    assert '<td class="num">66,7%</td>' in page and "66.7" not in page


@pytest.mark.parametrize(("query", "label", "dates"), [
    ("ky=9m&nam=2026&windows=decree09", "9 tháng năm 2026",
     "từ ngày 15/12/2025 đến ngày 14/09/2026"),
    ("ky=9m&nam=2026&windows=calendar", "9 tháng năm 2026",
     "từ ngày 01/01/2026 đến ngày 30/09/2026"),
    ("ky=q1&nam=2026&windows=decree09", "Quý I năm 2026",
     "từ ngày 15/12/2025 đến ngày 14/03/2026"),
    ("ky=h1&nam=2026&windows=calendar", "6 tháng đầu năm 2026",
     "từ ngày 01/01/2026 đến ngày 30/06/2026"),
    ("ky=year&nam=2025&windows=decree09", "Năm 2025",
     "từ ngày 15/12/2024 đến ngày 14/12/2025"),
    ("ky=range&nam=2026&tu=01/02/2026&den=15/03/2026", "Từ 01/02/2026 đến 15/03/2026",
     "từ ngày 01/02/2026 đến ngày 15/03/2026"),
])
def test_the_period_picker_gives_the_windows(clerk: Any, query: str, label: str,
                                             dates: str) -> None:
    page = clerk.get(f"/bao-cao/bieu-06?unit={UNIT_CODE}&{query}").get_data(as_text=True)
    assert f"{label} ({dates})" in page
    assert 'name="period"' not in page  # no free-text box any more


def test_a_period_link_shows_in_the_picker_and_links_keep_the_code(clerk: Any) -> None:
    page = clerk.get(f"/bao-cao?unit={UNIT_CODE}&period=2026-H1").get_data(as_text=True)
    assert 'value="h1" selected' in page and 'value="2026" selected' in page
    assert f"/bao-cao/bieu-06?unit={UNIT_CODE}&amp;period=2026-H1&amp;windows=decree09" in page


def test_a_wrong_range_is_explained_and_kept(clerk: Any) -> None:
    answer = clerk.get(f"/bao-cao/bieu-06?unit={UNIT_CODE}&ky=range&tu=31/02/2026&den=x")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Khoảng ngày: «31/02/2026» không phải ngày hợp lệ (dd/mm/yyyy)." in page
    assert 'value="31/02/2026"' in page and 'value="range" selected' in page


def test_charts_write_vietnamese_numbers() -> None:
    bars = str(stacked_bars([("Hộ tịch", [1200, 300])], [("Trong hạn", "within"),
                                                        ("Quá hạn", "overdue")], "t"))
    assert ">1.500</text>" in bars and "Hộ tịch – Trong hạn: 1.200" in bars
    columns = str(column_chart(["01"], [66.14], "t"))
    assert "01: 66,1%" in columns and ">66</text>" in columns
    assert re.search(r'viewBox="0 0 360 \d+"', columns)


def test_no_template_formats_numbers_by_itself() -> None:
    # Numbers go through the `num` filter only, so none can come out as 66.14 or 1,000.
    for path in sorted(Path("service/web/templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"'%[-+ 0#]*[\d.]*[dfgi](?:'|\s*%%')|\.format\(|\|\s*round\b",
                             text), path
