"""The exports clerks chase late dossiers with: the list, the alerts log, late by body."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from service.models import Alert, AlertDelivery
from service.models.alerts import AlertKind, DeliveryState
from service.runtime import Runtime
from service.vocabulary import Outcome, Status
from tests.conftest import local
from tests.pages_support import NOW, add_user, login, settings  # noqa: F401 - a fixture

RISKY = '=HYPERLINK("http://vi-du.vn","bấm vào")'


@pytest.fixture
def dossiers(make_dossier: Any, session: Session, runtime: Runtime) -> dict[str, Any]:
    """Dossiers in each class at NOW (Tuesday 10/03/2026 09:00), one with risky text."""
    runtime.now = lambda: NOW  # type: ignore[method-assign] - the pages' clock, fixed
    made = {
        "within": make_dossier(received_at=local(2026, 3, 9, 9), due_at=local(2026, 3, 13, 17),
                               handler="Công an xã", received_by="Lê Thị Cúc"),
        "overdue": make_dossier(received_at=local(2026, 3, 2, 9),
                                due_at=local(2026, 3, 5, 17), handler="Văn phòng UBND xã"),
        "paused": make_dossier(received_at=local(2026, 3, 3, 9), due_at=local(2026, 3, 6, 17),
                               status=Status.WAITING_SUPPLEMENT),
        "late": make_dossier(received_at=local(2026, 3, 4, 9), due_at=local(2026, 3, 6, 17),
                             status=Status.RETURNED, is_open=False, outcome=Outcome.LATE,
                             finished_at=local(2026, 3, 9, 10), handler="Công an xã"),
        "risky": make_dossier(received_at=local(2026, 3, 5, 9), due_at=local(2026, 3, 10, 17),
                              applicant_name=RISKY, handler="+84 tổ công tác",
                              received_by="@cán bộ", applicant_phone="-0912345678"),
    }
    session.commit()
    return made


def download(client: Any, url: str) -> tuple[str, Any]:
    """The file name and the only sheet of a downloaded workbook."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    name = response.headers["Content-Disposition"].split("filename=")[1].strip('"')
    return name, load_workbook(io.BytesIO(response.get_data())).active


def by_code(sheet: Any) -> dict[str, dict[str, Any]]:
    """Data rows keyed by their first cell, each cell under its header."""
    header = [cell.value for cell in sheet[4]]
    return {row[0].value: {h: c for h, c in zip(header, row, strict=True)}
            for row in sheet.iter_rows(min_row=5)}


def test_list_export_tells_class_working_days_and_phone_to_a_clerk(
        client: Any, session: Session, dossiers: dict[str, Any]) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    name, sheet = download(client, "/ho-so/xuat.xlsx?open=true&class=overdue&class=within")
    assert name == "danh-sach-ho-so-20260310-0900.xlsx"  # local time, not 02:00 UTC
    assert sheet["A1"].value == "DANH SÁCH HỒ SƠ – UBND xã Thanh Miện"
    assert sheet["A2"].value == "Bộ lọc: Tình trạng hạn: Quá hạn, Trong hạn; Đang mở: có"
    assert sheet["A3"].value == "Số liệu tính đến 09:00 10/03/2026"
    assert sheet.freeze_panes == "A5"
    rows = by_code(sheet)
    assert sheet.auto_filter.ref == f"A4:S{4 + len(rows)}"  # 19 columns
    within, overdue = rows[dossiers["within"].code], rows[dossiers["overdue"].code]
    assert set(rows) == {dossiers[k].code for k in ("within", "overdue", "risky")}
    # Due Friday 13/03: Wednesday, Thursday, Friday are left. Due Thursday 05/03: Friday 06,
    # Monday 09 and Tuesday 10 have passed.
    assert (within["Tình trạng hạn"].value, within["Số ngày làm việc còn lại"].value,
            within["Số ngày làm việc quá hạn"].value) == ("Trong hạn", 3, None)
    assert (overdue["Tình trạng hạn"].value, overdue["Số ngày làm việc quá hạn"].value,
            overdue["Số ngày làm việc còn lại"].value) == ("Quá hạn", 3, None)
    assert within["Đơn vị"].value == "UBND xã Thanh Miện"
    assert within["Cơ quan giải quyết"].value == "Công an xã"
    assert within["Cán bộ tiếp nhận"].value == "Lê Thị Cúc"
    assert within["Điện thoại"].value == "0912345678"
    assert within["Ngày tiếp nhận"].value.strftime("%d/%m/%Y %H:%M") == "09/03/2026 09:00"


