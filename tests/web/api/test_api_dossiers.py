"""The dossier resources: list with filters and cursor pages, detail, history, deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.models import Dossier, StatusEvent, SupplementRound
from service.users.tokens import issue_token
from service.vocabulary import Status
from tests.conftest import local

NOW = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
PERSONAL = ("0912345678", "010203004567", "Nguyễn Văn Bình")


@pytest.fixture
def headers(session: Session) -> dict[str, str]:
    _, raw = issue_token(session, "reader", ["read"], NOW)
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def dossiers(make_dossier: Callable[..., Dossier], session: Session) -> list[Dossier]:
    rows = [make_dossier(received_at=local(2026, 3, day, 9),
                         status=Status.PROCESSING if day % 2 else Status.RETURNED,
                         is_open=bool(day % 2), handler="Tư pháp" if day < 4 else "Địa chính")
            for day in range(2, 7)]
    session.add(StatusEvent(dossier_id=rows[0].id, at=local(2026, 3, 2, 9),
                            status=Status.ACCEPTED, note="gọi 0912345678"))
    session.add(SupplementRound(dossier_id=rows[0].id, requested_at=local(2026, 3, 3, 9)))
    session.commit()
    return rows


def test_list_pages_through_every_dossier_with_cursors(client: Any, headers: dict[str, str],
                                                       dossiers: list[Dossier]) -> None:
    seen, url = [], "/api/v1/dossiers?limit=2"
    while url:
        page = client.get(url, headers=headers)
        assert page.status_code == 200, page.json
        seen += [item["code"] for item in page.json["items"]]
        cursor = page.json["next_cursor"]
        url = f"/api/v1/dossiers?limit=2&after={cursor}" if cursor else ""
    assert seen == [d.code for d in reversed(dossiers)]


def test_list_filters_like_the_clerk_list(client: Any, headers: dict[str, str],
                                          dossiers: list[Dossier]) -> None:
    returned = client.get("/api/v1/dossiers?status=10", headers=headers).json["items"]
    assert {item["status"] for item in returned} == {10}
    assert len(returned) == 3
    body = client.get("/api/v1/dossiers?handler=Tư pháp&open=true", headers=headers).json
    assert [item["code"] for item in body["items"]] == [dossiers[1].code]


def test_list_never_shows_personal_data(client: Any, headers: dict[str, str],
                                        dossiers: list[Dossier]) -> None:
    text = client.get("/api/v1/dossiers", headers=headers).get_data(as_text=True)
    assert "Nguyễn V. B." in text
    for value in PERSONAL:
        assert value not in text


@pytest.mark.parametrize("query, field", [("status=99", "status"), ("limit=0", "limit"),
                                          ("limit=201", "limit"), ("after=garbage", "after"),
                                          ("sort=name", "sort")])
def test_bad_parameters_get_field_errors(client: Any, headers: dict[str, str], query: str,
                                         field: str) -> None:
    answer = client.get(f"/api/v1/dossiers?{query}", headers=headers)
    assert answer.status_code == 422
    assert answer.json["message"]
    assert field in answer.json["errors"]["query"]


def test_detail_history_and_deadline(client: Any, headers: dict[str, str],
                                     dossiers: list[Dossier]) -> None:
    code = dossiers[0].code
    detail = client.get(f"/api/v1/dossiers/{code}", headers=headers)
    assert detail.status_code == 200
    assert detail.json["received_at"] == "2026-03-02T09:00:00+07:00"
    assert detail.json["status_label"] == "Đã trả kết quả"
    history = client.get(f"/api/v1/dossiers/{code}/history", headers=headers)
    assert history.json["events"][0]["status"] == Status.ACCEPTED.value
    assert history.json["supplements"][0]["requested_at"] == "2026-03-03T09:00:00+07:00"
    assert "0912345678" not in history.get_data(as_text=True)
    deadline = client.get(f"/api/v1/dossiers/{code}/deadline", headers=headers)
    assert deadline.status_code == 200, deadline.json
    assert deadline.json["explanation"] and deadline.json["legal_due"]


def test_unknown_dossier_is_a_json_404(client: Any, headers: dict[str, str]) -> None:
    for suffix in ("", "/history", "/deadline"):
        answer = client.get(f"/api/v1/dossiers/NO-SUCH{suffix}", headers=headers)
        assert answer.status_code == 404 and "NO-SUCH" in answer.json["message"]


def test_every_dossier_route_needs_a_token(client: Any, dossiers: list[Dossier]) -> None:
    code = dossiers[0].code
    for path in ("", f"/{code}", f"/{code}/history", f"/{code}/deadline"):
        assert client.get(f"/api/v1/dossiers{path}").status_code == 401
