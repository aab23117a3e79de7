"""The dossier page shows what the citizen was told; clerk and citizen can stop the notices."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.complaints import answer, submit_public
from service.models import AuditLog, CitizenNotice, Dossier, NoticeOptOut
from service.models.notices import NoticeState
from service.runtime import Runtime
from service.vocabulary import Status
from tests.builders import ingest, record
from tests.conftest import local, make_settings
from tests.fixtures.sms.server import Gateway
from tests.notices.conftest import esms_section, run_notices
from tests.pages_support import FAST_HASHES, add_user, csrf_token, ensure_unit, login, proof_from

RECEIVED = local(2026, 3, 2, 9)
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(tmp_path: Path, gateway: Gateway) -> dict[str, Any]:
    """Clerks' app settings with notices by SMS to the stand-in gateway."""
    notices = {"enabled": True, "channels": ["sms"],
               "sms": esms_section(gateway.url, tmp_path / "esms")}
    return make_settings(f"sqlite:///{tmp_path / 'app.db'}", web=FAST_HASHES, notices=notices)


@pytest.fixture
def noticed(runtime: Runtime, gateway: Gateway) -> dict[str, str]:
    """Two dossiers: one told of its receipt; one whose citizen has no mobile number."""
    ingest(runtime, RECEIVED, record("P-1", RECEIVED),
           record("P-2", RECEIVED, applicant_phone="024 3825 1234"))
    run_notices(runtime, local(2026, 3, 2, 9, 5))
    return {"sent": "P-1", "skipped": "P-2"}


def page(client: Any, code: str) -> str:
    response = client.get(f"/ho-so/{code}")
    assert response.status_code == 200
    return " ".join(response.get_data(as_text=True).split())


def test_the_dossier_page_shows_the_delivery(client: Any, session: Session,
                                            noticed: dict[str, str]) -> None:
    add_user(session, "cuc", "clerk")
    login(client, "cuc")
    html = page(client, noticed["sent"])
    assert "<h2>Thông báo cho công dân</h2>" in html
    assert "Đồng ý nhận thông báo qua SMS, Zalo: hệ thống một cửa không ghi nhận." in html
    assert ('<td data-label="Sự kiện">Tiếp nhận hồ sơ</td> <td data-label="Thời điểm">'
            "02/03/2026 09:00</td>") in html
    assert ('<span class="badge notice-sent">Đã gửi</span> qua SMS lúc 02/03/2026 09:05'
            in html)
    assert "02/03/2026 09:05 · SMS · nhà cung cấp đã nhận" in html
    html = page(client, noticed["skipped"])
    assert ('<span class="badge notice-skipped">Không gửi</span><br><small>Hồ sơ không có số '
            "điện thoại di động nhận được tin nhắn</small>") in html


def test_a_clerk_records_that_the_citizen_wants_no_more(app: Any, session: Session,
                                                        runtime: Runtime,
                                                        noticed: dict[str, str]) -> None:
    add_user(session, "cuc", "clerk")
    add_user(session, "truong", "head", handler="Công chức Tư pháp - Hộ tịch")
    code = noticed["sent"]
    head, clerk = app.test_client(), app.test_client()
    login(head, "truong")
    refused = head.post(f"/ho-so/{code}/ngung-thong-bao", data={"csrf_token": csrf_token(head)})
    assert refused.status_code == 403
    login(clerk, "cuc")
    assert "Công dân từ chối nhận thông báo</button>" in page(clerk, code)
    done = clerk.post(f"/ho-so/{code}/ngung-thong-bao", data={"csrf_token": csrf_token(clerk)})
    assert done.status_code == 302 and done.headers["Location"].endswith("#thong-bao")
    html = page(clerk, code)
    assert "<strong>Công dân đã từ chối nhận thông báo</strong> từ" in html
    assert "(cán bộ cuc ghi nhận)" in html
    assert "Công dân từ chối nhận thông báo</button>" not in html
    with runtime.sessions() as fresh:
        assert fresh.scalars(select(AuditLog.action)).all() == ["notice_opt_out"]


def test_a_citizen_stops_the_notices_after_the_lookup(
        client: Any, runtime: Runtime, noticed: dict[str, str]) -> None:
    code = noticed["sent"]
    form = client.get("/tra-cuu").get_data(as_text=True)
    token = TOKEN_RE.search(form).group(1)  # type: ignore[union-attr]
    # The form carries the lookup's proof: the factor alone (even the right one) is refused.
    wrong = client.post("/tra-cuu/ngung-thong-bao",
                        data={"code": code, "factor": "5678", "csrf_token": token})
    assert wrong.status_code == 403
    shown = client.post("/tra-cuu", data={"code": code, "factor": "5678", "csrf_token": token})
    assert "Không nhận tin nhắn về hồ sơ này nữa" in shown.get_data(as_text=True)
    done = client.post("/tra-cuu/ngung-thong-bao",
                       data={"code": code, "proof": proof_from(shown), "csrf_token": token})
    assert done.status_code == 200
    assert (f"Đã ghi nhận: ông/bà sẽ không nhận thêm tin nhắn SMS, Zalo về hồ sơ {code}."
            in done.get_data(as_text=True))
    with runtime.sessions() as session:
        dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == code))
        assert session.scalars(select(NoticeOptOut.by)).all() == ["citizen"]
        assert session.get(NoticeOptOut, dossier_id) is not None
    ready = local(2026, 3, 2, 14)
    ingest(runtime, ready, record(code, RECEIVED, Status.RESOLVED, modified=ready,
                                  finished_at=ready))
    run_notices(runtime, local(2026, 3, 2, 14, 5))
    with runtime.sessions() as session:
        result = session.scalar(select(CitizenNotice).where(CitizenNotice.id == 3))
        assert result is not None and result.state is NoticeState.SKIPPED


def test_the_complaint_page_shows_the_answer_sent_to_the_citizen(
        client: Any, session: Session, runtime: Runtime, gateway: Gateway) -> None:
    policy = runtime.complaint_policy
    with runtime.sessions.begin() as writer:
        complaint = submit_public(writer, policy, ensure_unit(writer).id, "Lê Thị Mai",
                                  "0979 144 153", "Đề nghị niêm yết thủ tục chứng thực.",
                                  local(2026, 3, 3, 9))
        answer(writer, complaint, "Đã niêm yết tại Bộ phận Một cửa.", "Trưởng ban",
               local(2026, 3, 4, 10))
        code = complaint.code
    add_user(session, "cuc", "clerk")
    login(client, "cuc")
    before = " ".join(client.get(f"/phan-anh-kien-nghi/{code}").get_data(as_text=True).split())
    assert "Chưa có tin nhắn trả lời nào" in before
    run_notices(runtime, local(2026, 3, 4, 10, 5))
    html = " ".join(client.get(f"/phan-anh-kien-nghi/{code}").get_data(as_text=True).split())
    assert ('<td data-label="Sự kiện">Trả lời phản ánh, kiến nghị</td>' in html)
    assert ('<span class="badge notice-sent">Đã gửi</span> qua SMS lúc 04/03/2026 10:05'
            in html)
    assert [m["Phone"] for m in gateway.sent] == ["0979144153"]
