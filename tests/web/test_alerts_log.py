"""The alerts log: keyset pages, filters, and why each unsent delivery is still waiting."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.complaints import submit_public
from service.models import Alert, AlertDelivery
from service.models.alerts import AlertKind, DeliveryState
from service.runtime import Runtime
from tests.conftest import local, make_settings
from tests.pages_support import FAST_HASHES, add_user, ensure_unit, login

NOW = local(2026, 3, 10, 18)  # after office hours


@pytest.fixture
def settings(tmp_path: Any) -> dict[str, Any]:
    """E-mail on (webhook off), cheap password hashes."""
    return make_settings(f"sqlite:///{tmp_path / 'app.db'}", web=FAST_HASHES,
                         alerts={"email": {"host": "127.0.0.1"}})


@pytest.fixture
def admin(client: Any, session: Session, runtime: Runtime) -> Any:
    runtime.now = lambda: NOW  # type: ignore[method-assign] - the pages' clock, passed in
    add_user(session, "root", "admin")
    login(client, "root")
    return client


def _alert(session: Session, subject: dict[str, int], created: dt.datetime, name: str,
           kind: AlertKind = AlertKind.OVERDUE, **delivery: Any) -> Alert:
    alert = Alert(**subject, kind=kind, level=1, recipient=f"email:{name}",
                  recipient_name=name, recipient_role="department", due_at=local(2026, 3, 5, 17),
                  created_at=created, send_after=created)
    session.add(alert)
    session.flush()
    if delivery:
        session.add(AlertDelivery(alert_id=alert.id, next_attempt_at=created, **delivery))
    return alert


def rows(page: str) -> list[str]:
    return re.findall(r'<td data-label="Người nhận">([^<]+)</td>', page)


def test_the_log_pages_by_fifty_newest_first(admin: Any, session: Session,
                                             make_dossier: Any) -> None:
    dossier = make_dossier()
    for n in range(60):
        _alert(session, {"dossier_id": dossier.id}, local(2026, 3, 9, 8) + dt.timedelta(
            minutes=n), f"Người nhận {n:02d}", channel="email", state=DeliveryState.SENT,
            attempts=1, sent_at=local(2026, 3, 9, 9))
    session.commit()
    first = admin.get("/quan-tri/canh-bao").get_data(as_text=True)
    assert rows(first) == [f"Người nhận {n:02d}" for n in range(59, 9, -1)]
    following = re.search(r'rel="next" href="(/quan-tri/canh-bao\?before=\d+)"', first)
    second = admin.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert rows(second) == [f"Người nhận {n:02d}" for n in range(9, -1, -1)]
    assert "Trang sau" not in second and "Về trang đầu" in second


def test_unsent_deliveries_say_why_they_wait(admin: Any, session: Session,
                                             make_dossier: Any) -> None:
    subject = {"dossier_id": make_dossier().id}
    _alert(session, subject, NOW, "Chờ giờ", channel="email", state=DeliveryState.PENDING,
           attempts=0)
    held = session.scalars(select(AlertDelivery)).one()
    held.next_attempt_at = local(2026, 3, 11, 7, 30)
    _alert(session, subject, local(2026, 3, 10, 9), "Đang thử lại", channel="email",
           state=DeliveryState.PENDING, attempts=2, last_error="SMTP 451 thử lại sau")
    _alert(session, subject, local(2026, 3, 10, 9), "Webhook tắt", channel="webhook",
           state=DeliveryState.PENDING, attempts=0)
    _alert(session, subject, local(2026, 3, 10, 9), "Không kênh")
    session.commit()
    page = admin.get("/quan-tri/canh-bao?state=pending").get_data(as_text=True)
    assert rows(page) == ["Webhook tắt", "Đang thử lại", "Chờ giờ"]
    assert "Chờ giờ hành chính, gửi lúc 07:30 11/03/2026" in page
    assert "Đã gửi lỗi 2 lần, thử lại lúc 09:00 10/03/2026: SMTP 451 thử lại sau" in page
    assert "Kênh webhook đang tắt trong cấu hình" in page
    none = admin.get("/quan-tri/canh-bao?state=none").get_data(as_text=True)
    assert rows(none) == ["Không kênh"]
    assert "Chưa gửi <small class=\"muted\">– Không gửi: khi tạo cảnh báo, người nhận không" in none


def test_filters_by_kind_recipient_code_and_day(admin: Any, session: Session,
                                                make_dossier: Any, runtime: Runtime) -> None:
    dossier = make_dossier()
    complaint = submit_public(session, runtime.complaint_policy, ensure_unit(session).id,
                              "Lê Thị Mai", "0912345678", "Chưa nhận được kết quả hồ sơ.",
                              local(2026, 3, 2, 9))
    _alert(session, {"dossier_id": dossier.id}, local(2026, 3, 5, 18), "Công an xã")
    _alert(session, {"dossier_id": dossier.id}, local(2026, 3, 9, 9), "Tư pháp")
    _alert(session, {"complaint_id": complaint.id}, local(2026, 3, 9, 10), "Phó Chủ tịch",
           kind=AlertKind.COMPLAINT_OVERDUE)
    session.commit()
    kind = admin.get("/quan-tri/canh-bao?kind=complaint_overdue").get_data(as_text=True)
    assert rows(kind) == ["Phó Chủ tịch"]
    assert f'href="/phan-anh-kien-nghi/{complaint.code}"' in kind
    assert rows(admin.get("/quan-tri/canh-bao?recipient=công an").get_data(as_text=True)) == [
        "Công an xã"]
    by_code = admin.get(f"/quan-tri/canh-bao?q={dossier.code[-6:]}").get_data(as_text=True)
    assert rows(by_code) == ["Tư pháp", "Công an xã"]
    days = admin.get("/quan-tri/canh-bao?tu=06/03/2026&den=09/03/2026").get_data(as_text=True)
    assert rows(days) == ["Phó Chủ tịch", "Tư pháp"]
    wrong = admin.get("/quan-tri/canh-bao?tu=32/03/2026")
    assert wrong.status_code == 400
    assert ("Bộ lọc không hợp lệ: Tạo từ ngày: «32/03/2026» không phải ngày hợp lệ"
            in wrong.get_data(as_text=True))
