"""Plain HTTP on an office LAN: clerks can sign in, citizens see Vietnamese errors."""

from __future__ import annotations

import ipaddress
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from service.cli.context import load_settings
from service.cli.serve import plain_http_warnings
from tests.conftest import make_settings
from tests.pages_support import PASSWORD, TOKEN_RE
from tests.processes import Process, clean_env, free_port, lan_address, migrate_and_add_clerk

# This machine's own LAN address (a loopback one other than 127.0.0.1 where it has none),
# reached under a name as a clerk's PC would: browsers (and requests' cookie jar) hold back
# Secure cookies from such an http:// origin.
HOST = lan_address(fallback="127.0.0.2")
LAN_NAME = "may-chu-mot-cua.lan"


def start_server(tmp_path: Path, **web: Any) -> tuple[Process, str]:
    port = free_port(HOST)
    config = tmp_path / "config.toml"
    lines = [f'database_url = "sqlite:///{tmp_path / "lan.db"}"',
             'secret_key = "khoa-bi-mat-cua-xa-thanh-mien-2026"',
             "[server]", f'host = "{HOST}"', f"port = {port}", "[web]",
             "password_time_cost = 1", "password_memory_kib = 8192",
             *(f"{key} = {str(value).lower()}" for key, value in web.items()),
             '[[units]]', 'code = "000.32.26.H26"', 'name = "UBND xã Thanh Miện"']
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = clean_env({"TTHC_CONFIG": str(config)})
    migrate_and_add_clerk(env, "lan", PASSWORD)
    process = Process.cli(["serve"], env)
    process.wait_for(rf"Serving on http://{re.escape(HOST)}:{port}/")
    return process, f"http://{HOST}:{port}"


@pytest.fixture
def lan_server(tmp_path: Path) -> Iterator[str]:
    process, url = start_server(tmp_path)
    yield url
    assert process.stop(signal.SIGTERM) == 0, process.log()
    # Served on the machine's LAN address, the operator was told what plain HTTP there means.
    beyond_loopback = not ipaddress.ip_address(HOST).is_loopback
    assert ("serving plain HTTP on" in process.log()) is beyond_loopback, process.log()


def sign_in(url: str) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    browser.headers["Host"] = LAN_NAME
    page = browser.get(f"{url}/dang-nhap", timeout=10)
    token = TOKEN_RE.search(page.text).group(1)  # type: ignore[union-attr]
    answer = browser.post(f"{url}/dang-nhap", timeout=10, allow_redirects=False, data={
        "username": "lan", "password": PASSWORD, "csrf_token": token})
    return browser, answer


@pytest.mark.slow
def test_a_clerk_signs_in_over_plain_http_on_the_lan(lan_server: str) -> None:
    browser, answer = sign_in(lan_server)
    assert answer.status_code == 302, answer.text
    assert "Secure" not in answer.headers["Set-Cookie"]
    dashboard = browser.get(f"{lan_server}/tong-quan", timeout=10, allow_redirects=False)
    assert dashboard.status_code == 200
    assert "Đăng xuất" in dashboard.text


@pytest.mark.slow
def test_secure_only_cookies_make_plain_http_sign_in_fail(tmp_path: Path) -> None:
    process, url = start_server(tmp_path, secure_cookies=True)
    try:
        _, answer = sign_in(url)
    finally:
        process.stop()
    assert answer.status_code == 400


@pytest.mark.slow
def test_the_lookup_explains_a_missing_form_token_in_vietnamese(lan_server: str) -> None:
    answer = requests.post(f"{lan_server}/tra-cuu", data={"code": "X", "factor": "1234"},
                           headers={"Host": LAN_NAME}, timeout=10)
    assert answer.status_code == 400
    assert "CSRF" not in answer.text
    assert "Biểu mẫu tra cứu đã hết hạn" in answer.text


def test_cookies_are_secure_over_https_and_for_the_public_address(tmp_path: Path) -> None:
    from service.web import create_app

    settings = make_settings(f"sqlite:///{tmp_path / 'app.db'}",
                             lookup={"public_url": "https://dichvucong.thanhmien.gov.vn"})
    app = create_app(settings)
    cookie = {base: app.test_client().get("/tra-cuu", base_url=base).headers["Set-Cookie"]
              for base in ("https://192.168.1.10", "http://dichvucong.thanhmien.gov.vn",
                           "http://192.168.1.10:8080")}
    assert "Secure" in cookie["https://192.168.1.10"]
    assert "Secure" in cookie["http://dichvucong.thanhmien.gov.vn"]
    assert "Secure" not in cookie["http://192.168.1.10:8080"]


def test_serving_beyond_loopback_warns_and_names_secure_only_cookies() -> None:
    settings = load_settings("config.toml", environ={})
    assert plain_http_warnings("127.0.0.2", settings) == []
    assert plain_http_warnings("::1", settings) == []
    assert len(plain_http_warnings("0.0.0.0", settings)) == 1
    strict = load_settings("config.toml", environ={}, overrides={"web": {"secure_cookies": True}})
    said = plain_http_warnings("192.168.1.10", strict)
    assert len(said) == 2 and "secure_cookies" in said[1]
