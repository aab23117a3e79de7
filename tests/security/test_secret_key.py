"""The key that signs sessions: serve refuses a public or short one without ever printing it;
the demo makes its own once, keeps it beside its data and signs with it again next run."""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from service.config.secret_key import instance_folder
from tests.processes import Process, clean_env, free_port, run_cli
from tests.security.conftest import Browser, write_config

SHIPPED = "dev-only-change-me-in-production"
SHORT = "bí-mật-ngắn-của-xã-2026"          # 23 characters
STRONG = "Vk3q9-ZpL2mN8xR4tY7wB1cD6fG0hJ5s"  # 32 characters, 30 distinct


def config(tmp_path: Path, **extra: Any) -> Path:
    """The shipped configuration on a database of its own, a small demo, no scheduler."""
    return write_config(tmp_path / "config.toml", {
        "database_url": f"sqlite:///{tmp_path / 'data' / 'tthc.db'}",
        "server": {"host": "127.0.0.1", "port": free_port()},
        "scheduler": {"enabled": False},
        "web": {"password_time_cost": 1, "password_memory_kib": 1024},
        "connectors": {"simulator": {"type": "simulator", "seed": 2026, "backfill_days": 2,
                                     "unit_code": "000.32.26.H26",
                                     "unit_name": "UBND xã Thanh Miện"}},
        **extra})


def refused(path: Path, **env: str) -> str:
    """Run `serve`; it must stop with a configuration error. Returns all it printed."""
    done = run_cli(["serve"], clean_env({"TTHC_CONFIG": str(path), **env}), timeout=60)
    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert "Traceback" not in said and "refusing to serve" in said, said
    assert "TTHC_SECRET_KEY" in said and "secret_key_file" in said, said
    return said


def test_serve_refuses_the_key_shipped_in_config_toml(tmp_path: Path) -> None:
    said = refused(config(tmp_path))
    assert "example shipped in config.toml" in said and SHIPPED not in said


def test_serve_refuses_a_short_key_and_never_prints_it(tmp_path: Path) -> None:
    said = refused(config(tmp_path), TTHC_SECRET_KEY=SHORT)
    assert "23 characters, fewer than 32" in said and SHORT not in said


def test_serve_refuses_a_short_key_file_and_never_prints_it(tmp_path: Path) -> None:
    key_file = tmp_path / "khoa"
    key_file.write_text(SHORT + "\n", encoding="utf-8")
    said = refused(config(tmp_path, secret_key_file=str(key_file)), TTHC_SECRET_KEY=STRONG)
    assert str(key_file) in said and SHORT not in said


def test_a_rejected_secret_value_is_not_quoted_by_the_configuration_check(
        tmp_path: Path) -> None:
    done = run_cli(["serve"], clean_env({"TTHC_CONFIG": str(config(tmp_path)),
                                         "TTHC_SECRET_KEY": "[20261130, 424242]"}), timeout=60)
    assert done.returncode == 2 and "key 'secret_key'" in done.stderr, done.stderr
    assert "424242" not in done.stderr


def test_gunicorn_refuses_the_shipped_key_before_serving(tmp_path: Path) -> None:
    gunicorn = Process([str(Path(sys.executable).parent / "gunicorn"), "--bind",
                        f"127.0.0.1:{free_port()}", "service.web.wsgi:app"],
                       clean_env({"TTHC_CONFIG": str(config(tmp_path))}))
    try:
        code = gunicorn.popen.wait(timeout=60)
    finally:
        # SIGTERM lets the master stop its workers should one have booted.
        gunicorn.stop()
    said = gunicorn.log()
    assert code != 0 and "Listening at" in said, said
    assert "refusing to serve" in said and "TTHC_SECRET_KEY" in said and SHIPPED not in said


def signed_with(key: str, cookie: str) -> dict[str, Any]:
    """The session a cookie holds if `key` signed it (an error otherwise)."""
    app = Flask(__name__)
    app.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    return serializer.loads(cookie)


def test_serve_signs_sessions_with_the_key_in_secret_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "khoa"
    key_file.write_text(STRONG + "\n", encoding="utf-8")
    path = config(tmp_path, secret_key_file=str(key_file))
    env = clean_env({"TTHC_CONFIG": str(path)})
    assert run_cli(["db", "upgrade"], env).returncode == 0
    server = Process.cli(["serve"], env)
    try:
        server.wait_for(r"Serving on", timeout=60)
        url = re.search(r"Serving on (http://\S+?)/?$", server.log(), re.M).group(1)
        browser = Browser(url)
        browser.csrf()
        assert "csrf_token" in signed_with(STRONG, browser.cookies["session"])
    finally:
        assert server.stop() == 0, server.log()
    assert STRONG not in server.log()


def start_demo(env: dict[str, str]) -> tuple[Process, str]:
    demo = Process.cli(["demo"], env)
    demo.wait_for(r"Serving on", timeout=180)
    url = re.search(r"Serving on (http://\S+?)/?$", demo.log(), re.M).group(1)
    return demo, url


@pytest.mark.slow
def test_demo_makes_its_key_once_keeps_it_private_and_signs_with_it_again(
        tmp_path: Path) -> None:
    env = clean_env({"TTHC_CONFIG": str(config(tmp_path))})
    kept = tmp_path / "data" / "secret_key"
    demo, url = start_demo(env)
    try:
        key = kept.read_text(encoding="utf-8").strip()
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and len(key) >= 32
        password = re.search(r"one-time password '([^']+)'", demo.log()).group(1)
        browser = Browser(url)
        assert browser.sign_in("admin", password).status == 302
        assert signed_with(key, browser.cookies["session"])
    finally:
        assert demo.stop() == 0, demo.log()
    again, url = start_demo(env)
    try:
        assert kept.read_text(encoding="utf-8").strip() == key
        browser.url = url
        # Still signed in: the first sign-in asks for a new password, not for the login form.
        answer = browser.get("/doi-mat-khau")
        assert answer.status == 200 and "csrf_token" in answer.text
    finally:
        assert again.stop() == 0, again.log()
    assert key not in demo.log() + again.log()


def test_the_instance_folder_holds_the_sqlite_file_else_var() -> None:
    assert instance_folder({"database_url": "sqlite:////srv/tthc/tthc.db"}) == Path("/srv/tthc")
    assert instance_folder({"database_url": "sqlite:///var/tthc-monitor.db"}) == Path("var")
    assert instance_folder({"database_url": "postgresql+psycopg://tthc@/tthc"}) == Path("var")
