"""Admin pages: quarantined records fixed by a clerk, connector runs, users, audit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import DossierRecord
from service.ingest import quarantine
from service.models import AuditLog, ConnectorRun, Dossier, QuarantinedRecord
from service.models.alerts import Alert, AlertDelivery, AlertKind, DeliveryState
from service.vocabulary import Channel, Status
from tests.conftest import UNIT_CODE, local
from tests.pages_support import (  # noqa: F401 - settings is a fixture
    NOW,
    add_user,
    csrf_token,
    login,
    settings,
)


def _quarantined(session: Session) -> QuarantinedRecord:
    """A record refused because its procedure is unknown and it gives no time limit."""
    record = DossierRecord(
        code=f"{UNIT_CODE}-260302-0042", unit_code=UNIT_CODE, procedure_code="9.999999",
        procedure_name="Thủ tục lạ", domain_name="Hộ tịch", applicant_name="Phạm Văn Nam",
        channel=Channel.DIRECT, received_at=local(2026, 3, 2, 9), status=Status.PROCESSING,
        source_id="q-42")
    quarantine.quarantine(session, "simulator", None,
                          [(record, "«Mã thủ tục» 9.999999 chưa có trong danh mục")], NOW)
    session.commit()
    return session.scalar(select(QuarantinedRecord))


def test_the_raw_json_of_an_item_is_for_admins_only(client: Any, session: Session) -> None:
    add_user(session, "lan", "clerk")
    item = _quarantined(session)
    login(client, "lan")
    page = client.get(f"/quan-tri/cach-ly/{item.id}").get_data(as_text=True)
    assert "«Mã thủ tục» 9.999999 chưa có trong danh mục" in page
    assert 'name="payload"' not in page and "&#34;procedure_code&#34;" not in page
    payload = {**item.payload, "limit_value": 5, "limit_unit": "working_days"}
    refused = client.post(f"/quan-tri/cach-ly/{item.id}", data={
        "action": "json", "payload": json.dumps(payload), "csrf_token": csrf_token(client)})
    assert refused.status_code == 403
    session.expire_all()
    assert session.get(QuarantinedRecord, item.id).state == quarantine.OPEN


def test_an_admin_fixes_the_raw_json_and_the_record_is_stored(client: Any,
                                                              session: Session) -> None:
    add_user(session, "root", "admin")
    item = _quarantined(session)
    login(client, "root")
    assert 'name="payload"' in client.get(f"/quan-tri/cach-ly/{item.id}").get_data(as_text=True)
    client.post(f"/quan-tri/cach-ly/{item.id}", data={
        "action": "json", "payload": "{không phải json", "csrf_token": csrf_token(client)})
    listed = client.get("/quan-tri/cach-ly").get_data(as_text=True)
    assert "Không thực hiện được: dữ liệu JSON sai cú pháp ở dòng 1, cột 2" in listed
    session.expire_all()
    assert session.get(QuarantinedRecord, item.id).fixed_by is None  # nothing stored
    payload = {**item.payload, "limit_value": 5, "limit_unit": "working_days"}
    response = client.post(f"/quan-tri/cach-ly/{item.id}", data={
        "action": "json", "payload": json.dumps(payload), "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert f"Đã lưu hồ sơ {item.code}" in client.get("/quan-tri/cach-ly").get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Dossier.code)) == item.code
    assert session.get(QuarantinedRecord, item.id).state == quarantine.RESOLVED
    entry = session.scalar(select(AuditLog))
    assert (entry.username, entry.action) == ("root", "quarantine_fix")


def test_admin_sees_runs_users_and_the_audit_log(client: Any, session: Session) -> None:
    session.add(ConnectorRun(connector="simulator", started_at=NOW, finished_at=NOW,
                             fetched=12, created=10, updated=2, error="HTTP 500 từ máy chủ"))
    add_user(session, "root", "admin")
    add_user(session, "ca", "head", handler="Công an xã")
    locked = add_user(session, "lan", "clerk")
    locked.failed_logins, locked.locked_until = 6, dt.datetime(2999, 1, 1, 2, 30, tzinfo=dt.UTC)
    session.commit()
    login(client, "root")
    runs = client.get("/quan-tri/lan-chay").get_data(as_text=True)
    assert "simulator" in runs and "HTTP 500 từ máy chủ" in runs
    users = client.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert "Lãnh đạo cơ quan giải quyết" in users and "Công an xã" in users and UNIT_CODE in users
    assert "Tạm khóa đến 09:30 01/01/2999" in users and "user unlock" in users
    assert client.get("/quan-tri/nhat-ky").status_code == 200


def test_alerts_show_on_the_dossier_page_and_in_the_log(client: Any, session: Session,
                                                        make_dossier: Any) -> None:
    dossier = make_dossier(due_at=local(2026, 3, 5, 17))
    alert = Alert(dossier_id=dossier.id, kind=AlertKind.OVERDUE, level=1, recipient="email:ca",
                  recipient_name="Công an xã", recipient_role="department",
                  due_at=dossier.due_at, created_at=NOW, send_after=NOW)
    session.add(alert)
    session.flush()
    session.add(AlertDelivery(alert_id=alert.id, channel="email", state=DeliveryState.SENT,
                              attempts=1, next_attempt_at=NOW, sent_at=NOW))
    add_user(session, "root", "admin")
    login(client, "root")
    page = client.get(f"/ho-so/{dossier.code}").get_data(as_text=True)
    assert "Quá hạn → Công an xã" in page and "email: Đã gửi" in page
    log = client.get("/quan-tri/canh-bao").get_data(as_text=True)
    assert dossier.code in log and "Công an xã" in log and "email: Đã gửi lúc 10/03/2026" in log


def test_configuration_page_hides_secrets(client: Any, session: Session, app: Any) -> None:
    add_user(session, "root", "admin")
    login(client, "root")
    page = client.get("/quan-tri/cau-hinh").get_data(as_text=True)
    assert "secret_key&#34;: &#34;••••••" in page
    assert app.secret_key not in page
    assert "Asia/Ho_Chi_Minh" in page and "TTHC_SMTP_PASSWORD" in page
