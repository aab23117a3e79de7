"""Whole-app hardening: headers, cookies, request limits, CSRF, and no clerk route left open."""

from __future__ import annotations

import datetime as dt
import random
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.models import Base, Role
from service.runtime import Runtime
from service.users.accounts import create_user
from service.users.tokens import issue_token
from service.web import create_app
from tests.conftest import make_settings

NOW = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
# Routes anyone may call. Every other route must refuse an anonymous request.
PUBLIC = {
    "static", "home.healthz", "auth.login", "metrics",
    "lookup.form", "lookup.result", "lookup.rate", "lookup.stop_notices", "lookup.qr",
    "lookup-api.lookup_dossier",
    "citizen_complaint.form", "citizen_complaint.submit", "citizen_complaint.about_dossier",
    "api-docs.openapi_json", "api_docs_ui.swagger_ui",
    # The skeleton's home page shows counts by status only, no dossier or person; it should move
    # behind the login with the clerks' dashboard, and leave this set then.
    "home.index",
}
SAMPLE_ARGS = {"IntegerConverter": 1, "FloatConverter": 1.5,
               "UUIDConverter": "00000000-0000-0000-0000-000000000000"}


def app_with(tmp_path: Any, **overrides: Any) -> Iterator[Any]:
    settings = make_settings(f"sqlite:///{tmp_path / 'sec.db'}", **overrides)
    rt = Runtime.from_settings(settings)
    Base.metadata.create_all(rt.engine)
    app = create_app(rt.settings, rt)
    yield app
    rt.engine.dispose()


@pytest.mark.parametrize("path", ["/tra-cuu", "/api/v1/units", "/api/openapi.json",
                                  "/api/nothing", "/nothing", "/healthz"])
