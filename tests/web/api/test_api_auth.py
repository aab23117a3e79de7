"""Bearer tokens: issued hashed, scoped, revocable; errors are JSON under /api, HTML elsewhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import ApiToken
from service.users.tokens import TokenError, hash_token, issue_token, revoke_token

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def test_token_is_stored_only_as_its_hash(session: Session) -> None:
    token, raw = issue_token(session, "province", ["read"], NOW)
    session.commit()
    stored = session.scalar(select(ApiToken).where(ApiToken.name == "province"))
    assert stored is not None and stored.token_hash == hash_token(raw)
    assert raw not in {stored.token_hash, stored.name, stored.scopes}


def test_unknown_scope_and_duplicate_name_are_refused(session: Session) -> None:
    with pytest.raises(TokenError, match="scopes"):
        issue_token(session, "x", ["write"], NOW)
    issue_token(session, "x", ["read"], NOW)
    with pytest.raises(TokenError, match="already exists"):
        issue_token(session, "x", ["read"], NOW)


def test_request_without_token_gets_json_401(client: Any) -> None:
    response = client.get("/api/v1/units")
    assert response.status_code == 401
    assert response.is_json and response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_read_token_reads_but_cannot_ingest_scope(client: Any, session: Session) -> None:
    _, read = issue_token(session, "reader", ["read"], NOW)
    _, ingest = issue_token(session, "feeder", ["ingest"], NOW)
    _, admin = issue_token(session, "boss", ["admin"], NOW)
    session.commit()
    assert client.get("/api/v1/units", headers=bearer(read)).status_code == 200
    assert client.get("/api/v1/units", headers=bearer(admin)).status_code == 200
    refused = client.get("/api/v1/units", headers=bearer(ingest))
    assert refused.status_code == 403 and refused.is_json


def test_revoked_token_is_refused(client: Any, session: Session) -> None:
    _, raw = issue_token(session, "old", ["read"], NOW)
    session.commit()
    assert client.get("/api/v1/units", headers=bearer(raw)).status_code == 200
    revoke_token(session, "old", NOW)
    session.commit()
    assert client.get("/api/v1/units", headers=bearer(raw)).status_code == 401


def test_use_is_recorded(client: Any, session: Session) -> None:
    token, raw = issue_token(session, "seen", ["read"], NOW)
    session.commit()
    client.get("/api/v1/units", headers=bearer(raw))
    session.expire_all()
    assert session.get(ApiToken, token.id).last_used_at is not None


def test_api_errors_are_json_and_page_errors_html(client: Any) -> None:
    api = client.get("/api/v1/no-such-thing")
    page = client.get("/no-such-page")
    assert api.status_code == page.status_code == 404
    assert api.is_json and api.json["code"] == 404
    assert page.mimetype == "text/html"


def test_openapi_documents_bearer_security(client: Any) -> None:
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operation = spec["paths"]["/api/v1/units"]["get"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert operation["x-required-scope"] == "read"


def test_swagger_ui_is_served_from_bundled_files(client: Any) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in html and "<script>" not in html
    bundle = client.get("/static/swagger-ui/swagger-ui-bundle.js")
    bundle.close()
    assert bundle.status_code == 200
