"""Attacks on unit scope against the running stand: a clerk of unit A reaching unit B's
quarantined payloads, dossiers, exports, runs, alerts and audit entries, and a quarantine fix
that would overwrite unit B's dossier; what an allowed fix leaves in the audit log."""

from __future__ import annotations

import io
import json
import secrets
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import RejectedRecord
from service.ingest import quarantine
from service.models import (
    Alert,
    AuditLog,
    ConnectorRun,
    Dossier,
    QuarantinedRecord,
    User,
)
from service.models.alerts import AlertKind
from service.runtime import Runtime
from tests.builders import record
from tests.conftest import UNIT_CODE, local
from tests.security.conftest import (
    DOSSIER_A,
    DOSSIER_B,
    SEEDED_AT,
    TOKEN_RE,
    UNIT_B,
    Answer,
    Browser,
    Stand,
    call,
    default_seed,
)

UNIT_B_NAME = "UBND xã Ngũ Hùng"
# Quarantined records: unit B's (by its record, and by its connector), and two of unit A.
Q_B = f"{UNIT_B}-261130-0009"
Q_B_PHONE, Q_B_ID_NO, Q_B_EMAIL = "0977000111", "030201001234", "mai.hoang@example.vn"
PUSH_B_PHONE = "0966555444"
Q_A_OVERWRITE = f"{UNIT_CODE}-261130-0010"
Q_A_FIX = f"{UNIT_CODE}-261130-0011"
Q_A_FIX_PHONE = "0911222333"
UNKNOWN_PROCEDURE = "«Mã thủ tục» 9.999999 chưa có trong danh mục thủ tục"
# Words only unit B's runs, alerts and audit entries carry.
RUN_B, RUN_A = "cảnh báo riêng của kết nối đơn vị B", "cảnh báo riêng của kết nối đơn vị A"
ALERT_B = "Trưởng Công an xã Ngũ Hùng"
AUDIT_B_PHONE = "0987000000"


@pytest.fixture(scope="module")
def stand_overrides() -> dict[str, Any]:
    """A webhook connector configured for unit B (its items name no unit of their own)."""
    return {"connectors": {"push_b": {"type": "webhook", "token_sha256": "0" * 64,
                                      "unit_code": UNIT_B, "unit_name": UNIT_B_NAME}}}


def _refused(code: str, **extra: Any) -> tuple[Any, str]:
    """A record the ingest path refused: its procedure is not in the catalogue."""
    return (record(code, local(2026, 11, 27, 9), procedure_code="9.999999",
                   procedure_name="Thủ tục lạ", limit_value=None, limit_unit=None, **extra),
            UNKNOWN_PROCEDURE)


def seed(session: Session, runtime: Runtime, tokens: dict[str, str]) -> None:
    """The default seed, with quarantined records, runs, an alert and an audit entry of unit B
    (and of unit A beside them)."""
    default_seed(session, runtime, tokens)
    quarantine.quarantine(session, "simulator", None, [
        _refused(Q_B, unit_code=UNIT_B, unit_name=UNIT_B_NAME, applicant_name="Hoàng Thị Mai",
                 applicant_phone=Q_B_PHONE, applicant_id_no=Q_B_ID_NO,
                 applicant_email=Q_B_EMAIL),
        _refused(Q_A_OVERWRITE), _refused(Q_A_FIX, applicant_phone=Q_A_FIX_PHONE)], SEEDED_AT)
    quarantine.quarantine(session, "push_b", None, [RejectedRecord(
        {"code": "B-PUSH-1", "applicant_name": "Đỗ Văn Hùng", "applicant_phone": PUSH_B_PHONE},
        "record 0: received_at: Missing data for required field.", "B-PUSH-1")], SEEDED_AT)
    for connector, warning in (("push_b", RUN_B), ("simulator", RUN_A)):
        session.add(ConnectorRun(connector=connector, started_at=SEEDED_AT,
                                 finished_at=SEEDED_AT, warning=warning))
    dossier_b = session.scalar(select(Dossier.id).where(Dossier.code == DOSSIER_B))
    session.add(Alert(dossier_id=dossier_b, kind=AlertKind.NEAR, level=1,
                      recipient="email:truong@ngu-hung.example", recipient_name=ALERT_B,
                      recipient_role="head", due_at=SEEDED_AT, created_at=SEEDED_AT,
                      send_after=SEEDED_AT))
    clerk_b = session.scalar(select(User).where(User.username == "canbo_b"))
    session.add(AuditLog(at=SEEDED_AT, user_id=clerk_b.id, username="canbo_b",
                         action="extension_issued", dossier_id=dossier_b, target=DOSSIER_B,
                         changes=[{"field": "applicant_phone", "old": "0987654321",
                                   "new": AUDIT_B_PHONE}]))