def test_security_headers_on_pages_api_and_errors(client: Any, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers


def test_swagger_page_allows_inline_styles_but_never_inline_scripts(client: Any) -> None:
    csp = client.get("/api/docs").headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in csp and "script-src 'self';" in csp


def test_hsts_is_sent_over_https_only(client: Any) -> None:
    secure = client.get("/healthz", base_url="https://tthc.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_follows_a_trusted_proxy_only(tmp_path: Any) -> None:
    for app in app_with(tmp_path, security={"trusted_proxy": "127.0.0.1", "proxy_hops": 1}):
        client = app.test_client()
        answer = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in answer.headers
        other = client.get("/healthz", headers={"X-Forwarded-Proto": "https"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert "Strict-Transport-Security" not in other.headers


def test_hsts_can_be_switched_off(tmp_path: Any) -> None:
    for app in app_with(tmp_path, security={"hsts": False}):
        answer = app.test_client().get("/healthz", base_url="https://tthc.example")
        assert "Strict-Transport-Security" not in answer.headers


def test_session_cookie_is_secure_httponly_samesite_over_https(client: Any) -> None:
    cookie = client.get("/tra-cuu", base_url="https://localhost").headers["Set-Cookie"]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie


def test_oversized_request_is_refused(tmp_path: Any) -> None:
    for app in app_with(tmp_path, security={"max_request_kb": 16}):
        answer = app.test_client().post("/tra-cuu", data={"code": "x" * 20_000})
        assert answer.status_code == 413


def test_api_page_size_is_capped(client: Any, session: Session) -> None:
    _, raw = issue_token(session, "r", ["read"], NOW)
    session.commit()
    answer = client.get("/api/v1/connector-runs?limit=5000",
                        headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 422 and "limit" in answer.json["errors"]["query"]


def test_metrics_answer_internal_addresses_only(client: Any) -> None:
    inside = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert inside.status_code == 200 and "tthc_http_requests_total" in inside.text
    assert outside.status_code == 404


def test_metrics_by_token(tmp_path: Any) -> None:
    for app in app_with(tmp_path, security={"metrics": "token"}):
        rt = app.extensions["tthc"]
        with rt.sessions() as session:
            _, raw = issue_token(session, "prom", ["read"], NOW)
            session.commit()
        client = app.test_client()
        assert client.get("/metrics").status_code == 401
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {raw}"})
        assert answer.status_code == 200 and "tthc_open_dossiers" in answer.text


def sample_url(rule: Any) -> str:
    values = {name: SAMPLE_ARGS.get(type(rule._converters[name]).__name__, "X-1")
              for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def refused(response: Any, rule: Any) -> bool:
    """401/403, a redirect to the login page, or 404 for a route whose sample object is absent."""
    if response.status_code in (401, 403):
        return True
    if response.status_code == 404 and rule.arguments:
        return True
    return response.status_code in (302, 303) and "dang-nhap" in response.location


def test_every_clerk_route_refuses_anonymous_requests(app: Any, make_dossier: Any,
                                                      session: Session) -> None:
    make_dossier(code="X-1")  # so /ho-so/<code> routes find a dossier when left open
    session.commit()
    client = app.test_client()
    open_routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = None
            if method != "GET" and not rule.rule.startswith("/api/"):
                # A valid token (fetched anew: a sign-out clears it), so the login guard refuses.
                data = {"csrf_token": csrf_token(client)}
            answer = client.open(sample_url(rule), method=method, data=data)
            if not refused(answer, rule):
                open_routes.append(f"{method} {rule.rule} -> {answer.status_code}")
    assert open_routes == [], "\n".join(open_routes)


def csrf_token(client: Any) -> str:
    html = client.get("/tra-cuu").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_signed_in_form_post_without_csrf_token_is_refused(app: Any, session: Session) -> None:
    user = create_user(session, "hoa", "mật-khẩu-dài-đủ", Role.ADMIN, [], NOW)
    session.commit()
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["uid"], cookie["epoch"] = user.id, user.session_epoch
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods
             and not r.rule.startswith("/api/") and r.endpoint != "metrics"]
    assert posts, "the app has forms"
    for rule in posts:
        answer = client.post(sample_url(rule), data={"x": "1"})
        assert answer.status_code == 400, f"{rule.rule} accepted a POST without a CSRF token"
        assert re.search("CSRF|csrf", answer.get_data(as_text=True))


def test_api_rate_limit_is_per_client_and_configurable(tmp_path: Any) -> None:
    for app in app_with(tmp_path, api={"rate_limit": "2 per minute"}):
        client = app.test_client()
        answers = [client.get("/api/v1/units").status_code for _ in range(3)]
        assert answers == [401, 401, 429]
        other = client.get("/api/v1/units", headers={"Authorization": "Bearer tthc_other"})
        assert other.status_code == 401, "another token is another client"


def test_metrics_report_ingest_runs_dossiers_and_sync_lag(client: Any, session: Session,
                                                          make_dossier: Any) -> None:
    from service.models import ConnectorRun
    from service.vocabulary import DeadlineClass

    session.add_all([
        ConnectorRun(connector="simulator", started_at=NOW, finished_at=NOW),
        ConnectorRun(connector="simulator", started_at=NOW, error="timeout"),
    ])
    make_dossier(deadline_class=DeadlineClass.OVERDUE)
    session.commit()
    client.get("/healthz")
    text = client.get("/metrics").text
    assert 'tthc_ingest_runs{connector="simulator",result="ok"} 1.0' in text
    assert 'tthc_ingest_runs{connector="simulator",result="error"} 1.0' in text
    assert 'tthc_open_dossiers{deadline_class="overdue"} 1.0' in text
    assert 'tthc_http_requests_total{endpoint="home.healthz",method="GET",status="200"}' in text
    lag = re.search(r"^tthc_portal_sync_lag_seconds (\S+)$", text, re.M)
    assert lag is not None and float(lag.group(1)) > 0, "the new dossier waits for the portal"


def redis_url() -> str:
    pytest.importorskip("redis", reason="the redis client is in the [redis] extra")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/15"


def test_limits_kept_in_redis_survive_a_new_worker(tmp_path: Any) -> None:
    overrides = {"web": {"ratelimit_storage": redis_url()},
                 "lookup": {"rate_limit": "2 per minute"}}
    # A fresh address and code per run: the per-address and per-code counters in the shared
    # Redis must not carry over between runs.
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    path = f"/api/v1/lookup/A-{random.randrange(10**9)}?factor=1234"
    for app in app_with(tmp_path, **overrides):
        client = app.test_client()
        first = [client.get(path, environ_base={
            "REMOTE_ADDR": address}).status_code for _ in range(2)]
        assert first == [404, 404]
    for app in app_with(tmp_path, **overrides):  # another process would start empty in memory
        third = app.test_client().get(path,
                                      environ_base={"REMOTE_ADDR": address})
        assert third.status_code == 429


def test_access_logs_never_hold_the_factor_or_a_token(app: Any,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('127.0.0.1 "%s" 404', "GET /api/v1/lookup/X-1"
                                           "?factor=5678 HTTP/1.1")
        logging.getLogger("gunicorn.access").info("Authorization: Bearer tthc_%s", "a" * 43)
    text = caplog.text
    assert "5678" not in text and "a" * 43 not in text
    assert "factor=…" in text and "tthc_…" in text


def test_lookup_still_answers_when_the_limit_store_is_down(tmp_path: Any,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    pytest.importorskip("redis", reason="the redis client is in the [redis] extra")
    # Nothing listens on port 1: every storage call fails at once.
    overrides = {"web": {"ratelimit_storage": "redis://127.0.0.1:1/0"}}
    for app in app_with(tmp_path, **overrides):
        answer = app.test_client().get("/api/v1/lookup/A-1?factor=1234")
        assert answer.status_code == 404
    assert "rate-limit storage unreachable" in caplog.text


def test_limits_in_memory_are_counted_without_a_thread_and_windows_end(app: Any) -> None:
    import threading

    from limits import parse

    from service.web.ratelimit import SweptMemoryStorage
    from service.web.security import limiter

    storage = limiter.limiter.storage
    assert isinstance(storage, SweptMemoryStorage)
    threads = threading.active_count()
    for n in range(50):
        limiter.limiter.hit(parse("5 per minute"), "sweep-test", str(n))
    assert threading.active_count() == threads  # no timer thread per count
    one = parse("1 per minute")
    assert limiter.limiter.hit(one, "sweep-test", "same")
    assert not limiter.limiter.hit(one, "sweep-test", "same")  # it still limits
    short = parse("1000 per 1 second")
    limiter.limiter.hit(short, "sweep-test", "old")
    old_key = short.key_for("sweep-test", "old")
    assert storage.get(old_key) == 1
    # The window ends: reads say so at once, and the next count after a sweep forgets it.
    storage.expirations[old_key] = 0.0
    assert storage.get(old_key) == 0
    storage.next_sweep = 0.0
    limiter.limiter.hit(parse("5 per minute"), "sweep-test", "later")
    assert old_key not in storage.counts
