"""The home page and the health check."""

from __future__ import annotations

from typing import Any

from service.vocabulary import Status


def test_health_check_reports_the_database_and_a_missing_scheduler(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": "ok",
                                   "scheduler": "absent", "scheduler_holder": None,
                                   "scheduler_heartbeat": None}


def test_home_page_counts_dossiers_by_status(client: Any, make_dossier: Any, session: Any) -> None:
    make_dossier(status=Status.PROCESSING)
    make_dossier(status=Status.PROCESSING)
    make_dossier(status=Status.RETURNED, is_open=False)
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'lang="vi"' in page
    assert "UBND xã Thanh Miện" in page
    assert "<td>Đang xử lý</td><td class=\"num\">2</td>" in page
    assert "<td>Đã trả kết quả</td><td class=\"num\">1</td>" in page


def test_home_page_without_data_says_how_to_get_some(client: Any) -> None:
    assert "Chưa có hồ sơ nào" in client.get("/").get_data(as_text=True)