@pytest.fixture(scope="module")
def stand_seed() -> Callable[[Session, Runtime, dict[str, str]], None]:
    return seed


@pytest.fixture(scope="module")
def signed(stand: Stand) -> Callable[[str], Browser]:
    """A signed-in browser per user, signed in once (sign-ins are rate-limited per address)."""
    browsers: dict[str, Browser] = {}

    def browser(username: str) -> Browser:
        if username not in browsers:
            browsers[username] = stand.signed_in(username)
        return browsers[username]

    return browser


def item_id(stand: Stand, code: str) -> int:
    """The quarantine row's id, read from the database."""
    with stand.runtime.sessions() as session:
        return session.scalar(select(QuarantinedRecord.id).where(
            (QuarantinedRecord.code == code) | (QuarantinedRecord.source_id == code)))


def quarantined(stand: Stand, code: str) -> QuarantinedRecord:
    with stand.runtime.sessions() as session:
        return session.get_one(QuarantinedRecord, item_id(stand, code))


def fix_form(browser: Browser, code: str, **changes: str) -> dict[str, str]:
    """The correction form of a unit A record as the page fills it, with changes."""
    values = {"action": "fix", "csrf_token": browser.csrf("/quan-tri/cach-ly"), "code": code,
              "procedure_code": "1.004873", "applicant_name": "Nguyễn Văn Bình", "status": "4",
              "channel": "1", "received_at": "27/11/2026 09:00", "source_due_at": "",
              "finished_at": "", "returned_at": "", "handler": "Công chức Tư pháp - Hộ tịch",
              "source_modified_at": "27/11/2026 09:00"}
    return {**values, **changes}


def unsigned(page: str) -> str:
    """A page without its form tokens (each answer signs a new one)."""
    return TOKEN_RE.sub("", page)


def cells(answer: Answer) -> str:
    """Every cell of a downloaded workbook, as one text."""
    assert answer.status == 200, answer.status
    book = load_workbook(io.BytesIO(answer.body), read_only=True)
    return "\n".join(str(value) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for value in row
                     if value is not None)


def test_a_clerk_lists_only_their_units_quarantined_records(
        stand: Stand, signed: Callable[[str], Browser]) -> None:
    page = signed("canbo_a").get("/quan-tri/cach-ly")
    assert page.status == 200 and Q_A_FIX in page.text
    for secret in (Q_B, Q_B_PHONE, Q_B_ID_NO, Q_B_EMAIL, "B-PUSH-1", PUSH_B_PHONE):
        assert secret not in page.text, secret
    # Unit B's clerk sees both of unit B's rows: by its record's unit and by its connector's.
    theirs = signed("canbo_b").get("/quan-tri/cach-ly").text
    assert Q_B in theirs and "B-PUSH-1" in theirs and Q_A_FIX not in theirs


def test_a_clerk_cannot_open_or_fix_another_units_quarantined_record(
        stand: Stand, signed: Callable[[str], Browser]) -> None:
    clerk = signed("canbo_a")
    for code in (Q_B, "B-PUSH-1"):
        target = f"/quan-tri/cach-ly/{item_id(stand, code)}"
        assert clerk.get(target).status == 404
        before = quarantined(stand, code)
        answer = clerk.post(target, fix_form(clerk, Q_B, applicant_name="Kẻ Tấn Công"))
        assert answer.status == 404
        after = quarantined(stand, code)
        assert (after.payload, after.state) == (before.payload, before.state)
    assert signed("canbo_b").get(f"/quan-tri/cach-ly/{item_id(stand, Q_B)}").status \
        == 200


def test_a_fix_that_would_overwrite_another_units_dossier_is_refused(
        stand: Stand, signed: Callable[[str], Browser]) -> None:
    clerk = signed("canbo_a")
    target = f"/quan-tri/cach-ly/{item_id(stand, Q_A_OVERWRITE)}"
    answer = clerk.post(target, fix_form(clerk, DOSSIER_B, applicant_name="Kẻ Tấn Công",
                                         status="10", finished_at="28/11/2026 09:00",
                                         returned_at="28/11/2026 10:00"))
    assert answer.status == 302
    listing = clerk.get("/quan-tri/cach-ly").text
    assert "không được ghi đè hồ sơ đó, không lưu thay đổi nào" in listing
    dossier = stand.dossier(DOSSIER_B)
    assert (dossier.applicant_name, dossier.applicant_phone, dossier.status.value) == \
        ("Phạm Thị Dung", "0987654321", 4)
    assert stand.dossier(DOSSIER_B).unit_id != stand.dossier(DOSSIER_A).unit_id
    row = quarantined(stand, Q_A_OVERWRITE)
    assert (row.state, row.payload["code"], row.fixed_by) == ("open", Q_A_OVERWRITE, None)
    with stand.runtime.sessions() as session:
        assert session.scalar(select(AuditLog.id).where(AuditLog.username == "canbo_a",
                                                        AuditLog.action == "quarantine_fix",
                                                        AuditLog.target == DOSSIER_B)) is None


