"""The apology extension: issued once by an allowed role, moves the due date, prints a letter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditLog, Dossier
from service.vocabulary import Status
from tests.conftest import local
from tests.pages_support import (  # noqa: F401 - settings is a fixture
    add_user,
    csrf_token,
    login,
    settings,
)

FORM = {"reason": "Cần xác minh thêm thông tin tại địa phương khác", "new_date": "2026-03-20",
        "signer": "Chủ tịch UBND xã Trần Văn An"}


@pytest.fixture(autouse=True)
def clock(runtime: Any) -> None:
    """The pages' clock: Tuesday 03/03/2026, two days before the dossier falls due."""
    runtime.now = lambda: local(2026, 3, 3, 9)


@pytest.fixture
def dossier(make_dossier: Any, session: Session) -> Dossier:
    """An open dossier due on 05/03/2026 at the close of office hours."""
    row = make_dossier(received_at=local(2026, 3, 2, 9), due_at=local(2026, 3, 5, 17),
                       source_due_at=local(2026, 3, 5, 17), handler="Văn phòng UBND xã")
    session.commit()
    return row


def _issue(client: Any, code: str, **changes: str) -> Any:
    return client.post(f"/ho-so/{code}/gia-han",
                       data={**FORM, **changes, "csrf_token": csrf_token(client)})


def test_clerk_issues_the_extension_and_gets_the_letter(client: Any, session: Session,
                                                        dossier: Dossier) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    assert "Lý do chậm trễ" in client.get(f"/ho-so/{dossier.code}/gia-han").get_data(as_text=True)
    response = _issue(client, dossier.code)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ho-so/{dossier.code}/phieu-xin-loi"
    session.expire_all()
    row = session.get(Dossier, dossier.id)
    assert row.extension_due_at == local(2026, 3, 20, 17)
    assert row.due_at == local(2026, 3, 20, 17)
    assert row.extension_signer == FORM["signer"]
    letter = client.get(response.headers["Location"]).get_data(as_text=True)
    for text in ("Phiếu xin lỗi và hẹn lại ngày trả kết quả", "Kính gửi: Ông/Bà",
                 "Nguyễn Văn Bình", FORM["reason"], "17 giờ 00 phút, ngày 20/03/2026",
                 "17 giờ 00 phút, ngày 05/03/2026", FORM["signer"], dossier.code):
        assert text in letter, text
    entry = session.scalar(select(AuditLog).where(AuditLog.dossier_id == dossier.id))
    assert (entry.username, entry.action) == ("lan", "extension_issued")
    changes = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    old, new = changes["extension_due_at"]
    assert old is None and dt.datetime.fromisoformat(new) == local(2026, 3, 20, 17)
    assert changes["extension_reason"] == (None, FORM["reason"])


def test_a_second_extension_is_refused(client: Any, session: Session, dossier: Dossier) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    _issue(client, dossier.code)
    response = _issue(client, dossier.code, new_date="2026-03-27")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "chỉ cho phép hẹn lại một lần" in page
    session.expire_all()
    assert session.get(Dossier, dossier.id).extension_due_at == local(2026, 3, 20, 17)


@pytest.mark.parametrize(("changes", "message"), [
    ({"new_date": "2026-03-04"}, "phải sau hạn giải quyết hiện tại"),
    ({"new_date": "2026-03-21"}, "không phải ngày làm việc"),
    ({"new_date": "hôm nay"}, "không hợp lệ"),
    ({"reason": "chậm"}, "lý do chậm trễ"),
    ({"signer": ""}, "người ký phiếu"),
])
def test_bad_extensions_are_explained(client: Any, session: Session, dossier: Dossier,
                                      changes: dict[str, str], message: str) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    response = _issue(client, dossier.code, **changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Dossier, dossier.id).extension_due_at is None


