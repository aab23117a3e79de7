"""Quarantined records corrected through the form: fields, Vietnamese errors beside them,
nothing stored until the whole record is valid, and discarding with a reason."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import DossierRecord, RejectedRecord
from connectors.spreadsheet import SpreadsheetConnector
from service.ingest import quarantine
from service.ingest.runs import run_connector
from service.models import AuditLog, Dossier, Procedure, QuarantinedRecord
from service.runtime import Runtime
from service.vocabulary import Channel, LimitUnit, Status
from tests.conftest import UNIT_CODE, local, make_settings
from tests.pages_support import FAST_HASHES, NOW, add_user, csrf_token, login

MIXED = Path(__file__).parents[1] / "fixtures" / "spreadsheet" / "export_mixed.csv"
CODE = f"{UNIT_CODE}-260302-0042"


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    """Cheap password hashes, and a webhook connector named "push"."""
    return make_settings(f"sqlite:///{tmp_path / 'app.db'}", web=FAST_HASHES, connectors={
        "push": {"type": "webhook", "unit_code": UNIT_CODE, "token_sha256": "0" * 64}})


@pytest.fixture
def unknown_procedure(session: Session) -> QuarantinedRecord:
    """A record the ingest path refused: procedure 9.999999 is not in the catalogue."""
    session.add(Procedure(code="1.004873", name="Cấp Giấy xác nhận tình trạng hôn nhân",
                          domain_name="Hộ tịch", limit_value=3,
                          limit_unit=LimitUnit.WORKING_DAYS))
    record = DossierRecord(
        code=CODE, unit_code=UNIT_CODE, procedure_code="9.999999", procedure_name="Thủ tục lạ",
        domain_name="Hộ tịch", applicant_name="Phạm Văn Nam", channel=Channel.DIRECT,
        received_at=local(2026, 3, 2, 9), status=Status.PROCESSING, source_id="q-42")
    quarantine.quarantine(session, "simulator", None, [(record, "«Mã thủ tục» 9.999999 chưa "
                                                                "có trong danh mục")], NOW)
    add_user(session, "lan", "clerk")
    return session.scalar(select(QuarantinedRecord))


def fields(**changes: str) -> dict[str, str]:
    """The form as the page fills it for the unknown-procedure record, with changes."""
    values = {"code": CODE, "procedure_code": "9.999999", "applicant_name": "Phạm Văn Nam",
              "status": "4", "channel": "1", "received_at": "02/03/2026 09:00",
              "source_due_at": "", "finished_at": "", "returned_at": "", "handler": ""}
    return {**values, **changes}


def post(client: Any, item: QuarantinedRecord, action: str, **data: str) -> Any:
    return client.post(f"/quan-tri/cach-ly/{item.id}",
                       data={"action": action, "csrf_token": csrf_token(client), **data})


def test_the_form_shows_the_records_fields_with_dates_as_the_office_writes_them(
        client: Any, unknown_procedure: QuarantinedRecord) -> None:
    login(client, "lan")
    page = client.get(f"/quan-tri/cach-ly/{unknown_procedure.id}").get_data(as_text=True)
    assert 'name="received_at" type="text" value="02/03/2026 09:00"' in page
    assert 'placeholder="dd/mm/yyyy hh:mm" data-datepicker="datetime"' in page
    assert '<option value="9.999999" selected>9.999999 (chưa có trong danh mục)</option>' in page
    assert '<option value="1.004873">1.004873 — Cấp Giấy xác nhận tình trạng hôn nhân' in page
    assert '<option value="4" selected>4. Đang xử lý</option>' in page
    assert 'type="date"' not in page


def test_a_clerk_chooses_the_procedure_from_the_catalogue_and_the_record_is_stored(
        client: Any, session: Session, unknown_procedure: QuarantinedRecord) -> None:
    login(client, "lan")
    answer = post(client, unknown_procedure, "fix",
                  **fields(procedure_code="1.004873", source_due_at="05/03/2026"))
    assert answer.status_code == 302
    session.expire_all()
    dossier = session.scalar(select(Dossier))
    assert (dossier.code, dossier.procedure.code) == (CODE, "1.004873")
    assert dossier.received_at == local(2026, 3, 2, 9)
    assert dossier.source_due_at == local(2026, 3, 5, 17)  # a date alone: close of office
    item = session.get_one(QuarantinedRecord, unknown_procedure.id)
    assert (item.state, item.fixed_by) == (quarantine.RESOLVED, "lan")
    assert item.payload["procedure_name"] == "Cấp Giấy xác nhận tình trạng hôn nhân"
    assert item.original_payload["procedure_code"] == "9.999999"
    assert session.scalar(select(AuditLog.action)) == "quarantine_fix"


def test_errors_stand_beside_their_fields_and_nothing_is_stored(
        client: Any, session: Session, unknown_procedure: QuarantinedRecord) -> None:
    login(client, "lan")
    answer = post(client, unknown_procedure, "fix", **fields(
        procedure_code="1.004873", received_at="31/02/2026", applicant_name="", status="",
        returned_at="2026-03-05", code="x" * 70))
    assert answer.status_code == 422
    page = html.unescape(answer.get_data(as_text=True))
    assert ('id="err-received_at">Ngày tiếp nhận: «31/02/2026» không phải ngày giờ có thật '
            '(dd/mm/yyyy hoặc dd/mm/yyyy hh:mm)') in page
    assert ('id="err-applicant_name">Chủ hồ sơ: để trống, cần tên người nộp hồ sơ') in page
    assert 'id="err-status">Trạng thái: để trống, cần trạng thái hồ sơ' in page
    assert ('id="err-returned_at">Ngày trả kết quả: «2026-03-05» không đúng dạng ngày '
            'dd/mm/yyyy hoặc dd/mm/yyyy hh:mm (vd. 05/03/2026 08:15)') in page
    assert 'id="err-code">Mã hồ sơ: dài 70 ký tự, tối đa 64 ký tự' in page
    assert 'name="received_at" type="text" value="31/02/2026"' in page  # what was typed
    assert "Có 5 trường cần sửa; chưa có gì được lưu." in page
    session.expire_all()
    item = session.get_one(QuarantinedRecord, unknown_procedure.id)
    assert (item.state, item.fixed_by, item.attempts, item.original_payload) == (
        quarantine.OPEN, None, 0, None)
    assert session.scalar(select(Dossier)) is None


def test_dates_before_the_receipt_and_procedures_outside_the_catalogue_are_refused(
        client: Any, session: Session, unknown_procedure: QuarantinedRecord) -> None:
    login(client, "lan")
    answer = post(client, unknown_procedure, "fix", **fields(
        source_due_at="01/03/2026", finished_at="02/03/2026 08:59"))
    page = html.unescape(answer.get_data(as_text=True))
    assert ('id="err-procedure_code">Thủ tục: «9.999999» chưa có trong danh mục thủ tục'
            not in page)  # the label is the record's: «Mã thủ tục»
    assert ('id="err-procedure_code">Mã thủ tục: «9.999999» chưa có trong danh mục thủ tục; '
            'chọn thủ tục đúng trong danh sách') in page
    assert ('id="err-source_due_at">Ngày hẹn trả: trước «Ngày tiếp nhận» (02/03/2026 09:00); '
            'cần ngày giờ từ lúc tiếp nhận trở đi') in page
    assert ('id="err-finished_at">Ngày có kết quả: trước «Ngày tiếp nhận» (02/03/2026 09:00); '
            'cần ngày giờ từ lúc tiếp nhận trở đi') in page
    session.expire_all()
    assert session.get_one(QuarantinedRecord, unknown_procedure.id).fixed_by is None


def test_discarding_needs_a_reason_which_is_kept_and_audited(
        client: Any, session: Session, unknown_procedure: QuarantinedRecord) -> None:
    login(client, "lan")
    refused = post(client, unknown_procedure, "discard", reason="  ")
    assert refused.status_code == 422
    assert ('id="err-reason">hãy ghi lý do bỏ qua bản ghi (ít nhất 5 ký tự)'
            in html.unescape(refused.get_data(as_text=True)))
    session.expire_all()
    assert session.get_one(QuarantinedRecord, unknown_procedure.id).state == quarantine.OPEN
    assert post(client, unknown_procedure, "discard",
                reason="Trùng hồ sơ đã nhập tay").status_code == 302
    session.expire_all()
    item = session.get_one(QuarantinedRecord, unknown_procedure.id)
    assert (item.state, item.discard_reason) == (quarantine.DISCARDED, "Trùng hồ sơ đã nhập tay")
    entry = session.scalar(select(AuditLog))
    assert (entry.action, entry.detail, entry.username) == (
        "quarantine_discard", "Trùng hồ sơ đã nhập tay", "lan")
    listed = client.get("/quan-tri/cach-ly?state=discarded").get_data(as_text=True)
    assert "Bỏ qua bởi lan: Trùng hồ sơ đã nhập tay" in listed


# -- spreadsheet rows: cells under the file's headers -----------------------------------------

@pytest.fixture
def imported(runtime: Runtime, session: Session) -> dict[int, QuarantinedRecord]:
    """The mixed export imported as the upload page does; its refused rows by row number."""
    session.add(Procedure(code="1.001193", name="Đăng ký khai sinh", domain_name="Hộ tịch",
                          limit_value=0, limit_unit=LimitUnit.SAME_DAY))
    add_user(session, "lan", "clerk")
    connector = SpreadsheetConnector("spreadsheet", {"unit_code": UNIT_CODE})
    connector.files = [MIXED]
    run_connector(runtime.sessions, connector, runtime.derive, NOW)
    session.expire_all()
    return {q.payload["_row"]: q for q in session.scalars(select(QuarantinedRecord))
            if "_row" in q.payload}


def test_a_row_with_an_unknown_status_word_is_fixed_by_choosing_the_status(
        client: Any, session: Session, imported: dict[int, QuarantinedRecord]) -> None:
    row = imported[7]
    login(client, "lan")
    page = client.get(f"/quan-tri/cach-ly/{row.id}").get_data(as_text=True)
    assert 'id="hint-status">Trong tệp: «Đang chờ ký»' in page
    assert '<option value="4" selected>' not in page  # nothing chosen for the clerk
    answer = post(client, row, "fix", code=f"{UNIT_CODE}-260302-0004",
                  procedure_code="1.001193", applicant_name="Phạm Thị Hạnh", status="4",
                  channel="1", received_at="02/03/2026 10:00", source_due_at="05/03/2026",
                  finished_at="", returned_at="", handler="")
    assert answer.status_code == 302, html.unescape(answer.get_data(as_text=True))
    session.expire_all()
    dossier = session.scalar(select(Dossier).where(Dossier.code == f"{UNIT_CODE}-260302-0004"))
    assert (dossier.status, dossier.source_status) == (Status.PROCESSING, "Đang xử lý")
    assert dossier.applicant_phone == "0901112244"  # a cell the form does not show, kept
    item = session.get_one(QuarantinedRecord, row.id)
    assert (item.payload["Trạng thái"], item.original_payload["Trạng thái"]) == (
        "Đang xử lý", "Đang chờ ký")


def test_a_row_whose_date_is_not_a_date_is_fixed_under_the_files_header(
        client: Any, session: Session, imported: dict[int, QuarantinedRecord]) -> None:
    row = imported[6]
    login(client, "lan")
    page = html.unescape(client.get(f"/quan-tri/cach-ly/{row.id}").get_data(as_text=True))
    assert "Dòng 6, cột «Ngày tiếp nhận»: «32/13/2026» không phải ngày hợp lệ" in page
    assert 'name="received_at" type="text" value="32/13/2026"' in page
    answer = post(client, row, "fix", code=f"{UNIT_CODE}-260302-0003",
                  procedure_code="1.001193", applicant_name="Lê Văn Cường", status="4",
                  channel="1", received_at="2/3/2026 14:00", source_due_at="05/03/2026",
                  finished_at="", returned_at="", handler="")
    assert answer.status_code == 302
    session.expire_all()
    dossier = session.scalar(select(Dossier).where(Dossier.code == f"{UNIT_CODE}-260302-0003"))
    assert dossier.received_at == local(2026, 3, 2, 14)
    assert session.get_one(QuarantinedRecord, row.id).payload["Ngày tiếp nhận"] == \
        "02/03/2026 14:00"


def test_a_raw_source_item_offers_no_form_but_retry_and_discard(
        client: Any, session: Session) -> None:
    add_user(session, "lan", "clerk")
    add_user(session, "root", "admin")
    quarantine.quarantine(session, "opencps", None, [RejectedRecord(
        {"dossierNo": "H26.1", "dossierStatus": "correcting"},
        "hồ sơ H26.1: trạng thái OpenCPS 'correcting' chưa được ánh xạ", "1")], NOW)
    session.commit()
    item = session.scalar(select(QuarantinedRecord))
    # No unit can be told for an item of a connector not configured: admins only.
    login(client, "lan")
    assert client.get(f"/quan-tri/cach-ly/{item.id}").status_code == 404
    client.post("/dang-xuat", data={"csrf_token": csrf_token(client)})
    login(client, "root")
    page = client.get(f"/quan-tri/cach-ly/{item.id}").get_data(as_text=True)
    assert 'name="received_at"' not in page and 'value="retry"' in page
    assert "hãy sửa ở hệ thống nguồn" in page and 'name="reason"' in page
    assert post(client, item, "fix", **fields()).status_code == 302
    assert "không sửa được bằng biểu mẫu" in client.get("/quan-tri/cach-ly").get_data(
        as_text=True)


def test_a_result_dated_the_day_of_receipt_without_a_time_is_asked_its_time(
        client: Any, session: Session, unknown_procedure: QuarantinedRecord) -> None:
    login(client, "lan")
    changes = {"procedure_code": "1.004873", "status": "10", "returned_at": "02/03/2026 16:00"}
    asked = post(client, unknown_procedure, "fix", **fields(**changes, finished_at="02/03/2026"))
    assert ('id="err-finished_at">Ngày có kết quả: trước «Ngày tiếp nhận» (02/03/2026 09:00); '
            'ngày không ghi giờ được tính lúc 07:30, hãy ghi giờ; cần ngày giờ từ lúc tiếp nhận '
            'trở đi') in html.unescape(asked.get_data(as_text=True))
    answer = post(client, unknown_procedure, "fix",
                  **fields(**changes, finished_at="02/03/2026 15:00"))
    assert answer.status_code == 302, html.unescape(answer.get_data(as_text=True))
    session.expire_all()
    dossier = session.scalar(select(Dossier))
    assert (dossier.status, dossier.returned_at) == (Status.RETURNED, local(2026, 3, 2, 16))


@pytest.fixture
def pushed(session: Session) -> QuarantinedRecord:
    """A record a webhook sender pushed with a receipt time that has no offset."""
    session.add(Procedure(code="1.004873", name="Cấp Giấy xác nhận tình trạng hôn nhân",
                          domain_name="Hộ tịch", limit_value=3,
                          limit_unit=LimitUnit.WORKING_DAYS))
    add_user(session, "lan", "clerk")
    payload = {"code": CODE, "procedure_code": "1.004873", "applicant_name": "Phạm Văn Nam",
               "channel": 2, "status": 4, "received_at": "2026-03-02 09:00",
               "applicant_phone": "0912345678"}
    quarantine.quarantine(session, "push", None, [RejectedRecord(
        payload, "record 0: received_at: Not a valid datetime.", CODE)], NOW)
    session.commit()
    return session.scalar(select(QuarantinedRecord))


def test_a_pushed_record_is_corrected_in_its_canonical_form(
        client: Any, session: Session, pushed: QuarantinedRecord) -> None:
    login(client, "lan")
    page = html.unescape(client.get(f"/quan-tri/cach-ly/{pushed.id}").get_data(as_text=True))
    assert ('name="received_at" type="text" value="02/03/2026 09:00"' in page
            and 'id="hint-received_at">Dữ liệu gốc: «2026-03-02 09:00» (không ghi múi giờ)' in page)
    assert '<option value="2" selected>2. Trực tuyến</option>' in page
    answer = post(client, pushed, "fix", code=CODE, procedure_code="1.004873",
                  applicant_name="Phạm Văn Nam", status="4", channel="2",
                  received_at="02/03/2026 09:00", source_due_at="", finished_at="",
                  returned_at="", handler="")
    assert answer.status_code == 302, html.unescape(answer.get_data(as_text=True))
    session.expire_all()
    dossier = session.scalar(select(Dossier))
    assert (dossier.received_at, dossier.channel) == (local(2026, 3, 2, 9), Channel.ONLINE)
    assert dossier.applicant_phone == "0912345678"
    assert session.get_one(QuarantinedRecord, pushed.id).payload["received_at"] == \
        "2026-03-02T09:00:00+07:00"
