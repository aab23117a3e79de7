"""The dossier list (filters, scope, pages, export) and the dossier page, for each role."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import StatusEvent, SupplementRound
from service.models.portal import PortalSync, SyncState
from service.vocabulary import Channel, Status
from tests.conftest import local
from tests.pages_support import (  # noqa: F401 - settings is a fixture
    add_user,
    csrf_token,
    login,
    settings,
)


@pytest.fixture
def dossiers(make_dossier: Any, session: Session) -> dict[str, Any]:
    """Three dossiers of two handling bodies, one of them with history and a supplement."""
    police = make_dossier(handler="Công an xã", applicant_name="Trần Thị Mai",
                          channel=Channel.ONLINE, received_at=local(2026, 3, 2, 9))
    civil = make_dossier(handler="Văn phòng UBND xã", applicant_name="Lê Văn Hùng",
                         received_at=local(2026, 3, 3, 9), due_at=local(2026, 3, 5, 17))
    done = make_dossier(handler="Văn phòng UBND xã", status=Status.RETURNED, is_open=False,
                        received_at=local(2026, 3, 4, 9), returned_at=local(2026, 3, 5, 10))
    session.add_all([
        StatusEvent(dossier=civil, at=local(2026, 3, 3, 9), status=Status.ACCEPTED,
                    actor="Nguyễn Thu", department="Bộ phận Một cửa"),
        StatusEvent(dossier=civil, at=local(2026, 3, 4, 8), status=Status.WAITING_SUPPLEMENT),
        SupplementRound(dossier=civil, requested_at=local(2026, 3, 4, 8),
                        completed_at=local(2026, 3, 4, 15), note="Thiếu bản sao CCCD"),
    ])
    session.commit()
    return {"police": police, "civil": civil, "done": done}


def _codes(page: str, dossiers: dict[str, Any]) -> set[str]:
    return {name for name, d in dossiers.items() if f">{d.code}</a>" in page}


def test_clerk_lists_and_filters_dossiers(client: Any, session: Session, dossiers: dict) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    assert _codes(client.get("/ho-so").get_data(as_text=True), dossiers) == set(dossiers)
    assert _codes(client.get("/ho-so?open=true").get_data(as_text=True),
                  dossiers) == {"police", "civil"}
    assert _codes(client.get("/ho-so?channel=2").get_data(as_text=True), dossiers) == {"police"}
    assert _codes(client.get("/ho-so?q=Hùng").get_data(as_text=True), dossiers) == {"civil"}
    tail = dossiers["done"].code[-11:]
    assert _codes(client.get(f"/ho-so?q={tail}").get_data(as_text=True), dossiers) == {"done"}
    page = client.get("/ho-so?received_from=2026-03-03&received_to=2026-03-03&status=4")
    assert _codes(page.get_data(as_text=True), dossiers) == {"civil"}


def test_list_pages_follow_the_cursor(client: Any, session: Session, dossiers: dict) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    seen: set[str] = set()
    url = "/ho-so?limit=2&sort=received"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen |= _codes(page, dossiers)
        url = page.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&") \
            if 'rel="next"' in page else ""
    assert seen == set(dossiers)


def test_bad_filters_are_explained(client: Any, session: Session) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    response = client.get("/ho-so?status=42&after=garbage")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bộ lọc không hợp lệ" in page and "Trạng thái: giá trị không hợp lệ" in page


def test_head_sees_only_the_dossiers_of_its_body(client: Any, session: Session,
                                                 dossiers: dict) -> None:
    add_user(session, "truong", "head", handler="Công an xã")
    login(client, "truong")
    assert _codes(client.get("/ho-so").get_data(as_text=True), dossiers) == {"police"}
    assert client.get(f"/ho-so/{dossiers['civil'].code}").status_code == 404
    assert client.get(f"/ho-so/{dossiers['police'].code}").status_code == 200


def test_users_of_another_unit_see_nothing(client: Any, session: Session,
                                           dossiers: dict) -> None:
    add_user(session, "xa-khac", "clerk", units=("000.99.26.H26",))
    login(client, "xa-khac")
    assert _codes(client.get("/ho-so").get_data(as_text=True), dossiers) == set()
    assert client.get(f"/ho-so/{dossiers['civil'].code}").status_code == 404


def test_dossier_page_explains_and_shows_history(client: Any, session: Session,
                                                 dossiers: dict) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    page = client.get(f"/ho-so/{dossiers['civil'].code}").get_data(as_text=True)
    for text in ("Theo quy định (Nghị định 118/2025)", "Theo cách tính của Cổng DVCQG",
                 "Giải thích cách tính", "Được tiếp nhận", "Nguyễn Thu", "Thiếu bản sao CCCD",
                 "Hẹn lại ngày trả (xin lỗi)", "Lê Văn Hùng", "•••••••••567", "0912345678"):
        assert text in page, text
    # A clerk finds a dossier by the ID number on the citizen's card, but is not shown it.
    assert "010203004567" not in page


def test_viewer_sees_masked_personal_data_and_no_actions(client: Any, session: Session,
                                                         dossiers: dict) -> None:
    add_user(session, "lanhdao", "viewer")
    login(client, "lanhdao")
    page = client.get(f"/ho-so/{dossiers['civil'].code}").get_data(as_text=True)
    assert "010203004567" not in page and "0912345678" not in page
    assert "•••••••••567" in page and "Lê V. H." in page
    assert "Hẹn lại ngày trả (xin lỗi)" not in page and "Đồng bộ lại</button>" not in page
    listing = client.get("/ho-so").get_data(as_text=True)
    assert "Lê V. H." in listing and "Lê Văn Hùng" not in listing


def test_lists_never_show_id_numbers_or_phones(client: Any, session: Session,
                                               dossiers: dict) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    page = client.get("/ho-so").get_data(as_text=True)
    assert "010203004567" not in page and "0912345678" not in page


def test_export_gives_the_filtered_list_as_xlsx(client: Any, session: Session,
                                                dossiers: dict) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    response = client.get("/ho-so/xuat.xlsx?open=true&sort=received")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="danh-sach')
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0][:2] == ("Mã hồ sơ", "Đơn vị")
    assert [r[0] for r in rows[1:]] == [dossiers["police"].code, dossiers["civil"].code]
    assert rows[1][5] == "Trần Thị Mai"
    assert rows[1][10].strftime("%d/%m/%Y %H:%M") == "02/03/2026 09:00"
    flat = " ".join(str(v) for r in rows for v in r)
    assert "010203004567" not in flat  # the phone is for chasing; the ID number never


def test_resync_needs_a_clerk_and_is_audited(client: Any, session: Session,
                                             dossiers: dict) -> None:
    code = dossiers["civil"].code
    add_user(session, "lanhdao", "viewer")
    login(client, "lanhdao")
    assert client.post(f"/ho-so/{code}/dong-bo-lai",
                       data={"csrf_token": csrf_token(client)}).status_code == 403
    client.post("/dang-xuat", data={"csrf_token": csrf_token(client)})
    add_user(session, "lan", "clerk")
    login(client, "lan")
    response = client.post(f"/ho-so/{code}/dong-bo-lai", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    page = client.get(f"/ho-so/{code}").get_data(as_text=True)
    assert "Yêu cầu đồng bộ lại Cổng DVCQG" in page


def test_sync_state_filter_card_and_requeue(client: Any, session: Session,
                                            dossiers: dict) -> None:
    session.add_all([
        PortalSync(dossier_id=dossiers["police"].id, state=SyncState.FAILED, attempts=3,
                   last_error="Mã TTHC không tồn tại", permanent=True),
        PortalSync(dossier_id=dossiers["civil"].id, state=SyncState.SYNCED, attempts=1)])
    session.commit()
    add_user(session, "lan", "clerk")
    login(client, "lan")
    failed = client.get("/ho-so?sync_state=failed").get_data(as_text=True)
    assert _codes(failed, dossiers) == {"police"}
    assert _codes(client.get("/ho-so?sync_state=pending").get_data(as_text=True),
                  dossiers) == {"done"}
    dashboard = client.get("/tong-quan").get_data(as_text=True)
    assert '<span class="figure">1</span><span>Lỗi đồng bộ Cổng DVCQG</span>' in dashboard
    code = dossiers["police"].code
    page = client.get(f"/ho-so/{code}").get_data(as_text=True)
    assert "Đồng bộ lỗi" in page and "Mã TTHC không tồn tại" in page and "DongBoHoSoMC" in page
    client.post(f"/ho-so/{code}/dong-bo-lai", data={"csrf_token": csrf_token(client)})
    session.expire_all()
    row = session.scalar(select(PortalSync).where(PortalSync.dossier_id == dossiers["police"].id))
    assert (row.state, row.permanent, row.requeued_by) == (SyncState.PENDING, False, "lan")