def test_an_allowed_fix_is_audited_with_field_old_and_new_value_and_the_dossier(
        stand: Stand, signed: Callable[[str], Browser]) -> None:
    clerk = signed("canbo_a")
    target = f"/quan-tri/cach-ly/{item_id(stand, Q_A_FIX)}"
    answer = clerk.post(target, fix_form(clerk, Q_A_FIX, applicant_name="Nguyễn Thị Lan"))
    assert answer.status == 302, answer.text
    dossier = stand.dossier(Q_A_FIX)
    assert dossier is not None and dossier.applicant_name == "Nguyễn Thị Lan"
    with stand.runtime.sessions() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "quarantine_fix",
                                                      AuditLog.target == Q_A_FIX))
    assert entry is not None and entry.dossier_id == dossier.id
    changes = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    assert changes["applicant_name"] == (None, "Nguyễn Thị Lan")
    assert changes["procedure"] == (None, "1.004873")
    assert changes["applicant_phone"] == (None, Q_A_FIX_PHONE)
    # Shown to who may see the dossier: the clerk in full, the viewer of the unit masked, and
    # not to unit B's clerk.
    assert Q_A_FIX_PHONE in clerk.get("/quan-tri/nhat-ky").text
    shown = signed("xem_a").get("/quan-tri/nhat-ky").text
    assert Q_A_FIX in shown and "•••••••333" in shown and Q_A_FIX_PHONE not in shown
    assert Q_A_FIX not in signed("canbo_b").get("/quan-tri/nhat-ky").text
    # The dossier's own page lists the same change in its audit trail.
    assert "Nguyễn Thị Lan</ins>" in clerk.get(f"/ho-so/{Q_A_FIX}").text
    viewer_page = signed("xem_a").get(f"/ho-so/{Q_A_FIX}").text
    assert "•••••••333</ins>" in viewer_page and Q_A_FIX_PHONE not in viewer_page


def test_another_units_dossier_answers_as_one_that_does_not_exist(
        stand: Stand, signed: Callable[[str], Browser]) -> None:
    clerk = signed("canbo_a")
    missing = clerk.get(f"/ho-so/{UNIT_B}-261130-9999")
    assert missing.status == 404
    for path in (f"/ho-so/{DOSSIER_B}", f"/ho-so/{DOSSIER_B}/gia-han",
                 f"/ho-so/{DOSSIER_B}/phieu-xin-loi"):
        answer = clerk.get(path)
        assert (answer.status, unsigned(answer.text)) == (404, unsigned(missing.text)), path
    token = clerk.csrf("/ho-so")
    for path in (f"/ho-so/{DOSSIER_B}/dong-bo-lai", f"/ho-so/{DOSSIER_B}/ngung-thong-bao"):
        assert clerk.post(path, {"csrf_token": token}).status == 404
    assert signed("canbo_b").get(f"/ho-so/{DOSSIER_B}").status == 200


def test_exports_and_reports_hold_only_the_clerks_units(
        stand: Stand, signed: Callable[[str], Browser]) -> None:
    clerk = signed("canbo_a")
    for query in ({}, {"unit": UNIT_B}, {"q": DOSSIER_B}):
        text = cells(clerk.get("/ho-so/xuat.xlsx?" + urllib.parse.urlencode(query)))
        # The title repeats a search, so DOSSIER_B is looked for only where nothing is searched.
        assert "Phạm Thị Dung" not in text and "0987654321" not in text
        assert "q" in query or DOSSIER_B not in text
    assert "Phạm Thị Dung" in cells(signed("canbo_b").get("/ho-so/xuat.xlsx"))
    assert DOSSIER_A in cells(clerk.get("/ho-so/xuat.xlsx"))
    alerts = cells(clerk.get("/quan-tri/canh-bao/xuat.xlsx"))
    assert DOSSIER_B not in alerts and ALERT_B not in alerts
    assert ALERT_B in cells(signed("canbo_b").get("/quan-tri/canh-bao/xuat.xlsx"))
    for path in ("/bao-cao/bieu-06", "/bao-cao/bieu-06.xlsx", "/bao-cao/chi-so-766"):
        assert clerk.get(f"{path}?unit={UNIT_B}").status == 404, path


