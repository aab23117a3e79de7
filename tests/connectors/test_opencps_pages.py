"""What clerks see of OpenCPS dossiers: no time limit shown as such, the source's own name kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.dossiers.derive import NO_LIMIT_TEXT
from service.users.tokens import issue_token
from tests.conftest import UNIT_CODE
from tests.connectors.conftest import NOW
from tests.fixtures.opencps.server import make_item
from tests.pages_support import add_user, login, settings  # noqa: F401 - settings is a fixture


def test_a_dossier_without_time_limit_is_shown_as_such(opencps: Any, client: Any,
                                                       session: Session) -> None:
    opencps.state.items = [make_item(1, "processing", durationCount=0.0, dueDate=None,
                                     serviceCode="1.009999.000.00.00.H10",
                                     applicantName="Nguyễn Thị Hoa", contactName="Trần Văn Nam")]
    opencps.run(unit_code=UNIT_CODE)
    add_user(session, "lan", "clerk")
    login(client, "lan")
    listing = client.get("/ho-so").get_data(as_text=True)
    assert "000.45.21.H10-250303-00001" in listing and "Không quy định thời hạn" in listing
    page = client.get("/ho-so/000.45.21.H10-250303-00001").get_data(as_text=True)
    assert NO_LIMIT_TEXT in page and "<dd>Không quy định thời hạn</dd>" in page
    assert "Hạn theo luật" not in page and "Hẹn lại ngày trả (xin lỗi)" not in page
    assert "<dd>Nguyễn Thị Hoa</dd>" in page
    assert "Tên theo hệ thống một cửa</dt><dd>NGUYỄN THỊ HOA</dd>" in page
    refused = client.get("/ho-so/000.45.21.H10-250303-00001/gia-han", follow_redirects=True)
    assert "không có hạn để hẹn lại" in refused.get_data(as_text=True)


def test_the_api_explains_a_dossier_without_time_limit(opencps: Any, client: Any,
                                                       session: Session) -> None:
    opencps.state.items = [make_item(1, "done", durationCount=0.0, dueDate=None,
                                     serviceCode="1.009999.000.00.00.H10")]
    opencps.run(unit_code=UNIT_CODE)
    _, raw = issue_token(session, "reader", ["read"], NOW)
    session.commit()
    reply = client.get("/api/v1/dossiers/000.45.21.H10-250303-00001/deadline",
                       headers={"Authorization": f"Bearer {raw}"})
    assert reply.status_code == 200, reply.json
    assert (reply.json["basis"], reply.json["legal_due"], reply.json["outcome"]) == (
        "none", None, "on_time")
    assert reply.json["explanation"] == [NO_LIMIT_TEXT]
