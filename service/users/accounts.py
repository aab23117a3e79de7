"""Users of the web app: create them, check their passwords, and record what they do."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import AuditLog, Dossier, Role, Unit, User

MIN_PASSWORD_LENGTH = 8
# Audit actions and how pages name them.
ACTION_LABELS = {
    "extension_issued": "Hẹn lại ngày trả kết quả (phiếu xin lỗi)",
    "resync_requested": "Yêu cầu đồng bộ lại Cổng DVCQG",
    "notice_opt_out": "Ghi nhận công dân từ chối nhận thông báo",
    "quarantine_fix": "Sửa và nhập lại hồ sơ lỗi dữ liệu",
    "quarantine_retry": "Nhập lại hồ sơ lỗi dữ liệu",
    "quarantine_discard": "Bỏ qua hồ sơ lỗi dữ liệu",
    "report_reminder": "Nhắc gửi báo cáo định kỳ",
    "complaint_received": "Tiếp nhận phản ánh, kiến nghị",
    "complaint_assigned": "Chuyển phản ánh, kiến nghị đến cơ quan giải quyết",
    "complaint_answered": "Trả lời phản ánh, kiến nghị",
    "complaint_closed": "Kết thúc phản ánh, kiến nghị",
    "receipt_printed": "In giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "receipt_reprinted": "In lại giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "import_upload": "Tải lên tệp danh sách hồ sơ",
    "import_confirm": "Xác nhận nhập tệp danh sách hồ sơ",
    "import_cancel": "Hủy tệp danh sách hồ sơ đã tải lên",
}


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message is for the person asking."""


@functools.lru_cache(maxsize=8)
def password_hasher(time_cost: int = 3, memory_kib: int = 65536) -> PasswordHasher:
    """An argon2id hasher; the defaults are argon2-cffi's (RFC 9106 low-memory profile)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hasher_for(settings: Mapping[str, Any]) -> PasswordHasher:
    """The hasher the [web] section asks for."""
    web = settings["web"]
    return password_hasher(web["password_time_cost"], web["password_memory_kib"])


@functools.lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the username is unknown, so both failures take the same time."""
    return hasher.hash("not a password of anyone")


def create_user(session: Session, username: str, password: str, role: Role | str,
                unit_codes: list[str], now: dt.datetime, *, full_name: str = "",
                handler: str | None = None, hasher: PasswordHasher | None = None) -> User:
    """Add a user with an argon2 password hash, linked to the given units; flush, no commit."""
    username = username.strip()
    if not username or len(username) > 64:
        raise UserError("username must be 1 to 64 characters")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise UserError(f"user {username!r} already exists")
    role = Role(role)
    units = _units(session, unit_codes)
    if role is not Role.ADMIN and not units:
        raise UserError("a user other than admin needs at least one unit (--unit CODE)")
    if role is Role.HEAD and not handler:
        raise UserError("a head of a handling body needs the handling body's name (--handler)")
    user = User(username=username, full_name=full_name or username,
                password_hash=hash_password(password, hasher), role=role, handler=handler,
                active=True, created_at=now, units=units)
    session.add(user)
    session.flush()
    return user


def _units(session: Session, codes: list[str]) -> list[Unit]:
    units = list(session.scalars(select(Unit).where(Unit.code.in_(codes))))
    missing = sorted(set(codes) - {u.code for u in units})
    if missing:
        raise UserError(f"unknown unit {', '.join(missing)}")
    return units


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """Hash a password with argon2id after checking its length."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    return (hasher or password_hasher()).hash(password)


def set_password(user: User, password: str, hasher: PasswordHasher | None = None,
                 *, temporary: bool = False) -> None:
    """Replace a user's password; sessions signed with the old one stop working.

    A `temporary` password (chosen by someone else) must be changed at the next sign-in.
    """
    user.password_hash = hash_password(password, hasher)
    user.must_change_password = temporary


def authenticate(session: Session, username: str, password: str, now: dt.datetime,
                 hasher: PasswordHasher | None = None) -> User | None:
    """Return the active user with this username and password, or None; records the login.

    A hash made with other parameters than `hasher`'s is replaced once the password is known.
    """
    hasher = hasher or password_hasher()
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    try:
        hasher.verify(user.password_hash if user else _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = now
    return user


def verify_password(user: User, password: str, hasher: PasswordHasher | None = None) -> bool:
    """Whether `password` is the user's current one."""
    try:
        return bool((hasher or password_hasher()).verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def session_token(user: User) -> str:
    """A short digest of the password hash: a session keeps it, so a new password ends it."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def action_label(action: str) -> str:
    """The Vietnamese name of an audit action (the code itself when unknown)."""
    return ACTION_LABELS.get(action, action)


def audit(session: Session, user: User | None, action: str, now: dt.datetime, *,
          dossier: Dossier | None = None, target: str | None = None,
          detail: str | None = None, dossier_id: int | None = None,
          changes: list[dict[str, Any]] | None = None) -> AuditLog:
    """Record one action of a user; flush, no commit.

    `changes` lists what an edit changed ({field, old, new}, see service.users.audit): it may
    hold personal data, which `detail` never does. `dossier_id` names the dossier when no
    loaded `dossier` is at hand.
    """
    entry = AuditLog(at=now, user_id=user.id if user else None,
                     username=user.username if user else "system", action=action,
                     dossier_id=dossier.id if dossier else dossier_id,
                     target=target or (dossier.code if dossier else None), detail=detail,
                     changes=changes or None)
    session.add(entry)
    session.flush()
    return entry