def test_runs_alerts_and_audit_entries_of_another_unit_stay_hidden(
        stand: Stand, signed: Callable[[str], Browser]) -> None:
    clerk, other = signed("canbo_a"), signed("canbo_b")
    runs = clerk.get("/quan-tri/lan-chay")
    assert runs.status == 200 and RUN_A in runs.text and RUN_B not in runs.text
    assert RUN_B in other.get("/quan-tri/lan-chay").text
    for path in ("/quan-tri/canh-bao", f"/quan-tri/canh-bao?q={DOSSIER_B}"):
        alerts = clerk.get(path)
        assert alerts.status == 200 and ALERT_B not in alerts.text
    assert ALERT_B in other.get("/quan-tri/canh-bao").text
    for user in ("canbo_a", "xem_a", "lanhdao_a"):
        audit = signed(user).get("/quan-tri/nhat-ky")
        assert audit.status == 200 and DOSSIER_B not in audit.text
        assert AUDIT_B_PHONE not in audit.text
    assert AUDIT_B_PHONE in other.get("/quan-tri/nhat-ky").text


def test_the_api_takes_no_session_cookie_and_withholds_quarantined_payloads(
        stand: Stand, signed: Callable[[str], Browser]) -> None:
    clerk = signed("canbo_a")
    for path in (f"/api/v1/dossiers/{DOSSIER_B}", "/api/v1/quarantine", "/api/v1/alerts",
                 "/api/v1/connector-runs"):
        assert clerk.get(path).status == 401, path
    read = {"Authorization": f"Bearer {stand.tokens['doc']}"}
    assert call(stand.url, "/api/v1/quarantine", headers=read).status == 403
    admin = {"Authorization": f"Bearer {stand.tokens['quantri']}"}
    listing = call(stand.url, "/api/v1/quarantine", headers=admin)
    assert listing.status == 200 and Q_B in listing.text
    for secret in (Q_B_PHONE, Q_B_ID_NO, Q_B_EMAIL, PUSH_B_PHONE):
        assert secret not in listing.text


def multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    """A form with one file, framed as a browser frames it; the body and its content type."""
    boundary = secrets.token_hex(16)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
             .encode() for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{name}"\r\nContent-Type: text/csv\r\n\r\n'.encode() + data
                 + f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_an_upload_cannot_overwrite_another_units_dossier(
        stand: Stand, signed: Callable[[str], Browser]) -> None:
    clerk = signed("canbo_a")
    rows = ("Mã hồ sơ;Mã thủ tục;Tên thủ tục;Lĩnh vực;Chủ hồ sơ;Số điện thoại;Ngày tiếp nhận;"
            "Ngày hẹn trả;Trạng thái;Hình thức nộp\n"
            f"{DOSSIER_B};1.004873;Cấp Giấy xác nhận tình trạng hôn nhân;Hộ tịch;Kẻ Tấn Công;"
            "0900000000;27/11/2026 09:00;02/12/2026;Đã trả kết quả;Trực tiếp\n")
    body, kind = multipart({"csrf_token": clerk.csrf("/nhap-tep")}, "chen.csv",
                           rows.encode("utf-8"))
    preview = clerk.post("/nhap-tep", body=body, headers={"Content-Type": kind})
    assert preview.status in (302, 303), preview.text
    token = preview.header("Location").rstrip("/").rsplit("/", 1)[-1]
    confirmed = clerk.post(f"/nhap-tep/{token}/xac-nhan",
                           {"csrf_token": clerk.csrf(f"/nhap-tep/{token}")})
    assert confirmed.status in (302, 303)
    # The import runs in the server's background; its progress answer says when it ended.
    for _ in range(2000):
        state = json.loads(clerk.get(f"/nhap-tep/{token}/tien-do").text)["state"]
        if state not in ("ready", "running"):
            break
    assert state == "done"
    dossier = stand.dossier(DOSSIER_B)
    assert (dossier.applicant_name, dossier.applicant_phone, dossier.status.value) == \
        ("Phạm Thị Dung", "0987654321", 4)
    assert dossier.unit_id != stand.dossier(DOSSIER_A).unit_id
    # The row waits in unit A's quarantine, saying why.
    assert "thuộc đơn vị khác" in clerk.get("/quan-tri/cach-ly").text
