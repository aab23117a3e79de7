"""Helpers for the clerks' page tests: users of each role, signing in, and form tokens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Unit, User
from service.users.accounts import create_user, password_hasher
from tests.conftest import UNIT_CODE, local, make_settings

PASSWORD = "mật-khẩu-đủ-dài"
NOW = local(2026, 3, 10, 9)
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# Real argon2id with a small cost, so that dozens of sign-ins stay quick in tests.
FAST_HASHES = {"password_time_cost": 1, "password_memory_kib": 1024}


@pytest.fixture
def settings(tmp_path: Any) -> dict[str, Any]:
    """Default settings on a SQLite file of this test, with cheap password hashes.

    Import it into a test module to replace conftest's `settings` there.
    """
    return make_settings(f"sqlite:///{tmp_path / 'app.db'}", web=FAST_HASHES)


def ensure_unit(session: Session, code: str = UNIT_CODE, name: str = "UBND xã Thanh Miện") -> Unit:
    """The unit with this code, created when missing."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code, name=name)
        session.add(unit)
        session.flush()
    return unit


def add_user(session: Session, username: str, role: str, *, units: tuple[str, ...] = (UNIT_CODE,),
             handler: str | None = None) -> User:
    """Create and commit a user of a role on the given units."""
    for code in units:
        ensure_unit(session, code)
    user = create_user(session, username, PASSWORD, role, list(units) if role != "admin" else [],
                       NOW, full_name=f"Cán bộ {username}", handler=handler,
                       hasher=password_hasher(**_cost()))
    session.commit()
    return user


def _cost() -> dict[str, int]:
    return {"time_cost": FAST_HASHES["password_time_cost"],
            "memory_kib": FAST_HASHES["password_memory_kib"]}


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the login form, as a browser would."""
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = TOKEN_RE.search(page).group(1)
    return client.post("/dang-nhap", data={"username": username, "password": password,
                                           "csrf_token": token})


def csrf_token(client: Any) -> str:
    """The form token of the signed-in session (read from a page's logout form)."""
    page = client.get("/tong-quan").get_data(as_text=True)
    return TOKEN_RE.search(page).group(1)


def csrf_from(client: Any, url: str = "/tra-cuu") -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def proof_from(response: Any) -> str:
    """The proof a passed lookup gives its follow-up forms."""
    match = re.search(r'name="proof" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "a result page carries a proof"
    return match.group(1)