def test_list_export_for_a_viewer_has_no_phone_and_masked_names(
        client: Any, session: Session, dossiers: dict[str, Any]) -> None:
    add_user(session, "lanhdao", "viewer")
    login(client, "lanhdao")
    _, sheet = download(client, "/ho-so/xuat.xlsx")
    rows = by_code(sheet)
    assert "Điện thoại" not in [cell.value for cell in sheet[4]]
    assert rows[dossiers["overdue"].code]["Người nộp"].value == "Nguyễn V. B."
    assert rows[dossiers["paused"].code]["Tình trạng hạn"].value == "Tạm dừng chờ bổ sung"
    assert rows[dossiers["paused"].code]["Số ngày làm việc còn lại"].value is None
    # Finished late: "trễ hạn", the portal's word for a finished dossier.
    assert rows[dossiers["late"].code]["Tình trạng hạn"].value == "Trễ hạn"
    flat = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert "0912345678" not in flat and "010203004567" not in flat


def test_text_from_the_sources_never_becomes_a_formula(client: Any, session: Session,
                                                       dossiers: dict[str, Any]) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    _, sheet = download(client, "/ho-so/xuat.xlsx")
    risky = by_code(sheet)[dossiers["risky"].code]
    for header, value in (("Người nộp", RISKY), ("Cơ quan giải quyết", "+84 tổ công tác"),
                          ("Cán bộ tiếp nhận", "@cán bộ"), ("Điện thoại", "-0912345678")):
        cell = risky[header]
        assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True), header
    assert risky["Mã hồ sơ"].data_type == "s" and not risky["Mã hồ sơ"].quotePrefix


def test_alerts_export_lists_each_alert_and_channel(client: Any, session: Session,
                                                    dossiers: dict[str, Any]) -> None:
    overdue = dossiers["overdue"]
    alert = Alert(dossier_id=overdue.id, kind=AlertKind.OVERDUE, level=2, recipient="email:ct",
                  recipient_name="=Chủ tịch", recipient_role="vice_chairman",
                  due_at=overdue.due_at, created_at=local(2026, 3, 6, 8),
                  send_after=local(2026, 3, 6, 8))
    session.add(alert)
    session.flush()
    session.add(AlertDelivery(alert_id=alert.id, channel="email", state=DeliveryState.FAILED,
                              attempts=3, next_attempt_at=NOW, last_error="550 hộp thư đầy"))
    session.commit()
    add_user(session, "admin", "admin")
    login(client, "admin")
    name, sheet = download(client, "/quan-tri/canh-bao/xuat.xlsx")
    assert name == "nhat-ky-canh-bao-20260310-0900.xlsx"
    assert sheet["A3"].value == "Số liệu tính đến 09:00 10/03/2026"
    line = [cell.value for cell in sheet[5]]
    assert line[1:10] == [overdue.code, "UBND xã Thanh Miện", "Quá hạn (báo cáo lãnh đạo)",
                          "=Chủ tịch", "Phó Chủ tịch phụ trách", line[6], "email",
                          "Gửi không thành công", 3]
    assert line[11] == "550 hộp thư đầy" and sheet["E5"].quotePrefix
    assert sheet.auto_filter.ref == "A4:L5"


def test_late_by_body_export(client: Any, session: Session, dossiers: dict[str, Any]) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    name, sheet = download(client, "/bao-cao/thoi-gian-giai-quyet/tre-han.xlsx"
                                   "?unit=000.32.26.H26&period=2026-03&windows=calendar")
    assert name == "tre-han-theo-co-quan-000.32.26.H26-20260310-0900.xlsx"
    assert sheet["A2"].value.startswith("Bộ lọc: đơn vị UBND xã Thanh Miện; kỳ ")
    lines = {row[0]: row[1:4] for row in sheet.iter_rows(min_row=5, values_only=True)}
    # Finished late: the "late" dossier (Công an xã). Open and overdue at NOW: "overdue"
    # (Văn phòng UBND xã); the paused one waits for the applicant.
    assert lines["Công an xã"] == (1, 0, 1)
    assert lines["Văn phòng UBND xã"] == (0, 1, 1)
