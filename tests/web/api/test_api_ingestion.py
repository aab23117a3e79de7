"""Connector runs and quarantine through the API: paging, filters and scopes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.models import ConnectorRun, QuarantinedRecord
from service.users.tokens import issue_token

NOW = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)


@pytest.fixture
def tokens(session: Session) -> dict[str, dict[str, str]]:
    found = {}
    for scope in ("read", "admin"):
        _, raw = issue_token(session, scope, [scope], NOW)
        found[scope] = {"Authorization": f"Bearer {raw}"}
    session.commit()
    return found


def test_runs_page_newest_first_and_filter_by_connector(client: Any, session: Session,
                                                        tokens: dict[str, Any]) -> None:
    for n in range(5):
        session.add(ConnectorRun(connector="simulator" if n % 2 else "opencps",
                                 started_at=NOW + dt.timedelta(minutes=n), fetched=n,
                                 error="timeout" if n == 4 else None))
    session.commit()
    first = client.get("/api/v1/connector-runs?limit=3", headers=tokens["read"]).json
    assert [r["fetched"] for r in first["items"]] == [4, 3, 2]
    assert first["items"][0]["error"] == "timeout"
    rest = client.get(f"/api/v1/connector-runs?limit=3&after={first['next_cursor']}",
                      headers=tokens["read"]).json
    assert [r["fetched"] for r in rest["items"]] == [1, 0] and rest["next_cursor"] is None
    only = client.get("/api/v1/connector-runs?connector=simulator", headers=tokens["read"]).json
    assert {r["connector"] for r in only["items"]} == {"simulator"}


def test_bad_cursor_is_a_field_error(client: Any, tokens: dict[str, Any]) -> None:
    answer = client.get("/api/v1/connector-runs?after=abc", headers=tokens["read"])
    assert answer.status_code == 422 and "after" in answer.json["errors"]["query"]


def test_quarantine_needs_admin_and_withholds_payloads(client: Any, session: Session,
                                                       tokens: dict[str, Any]) -> None:
    session.add(QuarantinedRecord(
        connector="opencps", item_key="42", kind="source", code="X-1", source_id="42",
        payload={"SoDienThoai": "0912345678"}, reason="no received date", state="open",
        first_seen_at=NOW, last_seen_at=NOW))
    session.commit()
    assert client.get("/api/v1/quarantine", headers=tokens["read"]).status_code == 403
    answer = client.get("/api/v1/quarantine", headers=tokens["admin"])
    assert answer.status_code == 200
    assert [item["code"] for item in answer.json["items"]] == ["X-1"]
    assert "0912345678" not in answer.get_data(as_text=True)
    resolved = client.get("/api/v1/quarantine?state=resolved", headers=tokens["admin"]).json
    assert resolved["items"] == []
