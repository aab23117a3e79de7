"""Signing in and out, CSRF on forms, the login rate limit and what each role may open."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.users.accounts import set_password
from tests.pages_support import (  # noqa: F401 - settings is a fixture
    PASSWORD,
    TOKEN_RE,
    add_user,
    csrf_token,
    login,
    settings,
)

PAGES = ["/tong-quan", "/ho-so", "/bao-cao", "/bao-cao/bieu-06"]
ADMIN_PAGES = ["/quan-tri/lan-chay", "/quan-tri/canh-bao", "/quan-tri/nguoi-dung",
               "/quan-tri/nhat-ky", "/quan-tri/cau-hinh"]
# Pages every role opens, each showing only what belongs to the user's units; and those of
# clerks (runs of their units' connectors, the quarantine).
SCOPED_PAGES = ["/quan-tri/canh-bao", "/quan-tri/nhat-ky"]
CLERK_PAGES = ["/quan-tri/lan-chay", "/quan-tri/cach-ly"]


def test_anonymous_visitors_are_sent_to_the_login_page(client: Any) -> None:
    for path in [*PAGES, *ADMIN_PAGES, "/quan-tri/cach-ly"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/dang-nhap?next=")


def test_login_then_logout(client: Any, session: Session) -> None:
    add_user(session, "lan", "clerk")
    response = login(client, "lan")
    assert response.status_code == 302 and response.headers["Location"] == "/tong-quan"
    page = client.get("/tong-quan").get_data(as_text=True)
    assert "Cán bộ lan" in page and "Đăng xuất" in page
    client.post("/dang-xuat", data={"csrf_token": csrf_token(client)})
    assert client.get("/tong-quan").status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(client: Any,
                                                                 session: Session) -> None:
    add_user(session, "lan", "clerk")
    page = client.get("/dang-nhap?next=/ho-so").get_data(as_text=True)
    assert 'name="next" value="/ho-so"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/dang-nhap", data={"username": "lan", "password": "mật-khẩu-đủ-dài",
                                               "csrf_token": token, "next": "//evil.example/"})
    assert response.headers["Location"] == "/tong-quan"


def test_a_wrong_password_is_refused_in_vietnamese(client: Any, session: Session) -> None:
    add_user(session, "lan", "clerk")
    response = login(client, "lan", "sai-mật-khẩu")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)


def test_forms_without_a_csrf_token_are_refused(client: Any, session: Session) -> None:
    add_user(session, "lan", "clerk")
    response = client.post("/dang-nhap", data={"username": "lan", "password": "x" * 10})
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.get_data(as_text=True)


def test_session_cookie_is_http_only_same_site_and_secure_over_https(
        client: Any, session: Session) -> None:
    add_user(session, "lan", "clerk")
    page = client.get("/dang-nhap", base_url="https://localhost").get_data(as_text=True)
    # Flask-WTF checks the Referer on HTTPS, which browsers send.
    cookie = client.post("/dang-nhap", base_url="https://localhost",
                         headers={"Referer": "https://localhost/dang-nhap"}, data={
        "username": "lan", "password": PASSWORD,
        "csrf_token": TOKEN_RE.search(page).group(1)}).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_login_attempts_are_rate_limited(client: Any, session: Session) -> None:
    add_user(session, "lan", "clerk")
    codes = [login(client, "lan", "sai-mật-khẩu").status_code for _ in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    assert "thử quá nhiều lần" in login(client, "lan").get_data(as_text=True)


def test_guessing_the_current_password_on_the_change_form_is_rate_limited(
        client: Any, session: Session) -> None:
    add_user(session, "lan", "clerk")
    login(client, "lan")
    token = csrf_token(client)
    codes = [client.post("/doi-mat-khau", data={
        "csrf_token": token, "current": f"đoán-thử-{n}", "new": "mùa-thu-Hà-Nội-2026",
        "confirm": "mùa-thu-Hà-Nội-2026"}).status_code for n in range(11)]
    assert codes == [400] * 10 + [429]


def test_a_password_change_ends_open_sessions(client: Any, session: Session) -> None:
    user = add_user(session, "lan", "clerk")
    login(client, "lan")
    set_password(user, "một-mật-khẩu-mới")
    session.commit()
    assert client.get("/tong-quan").status_code == 302


@pytest.mark.parametrize("role", ["clerk", "head", "viewer"])
def test_only_admins_open_the_admin_pages(client: Any, session: Session, role: str) -> None:
    add_user(session, "u", role, handler="Công an xã" if role == "head" else None)
    login(client, "u")
    for path in [*PAGES, *SCOPED_PAGES]:
        assert client.get(path).status_code == 200, path
    for path in ADMIN_PAGES:
        if path in SCOPED_PAGES or (role == "clerk" and path in CLERK_PAGES):
            continue
        response = client.get(path)
        assert response.status_code == 403, path
        assert "không có quyền" in response.get_data(as_text=True)
    for path in CLERK_PAGES:
        assert client.get(path).status_code == (200 if role == "clerk" else 403), path


def test_an_admin_opens_every_page(client: Any, session: Session) -> None:
    add_user(session, "root", "admin")
    login(client, "root")
    for path in [*PAGES, *ADMIN_PAGES, "/quan-tri/cach-ly"]:
        assert client.get(path).status_code == 200, path
