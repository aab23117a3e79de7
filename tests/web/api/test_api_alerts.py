"""Alerts through the API: newest first, filters, deliveries, no addresses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.models import Alert, AlertDelivery, Dossier
from service.models.alerts import AlertKind, DeliveryState
from service.users.tokens import issue_token

NOW = dt.datetime(2026, 3, 4, 2, tzinfo=dt.UTC)


@pytest.fixture
def headers(session: Session) -> dict[str, str]:
    _, raw = issue_token(session, "reader", ["read"], NOW)
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def alerts(make_dossier: Callable[..., Dossier], session: Session) -> list[Alert]:
    first, second = make_dossier(), make_dossier()
    rows = []
    for n, (dossier, kind, level) in enumerate([(first, AlertKind.NEAR, 1),
                                                (first, AlertKind.OVERDUE, 2),
                                                (second, AlertKind.OVERDUE, 1)]):
        alert = Alert(dossier_id=dossier.id, kind=kind, level=level,
                      recipient="email:hoa.le@thanhmien.gov.vn", recipient_name="Lê Thị Hoa",
                      recipient_role="clerk", due_at=NOW, created_at=NOW + dt.timedelta(hours=n),
                      send_after=NOW)
        session.add(alert)
        session.flush()
        session.add(AlertDelivery(alert_id=alert.id, channel="email", next_attempt_at=NOW,
                                  state=DeliveryState.FAILED, attempts=3,
                                  last_error="550 hoa.le@thanhmien.gov.vn unknown"))
        rows.append(alert)
    session.commit()
    return rows


def test_alerts_newest_first_with_deliveries(client: Any, headers: dict[str, str],
                                             alerts: list[Alert]) -> None:
    answer = client.get("/api/v1/alerts?limit=2", headers=headers)
    assert answer.status_code == 200, answer.json
    items = answer.json["items"]
    assert [item["id"] for item in items] == [alerts[2].id, alerts[1].id]
    assert items[0]["kind"] == "overdue" and items[0]["kind_label"] == "Quá hạn"
    assert items[0]["deliveries"] == [{"channel": "email", "state": "failed", "attempts": 3,
                                       "state_label": "Gửi không thành công", "sent_at": None}]
    rest = client.get(f"/api/v1/alerts?limit=2&after={answer.json['next_cursor']}",
                      headers=headers).json
    assert [item["id"] for item in rest["items"]] == [alerts[0].id]
    assert "hoa.le@" not in answer.get_data(as_text=True)


def test_alert_filters(client: Any, headers: dict[str, str], alerts: list[Alert],
                       session: Session) -> None:
    code = session.get(Dossier, alerts[0].dossier_id).code
    by_dossier = client.get(f"/api/v1/alerts?dossier={code}", headers=headers).json["items"]
    assert {item["dossier"] for item in by_dossier} == {code} and len(by_dossier) == 2
    escalated = client.get("/api/v1/alerts?level=2", headers=headers).json["items"]
    assert [item["id"] for item in escalated] == [alerts[1].id]
    near = client.get("/api/v1/alerts?kind=near", headers=headers).json["items"]
    assert [item["id"] for item in near] == [alerts[0].id]
    assert client.get("/api/v1/alerts?kind=late", headers=headers).status_code == 422


def test_metrics_count_alerts_and_deliveries(client: Any, alerts: list[Alert]) -> None:
    text = client.get("/metrics").text
    assert 'tthc_alerts{kind="overdue",level="1"} 1.0' in text
    assert 'tthc_alerts{kind="overdue",level="2"} 1.0' in text
    assert 'tthc_alert_deliveries{channel="email",state="failed"} 3.0' in text
