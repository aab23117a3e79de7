"""Complaints on the web: the public form, the lookup page, the clerks' pages, roles and audit."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.complaints import answer, assign, submit_public
from service.models import AuditLog, Complaint, ComplaintStatus, Dossier
from service.runtime import Runtime
from tests.conftest import local, make_settings
from tests.pages_support import (
    FAST_HASHES,
    add_user,
    csrf_from,
    csrf_token,
    ensure_unit,
    login,
    proof_from,
)

NOW = local(2026, 3, 10, 9)  # Tue: due 15 working days later, Tue 31/03/2026 17:00
TEXT = "Hồ sơ nộp đã quá hẹn mà chưa có kết quả, đề nghị kiểm tra."
ANSWER = "Hồ sơ đã ký ngày 11/03, mời ông đến Bộ phận Một cửa nhận kết quả."


@pytest.fixture
def settings(tmp_path: Any) -> dict[str, Any]:
    """Cheap password hashes and a small complaint limit per address."""
    return make_settings(f"sqlite:///{tmp_path / 'app.db'}", web=FAST_HASHES,
                         complaints={"rate_limit": "3 per hour"})


@pytest.fixture(autouse=True)
def fixed_clock(runtime: Runtime) -> None:
    runtime.now = lambda: NOW  # type: ignore[method-assign] - the pages' clock, passed in


def send_public(client: Any, **fields: str) -> Any:
    data = {"name": "Trần Văn Hùng", "phone": "0912 345 678", "content": TEXT, **fields,
            "csrf_token": csrf_from(client, "/tra-cuu/phan-anh")}
    return client.post("/tra-cuu/phan-anh", data=data)


def look_up(client: Any, code: str, factor: str) -> Any:
    return client.post("/tra-cuu", data={"code": code, "factor": factor,
                                         "csrf_token": csrf_from(client)})


def test_the_public_form_gives_a_code_and_the_lookup_shows_its_progress(
        client: Any, session: Session) -> None:
    ensure_unit(session)
    session.commit()
    page = send_public(client).get_data(as_text=True)
    assert "PAKN-260310-001" in page and "31/03/2026 17:00" in page
    stored = session.scalar(select(Complaint))
    assert (stored.name, stored.phone, stored.dossier_id) == ("Trần Văn Hùng", "0912345678",
                                                              None)
    found = look_up(client, "pakn-260310-001", "5678")
    text = found.get_data(as_text=True)
    assert found.status_code == 200
    assert "đang chờ cán bộ tiếp nhận" in text and "Trần V. H." not in text
    assert "0912345678" not in text and TEXT not in text
    wrong = look_up(client, "PAKN-260310-001", "1234")
    unknown = look_up(client, "PAKN-260310-009", "5678")
    assert wrong.status_code == unknown.status_code == 404
    assert _notice(wrong) == _notice(unknown)


def _notice(response: Any) -> str:
    return re.search(r'role="alert">([^<]+)<', response.get_data(as_text=True)).group(1)


@pytest.mark.parametrize(("fields", "message"), [
    ({"phone": "12345"}, "Số điện thoại không hợp lệ"),
    ({"content": "ngắn"}, "cần ít nhất 10 ký tự"),
    ({"name": ""}, "Họ và tên: chưa nhập"),
    ({"content": "x" * 2001}, "tối đa 2000 ký tự"),
])
def test_the_public_form_names_what_is_wrong_and_keeps_what_was_typed(
        client: Any, session: Session, fields: dict[str, str], message: str) -> None:
    ensure_unit(session)
    session.commit()
    answer = send_public(client, **fields)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in page
    assert 'value="Trần Văn Hùng"' in page or fields.get("name") == ""
    assert session.scalar(select(Complaint)) is None


def test_the_public_form_needs_its_csrf_token(client: Any) -> None:
    answer = client.post("/tra-cuu/phan-anh", data={"name": "A B", "phone": "0912345678",
                                                    "content": TEXT})
    assert answer.status_code == 400


def test_the_public_form_is_limited_per_address_and_keeps_the_text(
        client: Any, session: Session) -> None:
    ensure_unit(session)
    session.commit()
    codes = [send_public(client, content=f"{TEXT} Lần {n}.").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = send_public(client, content="Nội dung lần thứ năm vẫn được giữ lại.")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert "gửi nhiều phản ánh" in page and "Nội dung lần thứ năm vẫn được giữ lại." in page


def test_a_citizen_complains_about_their_dossier_and_reads_the_answer(
        client: Any, session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = make_dossier(handler="Công an xã", received_at=local(2026, 3, 2, 9))
    session.commit()
    shown = look_up(client, dossier.code, "5678")
    result = shown.get_data(as_text=True)
    assert "Phản ánh, kiến nghị về hồ sơ này" in result
    token = csrf_from(client)
    # The form carries the lookup's proof: the factor alone (even the right one) is refused.
    refused = client.post("/tra-cuu/phan-anh/ho-so", data={
        "code": dossier.code, "factor": "5678", "content": TEXT, "csrf_token": token})
    assert refused.status_code == 403 and session.scalar(select(Complaint)) is None
    sent = client.post("/tra-cuu/phan-anh/ho-so", data={
        "code": dossier.code, "proof": proof_from(shown), "content": TEXT,
        "csrf_token": token})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "Đã nhận phản ánh PAKN-260310-001" in page
    assert "Phản ánh, kiến nghị đã được chuyển đến Công an xã" not in page
    assert "Khi cơ quan đã trả lời phản ánh đang chờ" not in page  # the thanks replaces it

    add_user(session, "lan", "clerk")
    login(client, "lan")
    token = csrf_token(client)
    base = "/phan-anh-kien-nghi/PAKN-260310-001"
    assert client.post(f"{base}/tiep-nhan", data={"csrf_token": token}).status_code == 302
    client.post(f"{base}/tra-loi", data={"csrf_token": token, "answer": ANSWER})
    complaint = session.scalar(select(Complaint))
    session.refresh(complaint)
    assert complaint.status is ComplaintStatus.ANSWERED and complaint.answer == ANSWER
    client.post("/dang-xuat", data={"csrf_token": token})
    again = look_up(client, dossier.code, "5678").get_data(as_text=True)
    assert "Trả lời của Công an xã ngày 10/03/2026" in again and ANSWER in again
    assert 'name="content"' in again  # answered: a new complaint may be sent


def test_clerks_receive_pass_on_answer_and_close_with_an_audit_trail(
        client: Any, session: Session, make_dossier: Callable[..., Dossier]) -> None:
    dossier = make_dossier()
    session.commit()
    _file(client, dossier.code)
    add_user(session, "lan", "clerk")
    login(client, "lan")
    listing = client.get("/phan-anh-kien-nghi").get_data(as_text=True)
    assert "PAKN-260310-001" in listing and "Nguyễn V. B." in listing
    token = csrf_token(client)
    base = "/phan-anh-kien-nghi/PAKN-260310-001"
    client.post(f"{base}/tiep-nhan", data={"csrf_token": token})
    client.post(f"{base}/chuyen-xu-ly", data={"csrf_token": token,
                                               "handler": "Công chức Tư pháp - Hộ tịch"})
    refused = client.post(f"{base}/ket-thuc", data={"csrf_token": token, "note": ""},
                          follow_redirects=True).get_data(as_text=True)
    assert "Lý do kết thúc khi chưa trả lời: chưa nhập" in refused
    client.post(f"{base}/tra-loi", data={"csrf_token": token, "answer": ANSWER})
    client.post(f"{base}/ket-thuc", data={"csrf_token": token, "note": ""})
    page = client.get(base).get_data(as_text=True)
    assert "Trả lời đúng hạn" in page and "Đã kết thúc" in page and ANSWER in page
    actions = session.execute(select(AuditLog.action, AuditLog.target, AuditLog.dossier_id)
                              .order_by(AuditLog.id)).all()
    assert [a for a, _, _ in actions] == ["complaint_received", "complaint_assigned",
                                          "complaint_answered", "complaint_closed"]
    assert {(t, d) for _, t, d in actions} == {("PAKN-260310-001", dossier.id)}
    assigned = session.scalar(select(AuditLog.changes).where(
        AuditLog.action == "complaint_assigned"))
    assert {"field": "complaint_handler", "old": None,
            "new": "Công chức Tư pháp - Hộ tịch"} in assigned
    page = client.get(f"/ho-so/{dossier.code}").get_data(as_text=True)
    assert "Trả lời phản ánh, kiến nghị" in page  # the dossier's audit trail
    assert '<a href="/phan-anh-kien-nghi/PAKN-260310-001">PAKN-260310-001</a> (đã kết thúc)' in page


def _file(client: Any, code: str) -> None:
    proof = proof_from(look_up(client, code, "5678"))
    client.post("/tra-cuu/phan-anh/ho-so", data={"code": code, "proof": proof,
                                                  "content": TEXT,
                                                  "csrf_token": csrf_from(client)})


def switch(client: Any, username: str) -> None:
    client.post("/dang-xuat", data={"csrf_token": csrf_token(client)})
    login(client, username)


def test_roles_see_and_do_only_what_they_may(client: Any, session: Session,
                                            make_dossier: Callable[..., Dossier]) -> None:
    dossier = make_dossier(handler="Công an xã")
    session.commit()
    _file(client, dossier.code)
    add_user(session, "xem", "viewer")
    add_user(session, "ca", "head", handler="Công an xã")
    add_user(session, "tp", "head", handler="Công chức Tư pháp - Hộ tịch")
    base = "/phan-anh-kien-nghi/PAKN-260310-001"
    login(client, "xem")
    page = client.get(base).get_data(as_text=True)
    assert "Nguyễn V. B." in page and "0912345678" not in page and "•••••••678" in page
    assert 'action="/phan-anh-kien-nghi' not in page
    assert client.post(f"{base}/tiep-nhan", data={"csrf_token": csrf_token(client)}
                       ).status_code == 403
    switch(client, "tp")
    assert client.get(base).status_code == 404
    switch(client, "ca")
    page = client.get(base).get_data(as_text=True)
    assert "Nguyễn Văn Bình" in page and "Gửi trả lời" in page
    assert "/tiep-nhan" not in page and "/chuyen-xu-ly" not in page
    token = csrf_token(client)
    assert client.post(f"{base}/tiep-nhan", data={"csrf_token": token}).status_code == 403
    client.post(f"{base}/tra-loi", data={"csrf_token": token, "answer": ANSWER})
    assert session.scalar(select(Complaint.answered_by)) == "Cán bộ ca"


def test_the_report_counts_by_body_on_the_page_and_in_excel(
        client: Any, session: Session, runtime: Runtime) -> None:
    unit_id = ensure_unit(session).id
    for sent, handled in ((local(2026, 1, 5, 9), local(2026, 1, 6, 9)),
                          (local(2026, 1, 5, 10), local(2026, 2, 20, 9)),
                          (local(2026, 3, 2, 9), None)):
        complaint = submit_public(session, runtime.complaint_policy, unit_id, "Lê Văn Tám",
                                  "0912345678", TEXT, sent)
        assign(session, complaint, "Công an xã", "Cán bộ", sent)
        if handled:
            answer(session, complaint, ANSWER, "Cán bộ", handled)
    add_user(session, "lan", "clerk")
    login(client, "lan")
    query = "unit=000.32.26.H26&ky=q1&nam=2026&windows=calendar"
    page = client.get(f"/bao-cao/phan-anh-kien-nghi?{query}").get_data(as_text=True)
    # Sent 05/01 (due 23/01: Sat 10/01 is worked): answered 06/01 on time, 20/02 late;
    # sent 02/03 (due 23/03), open and within at NOW (10/03): 1 on time of 2 decided.
    row = re.search(r"Công an xã</td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'class="num">([^<]+)<', row) == ["3", "1", "1", "1", "0", "50,0%"]
    assert "Quý I năm 2026" in page and 'value="q1" selected' in page
    book = load_workbook(BytesIO(client.get(f"/bao-cao/phan-anh-kien-nghi.xlsx?{query}").data))
    sheet = book.active
    assert [c.value for c in sheet[7]] == [1, "Công an xã", 3, 1, 1, 1, 0, 0.5]
    assert sheet.cell(7, 8).number_format == "0.0%" and sheet.freeze_panes == "C7"
    assert sheet["A3"].value == ("Kỳ báo cáo: Quý I năm 2026 "
                                 "(từ ngày 01/01/2026 đến ngày 31/03/2026)")
