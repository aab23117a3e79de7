"""Users of the web app: create them, check their passwords, and record what they do."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config.settings import WebSettings
from service.models import AuditLog, Dossier, Role, Unit, User
from service.users.passwords import Problem, password_problem

log = logging.getLogger(__name__)
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


class WeakPassword(UserError):
    """A password the policy refuses (service.users.passwords); never holds the password."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.english)
        self.vietnamese = problem.vietnamese


def check_password(password: str, username: str) -> None:
    """Raise WeakPassword unless the policy accepts `password` for the account `username`."""
    problem = password_problem(password, username)
    if problem is not None:
        raise WeakPassword(problem)


@dataclass(frozen=True)
class Lockout:
    """When one account stops accepting passwords, whichever addresses the guesses come from.

    After `after` failures in a row the account refuses every password, even the right one,
    for `first`; each further failure doubles that, up to `longest`. The per-address limit
    ([web] login_limit) cannot see guesses spread over many addresses; this can.
    """

    after: int = 5
    first: dt.timedelta = dt.timedelta(minutes=1)
    longest: dt.timedelta = dt.timedelta(minutes=30)

    def until(self, failures: int, now: dt.datetime) -> dt.datetime | None:
        """Until when an account with this many failures in a row is locked (None: it is not)."""
        if failures < self.after:
            return None
        doublings = min(failures - self.after, 32)
        return now + min(self.first * 2 ** doublings, self.longest)


def lockout_for(web: WebSettings) -> Lockout:
    """The lockout the [web] section asks for."""
    return Lockout(web.lockout_after, dt.timedelta(minutes=web.lockout_minutes),
                   dt.timedelta(minutes=web.lockout_max_minutes))


@functools.lru_cache(maxsize=8)
def password_hasher(time_cost: int = 3, memory_kib: int = 65536) -> PasswordHasher:
    """An argon2id hasher; the defaults are argon2-cffi's (RFC 9106 low-memory profile)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hasher_for(web: WebSettings) -> PasswordHasher:
    """The hasher the [web] section asks for."""
    return password_hasher(web.password_time_cost, web.password_memory_kib)


@functools.lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the username is unknown, so both failures take the same time."""
    return hasher.hash("not a password of anyone")


def create_user(session: Session, username: str, password: str, role: Role | str,
                unit_codes: list[str], now: dt.datetime, *, full_name: str = "",
                handler: str | None = None, hasher: PasswordHasher | None = None) -> User:
    """Add a user with an argon2 password hash, linked to the given units; flush, no commit.

    The password must pass the policy (check_password), whoever asks: command line or test.
    """
    username = username.strip()
    if not username or len(username) > 64:
        raise UserError("username must be 1 to 64 characters")
    check_password(password, username)
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
                active=True, created_at=now, units=units, failed_logins=0,
                session_epoch=0)
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
    """Hash a password with argon2id (the caller has checked it against the policy)."""
    return (hasher or password_hasher()).hash(password)


def set_password(user: User, password: str, hasher: PasswordHasher | None = None,
                 *, temporary: bool = False) -> None:
    """Replace a user's password if the policy accepts it; every open session of theirs ends.

    A `temporary` password (chosen by someone else) must be changed at the next sign-in. A new
    password also lifts a lockout: whoever sets it knows the account is in the right hands.
    """
    check_password(password, user.username)
    user.password_hash = hash_password(password, hasher)
    user.must_change_password = temporary
    end_sessions(user)
    unlock(user)


def end_sessions(user: User) -> None:
    """Make every session cookie issued to the user so far worthless (see access._load_user)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def unlock(user: User) -> None:
    """Forget the user's failed sign-ins and lift a lockout."""
    user.failed_logins = 0
    user.locked_until = None


def authenticate(session: Session, username: str, password: str, now: dt.datetime,
                 hasher: PasswordHasher | None = None,
                 lockout: Lockout | None = None) -> User | None:
    """Return the active user with this username and password, or None; flushes, no commit.

    A good sign-in is recorded and clears the failures; a wrong password is counted and may
    lock the account (`lockout`). A locked account refuses even the right password, and the
    caller cannot tell locked, unknown and wrong apart: each is None, after the same hash work.
    A hash made with other parameters than `hasher`'s is replaced once the password is known.
    """
    hasher = hasher or password_hasher()
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    try:
        good = hasher.verify(user.password_hash if user else _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        good = False
    if user is None or not user.active:
        return None
    if user.locked_until is not None and user.locked_until > now:
        return None  # not counted: the lock runs its course, then one more guess is allowed
    if not good:
        _count_failure(session, user, now, lockout or Lockout())
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    unlock(user)
    user.last_login_at = now
    return user


def _count_failure(session: Session, user: User, now: dt.datetime, lockout: Lockout) -> None:
    # Counted in SQL: guesses sent in parallel must not overwrite each other's count.
    user.failed_logins = User.failed_logins + 1
    session.flush()
    user.locked_until = lockout.until(user.failed_logins, now)
    if user.locked_until is not None:
        log.warning("account %s locked until %s after %d failed sign-ins in a row",
                    user.username, user.locked_until.isoformat(timespec="seconds"),
                    user.failed_logins)
    session.flush()


def verify_password(user: User, password: str, hasher: PasswordHasher | None = None) -> bool:
    """Whether `password` is the user's current one."""
    try:
        return bool((hasher or password_hasher()).verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def action_label(action: str) -> str:
    """The Vietnamese name of an audit action (the code itself when unknown)."""
    return ACTION_LABELS.get(action, action)


def audit(session: Session, user: User | None, action: str, now: dt.datetime, *,
          dossier: Dossier | None = None, target: str | None = None,
          detail: str | None = None, dossier_id: int | None = None,
          changes: list[dict[str, Any]] | None = None, actor: str | None = None) -> AuditLog:
    """Record one action of a user; flush, no commit.

    `changes` lists what an edit changed ({field, old, new}, see service.users.audit): it may
    hold personal data, which `detail` never does. `dossier_id` names the dossier when no
    loaded `dossier` is at hand. `actor` names who acted when no user did (the command line:
    "cli:<system account>"); else "system".
    """
    entry = AuditLog(at=now, user_id=user.id if user else None,
                     username=user.username if user else actor or "system", action=action,
                     dossier_id=dossier.id if dossier else dossier_id,
                     target=target or (dossier.code if dossier else None), detail=detail,
                     changes=changes or None)
    session.add(entry)
    session.flush()
    return entry
