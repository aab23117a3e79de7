"""Helpers for the clerks' page tests: users of each role, signing in, and form tokens."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Unit, User
from service.users import create_user
from tests.conftest import UNIT_CODE, local

PASSWORD = "mật-khẩu-đủ-dài"
NOW = local(2026, 3, 10, 9)
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


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
                       NOW, full_name=f"Cán bộ {username}", handler=handler)
    session.commit()
    return user


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