def test_finished_dossiers_cannot_be_extended(client: Any, session: Session,
                                              make_dossier: Any) -> None:
    row = make_dossier(status=Status.RETURNED, is_open=False, returned_at=local(2026, 3, 3, 9))
    session.commit()
    add_user(session, "lan", "clerk")
    login(client, "lan")
    response = _issue(client, row.code)
    assert response.status_code == 302
    assert "không còn đang giải quyết" in client.get(
        response.headers["Location"]).get_data(as_text=True)


def test_viewers_cannot_extend(client: Any, session: Session, dossier: Dossier) -> None:
    add_user(session, "lanhdao", "viewer")
    login(client, "lanhdao")
    assert client.get(f"/ho-so/{dossier.code}/gia-han").status_code == 403
    assert _issue(client, dossier.code).status_code == 403


def test_a_head_extends_only_its_own_dossiers(client: Any, session: Session,
                                              dossier: Dossier) -> None:
    add_user(session, "ca", "head", handler="Công an xã")
    login(client, "ca")
    assert _issue(client, dossier.code).status_code == 404
    client.post("/dang-xuat", data={"csrf_token": csrf_token(client)})
    add_user(session, "vp", "head", handler="Văn phòng UBND xã")
    login(client, "vp")
    assert _issue(client, dossier.code).status_code == 302


@pytest.mark.parametrize("new_date, accepted", [("2026-03-06", False), ("2026-03-09", False),
                                                ("2026-03-10", True)])
def test_form_and_domain_apply_one_rule_to_the_date_the_apology_moves(
        client: Any, session: Session, make_dossier: Any, runtime: Any, new_date: str,
        accepted: bool) -> None:
    # A lax appointment: the receipt says 09/03 although the law's 3 working days end 05/03.
    # The apology moves the appointment the citizen holds, so 06/03 and 09/03 are no later.
    row = make_dossier(received_at=local(2026, 3, 2, 9), statutory_due_at=local(2026, 3, 5, 17),
                       due_at=local(2026, 3, 9, 17), source_due_at=local(2026, 3, 9, 17))
    session.commit()
    add_user(session, "lan", "clerk")
    login(client, "lan")
    response = _issue(client, row.code, new_date=new_date)
    page = response.get_data(as_text=True)
    assert (response.status_code == 302) is accepted
    assert ("Ngày hẹn trả mới phải sau hạn giải quyết hiện tại." in page) is not accepted
    session.expire_all()
    assert (session.get(Dossier, row.id).extension_due_at is not None) is accepted


def test_a_late_apology_is_announced_before_confirming_and_keeps_the_dossier_overdue(
        client: Any, session: Session, runtime: Any, dossier: Dossier) -> None:
    # 10/03 is five days after the 05/03 due date: the letter is owed but comes too late.
    runtime.now = lambda: local(2026, 3, 10, 9)
    add_user(session, "lan", "clerk")
    login(client, "lan")
    form = client.get(f"/ho-so/{dossier.code}/gia-han").get_data(as_text=True)
    assert "Xin lỗi muộn." in form and "17:00 ngày 05/03/2026" in form
    refused = _issue(client, dossier.code)
    assert refused.status_code == 400
    assert "hãy đánh dấu ô xác nhận" in refused.get_data(as_text=True)
    response = _issue(client, dossier.code, late_understood="1")
    assert response.status_code == 302
    session.expire_all()
    row = session.get(Dossier, dossier.id)
    assert row.extension_late and row.extension_due_at == local(2026, 3, 20, 17)
    assert row.due_at == local(2026, 3, 5, 17)
    letter = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "17 giờ 00 phút, ngày 20/03/2026" in letter and "Xin lỗi muộn" in letter
    page = client.get(f"/ho-so/{dossier.code}").get_data(as_text=True)
    assert '<span class="badge overdue">Quá hạn</span>' in page and "Xin lỗi muộn" in page


def test_a_timely_apology_shows_no_late_warning(client: Any, session: Session,
                                                dossier: Dossier) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    assert "Xin lỗi muộn" not in client.get(
        f"/ho-so/{dossier.code}/gia-han").get_data(as_text=True)
    assert _issue(client, dossier.code).status_code == 302
    session.expire_all()
    assert session.get(Dossier, dossier.id).extension_late is False
