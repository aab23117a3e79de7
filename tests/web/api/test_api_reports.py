"""Reports through the API: Biểu 06 and the 766 self-assessment as JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.models import CitizenRating, Dossier
from service.users.tokens import issue_token
from service.vocabulary import Outcome, Status
from tests.conftest import local

NOW = dt.datetime(2026, 4, 20, 2, tzinfo=dt.UTC)


@pytest.fixture
def headers(session: Session) -> dict[str, str]:
    _, raw = issue_token(session, "province", ["read"], NOW)
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def quarter(make_dossier: Callable[..., Dossier], session: Session) -> list[Dossier]:
    rows = [
        make_dossier(received_at=local(2026, 1, 5, 9), status=Status.RETURNED, is_open=False,
                     finished_at=local(2026, 1, 6, 9), returned_at=local(2026, 1, 6, 10),
                     outcome=Outcome.EARLY, due_at=local(2026, 1, 8, 16)),
        make_dossier(received_at=local(2026, 2, 5, 9), status=Status.PROCESSING,
                     due_at=local(2026, 2, 10, 16)),
    ]
    session.add(CitizenRating(dossier_id=rows[0].id, score=5, created_at=NOW, updated_at=NOW))
    session.commit()
    return rows


def test_form06_as_json_keeps_the_form_identities(client: Any, headers: dict[str, str],
                                                  quarter: list[Dossier]) -> None:
    answer = client.get("/api/v1/reports/form06?unit=000.32.26.H26&period=2026-Q1",
                        headers=headers)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["period"] == {"first": "2025-12-15", "last": "2026-03-14",
                              "label": "Quý I năm 2026"}
    total = {int(k): v for k, v in body["total"]["columns"].items()}
    assert total[3] == 2
    assert total[3] == total[4] + total[5] + total[6] == total[7] + total[11]
    assert total[7] == total[8] + total[9] + total[10]
    assert total[11] == total[12] + total[13]


def test_calendar_windows_and_ranges(client: Any, headers: dict[str, str],
                                     quarter: list[Dossier]) -> None:
    answer = client.get("/api/v1/reports/form06?unit=000.32.26.H26&period=2026-Q1"
                        "&windows=calendar", headers=headers)
    assert answer.json["period"]["first"] == "2026-01-01"
    ranged = client.get("/api/v1/reports/form06?unit=000.32.26.H26"
                        "&period=2026-01-01..2026-01-31", headers=headers)
    assert ranged.json["total"]["columns"]["3"] == 1


def test_assessment_counts_citizen_ratings(client: Any, headers: dict[str, str],
                                           quarter: list[Dossier]) -> None:
    answer = client.get("/api/v1/reports/assessment?unit=000.32.26.H26&period=2026-Q1"
                        "&windows=calendar", headers=headers)
    assert answer.status_code == 200, answer.json
    assert answer.json["judged_at"].endswith("+07:00")
    assert answer.json["indicators"] and answer.json["max_points"] > 0


@pytest.mark.parametrize("query, status, field", [
    ("unit=000.32.26.H26&period=2026-Q5", 422, "period"),
    ("unit=000.32.26.H26", 422, "period"),
    ("unit=999.99.99.X99&period=2026-Q1", 404, None),
])
def test_bad_report_requests(client: Any, headers: dict[str, str], quarter: list[Dossier],
                             query: str, status: int, field: str | None) -> None:
    answer = client.get(f"/api/v1/reports/form06?{query}", headers=headers)
    assert answer.status_code == status and answer.json["message"]
    if field:
        assert field in answer.json["errors"]["query"]
