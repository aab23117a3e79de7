"""A printed or handed-over password is changed at the first sign-in; demo checks its port."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from service.models import User
from service.users.accounts import authenticate
from tests.configs import write_config
from tests.pages_support import PASSWORD, TOKEN_RE, add_user, login
from tests.pages_support import settings as settings  # noqa: F401 - fast password hashes
from tests.processes import clean_env, free_port, run_cli

NEW = "mật-khẩu-riêng-của-tôi"


def change(client: Any, current: str, new: str, confirm: str | None = None) -> Any:
    page = client.get("/doi-mat-khau").get_data(as_text=True)
    token = TOKEN_RE.search(page).group(1)
    return client.post("/doi-mat-khau", data={"csrf_token": token, "current": current,
                                              "new": new, "confirm": confirm or new})


def test_a_temporary_password_must_be_changed_before_any_page_opens(
        client: Any, session: Session, runtime: Any) -> None:
    user = add_user(session, "lan", "clerk")
    user.must_change_password = True
    session.commit()
    signed = login(client, "lan")
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/doi-mat-khau")
    assert client.get("/tong-quan").headers["Location"].endswith("/doi-mat-khau")
    wrong = change(client, "sai-mật-khẩu", NEW)
    assert wrong.status_code == 400 and "Mật khẩu hiện tại không đúng." in wrong.text
    mismatch = change(client, PASSWORD, NEW, NEW + "x")
    assert mismatch.status_code == 400 and "không khớp" in mismatch.text
    for weak, says in (("12345678", "ít nhất 10 ký tự"), ("matkhau123", "quá phổ biến"),
                       ("LAN-12345678", "tên đăng nhập")):
        refused = change(client, PASSWORD, weak)
        assert refused.status_code == 400 and says in refused.text, weak
    assert client.get("/tong-quan").headers["Location"].endswith("/doi-mat-khau")
    done = change(client, PASSWORD, NEW)
    assert done.status_code == 302
    assert client.get("/tong-quan").status_code == 200
    with runtime.sessions() as fresh:
        assert not fresh.get_one(User, user.id).must_change_password
        assert authenticate(fresh, "lan", PASSWORD, runtime.now()) is None
        assert authenticate(fresh, "lan", NEW, runtime.now()) is not None


def test_demo_on_a_busy_port_stops_before_the_back_fill_and_names_port(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config.toml"
    write_config(config, {"database_url": f"sqlite:///{tmp_path / 'demo.db'}"})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        done = run_cli(["demo", "--port", str(port)], clean_env({"TTHC_CONFIG": str(config)}))
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "created" not in done.stdout and "Traceback" not in done.stderr
