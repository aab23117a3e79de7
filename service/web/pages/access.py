"""Who is signed in, what their role lets them see and do, and the decorator guarding pages."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from service.dossiers.filters import Scope
from service.models import AuditLog, QuarantinedRecord, Role, User
from service.privacy import for_user, mask_name, mask_number, searching_roles
from service.users import scope as scopes
from service.users.accounts import end_sessions
from service.users.audit import shown_changes
from service.web.session import db, runtime

F = TypeVar("F", bound=Callable[..., Any])

# Checked per blueprint (protect_forms), not app-wide: API resources authenticate with tokens and
# webhooks with signatures, and must not demand a form token.
csrf = CSRFProtect()

# Actions beyond reading, and the roles allowed them; an admin may do everything.
ACTIONS: dict[str, frozenset[Role]] = {
    "extend": frozenset({Role.CLERK, Role.HEAD}),
    "resync": frozenset({Role.CLERK}),
    "quarantine": frozenset({Role.CLERK}),
    # Record that the citizen, at the counter or by phone, wants no more SMS/Zalo notices.
    "notice_opt_out": frozenset({Role.CLERK}),
    # Search by the applicant's name, phone or ID number, and print the receipt slip (it opens
    # the citizen lookup): the roles service.privacy lets search. What each role sees in clear
    # is service.privacy's too.
    "personal_data": searching_roles(),
    # Complaints: the centre receives, passes on and closes them; the handling body answers.
    "complaint_handle": frozenset({Role.CLERK}),
    "complaint_answer": frozenset({Role.CLERK, Role.HEAD}),
}


def current_user() -> User | None:
    """The signed-in, active user of this request, or None."""
    if "current_user" not in g:
        g.current_user = _load_user()
    return g.current_user


def _load_user() -> User | None:
    user_id = session.get("uid")
    if user_id is None:
        return None
    user = db().scalar(select(User).options(selectinload(User.units)).where(User.id == user_id))
    # The cookie is signed but lives in the browser: it is believed only while its epoch is the
    # account's. A sign-out, a new password or a disabled account ends every session before.
    if user is None or not user.active or session.get("epoch") != user.session_epoch:
        session.clear()
        return None
    return user


def sign_in(user: User) -> None:
    """Start a fresh session for the user (a new session id guards against fixation)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["epoch"] = user.session_epoch
    g.current_user = user


def sign_out() -> None:
    """End every session of the signed-in user, on every device; the caller commits.

    One epoch per account: a session cookie copied from this browser (or left on another
    computer) must stop working when its owner signs out, and the cookie alone cannot be
    revoked, so the account's epoch moves on and every older cookie is refused.
    """
    user = current_user()
    if user is not None:
        end_sessions(user)
    session.clear()
    g.current_user = None


def has_role(user: User | None, *roles: Role | str) -> bool:
    """Whether the user holds one of the roles (any role if none given); admin holds all."""
    if user is None:
        return False
    return not roles or user.role is Role.ADMIN or user.role in {Role(r) for r in roles}


def may(user: User | None, action: str) -> bool:
    """Whether the user may take an action named in ACTIONS (extend, resync, ...)."""
    return user is not None and (user.role is Role.ADMIN or user.role in ACTIONS[action])


def visible_quarantine(user: User | None, row: QuarantinedRecord) -> bool:
    """Whether the user may see and act on this quarantined item: a role that handles the
    quarantine, and the item's unit one of theirs (service.users.scope decides)."""
    return may(user, "quarantine") and scopes.quarantined_visible(
        db(), scope_of(user), connectors(), row)


def scope_of(user: User | None) -> Scope:
    """What this user may see (service.users.scope): their units, a head their body's."""
    return scopes.user_scope(user, may(user, "personal_data"))


def audit_changes(entries: Iterable[AuditLog]) -> dict[int, list[dict[str, Any]]]:
    """What each audit entry changed, as the current user may read it: personal data masked
    unless their role sees it (the entries are already within their scope)."""
    personal, zone = may(current_user(), "personal_data"), ZoneInfo(runtime().config.timezone)
    return {e.id: shown_changes(e.changes, personal, mask_number, mask_name, zone)
            for e in entries}


def connectors() -> scopes.Connectors:
    """The unit each configured connector belongs to, for scoping its runs and quarantine."""
    config = runtime().config
    return scopes.Connectors.configured(config.connectors, [u.code for u in config.units])


def login_required(*roles: Role | str) -> Callable[[F], F]:
    """Guard a view: anonymous users go to the login page, other roles get 403."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            if not has_role(user, *roles):
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def require(action: str) -> None:
    """Abort with 403 unless the current user may take the action."""
    if not may(current_user(), action):
        abort(403)


ERROR_TEXT = {
    400: "Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại.",
    403: "Tài khoản của bạn không có quyền xem trang này.",
    404: "Không tìm thấy trang hoặc hồ sơ bạn yêu cầu.",
    429: "Bạn đã thử quá nhiều lần. Vui lòng đợi vài phút rồi thử lại.",
}


def page_blueprint(name: str, import_name: str, *, body_limit: Callable[[], int] | None = None,
                   **options: Any) -> Blueprint:
    """A blueprint of HTML pages: CSRF checked on every form, errors as Vietnamese pages.

    `body_limit` gives the largest request body its pages accept instead of [security]
    max_request_kb (an upload page); it is set before the form, and its token, is read.
    """
    bp = Blueprint(name, import_name, **options)
    if body_limit is not None:
        limit = body_limit

        @bp.before_request
        def allow_body() -> None:
            request.max_content_length = limit()

    protect_forms(bp)
    bp.register_error_handler(HTTPException, _error_page)
    return bp


# Flask-WTF's reasons for a form token that was good once: older than WTF_CSRF_TIME_LIMIT, or
# its session has ended (signed out, expired). Reloading the page gives a fresh one.
STALE_FORM_REASONS = ("The CSRF token has expired.", "The CSRF session token is missing.")
STALE_FORM_TEXT = ("Biểu mẫu đã hết hạn vì trang được mở quá lâu hoặc phiên làm việc đã kết "
                   "thúc. Vui lòng tải lại trang rồi thử lại.")


def _error_page(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    text = ERROR_TEXT.get(code, "Đã có lỗi xảy ra.")
    if isinstance(error, CSRFError) and error.description in STALE_FORM_REASONS:
        text = STALE_FORM_TEXT
    return render_template("error.html", code=code, text=text), code


def protect_forms(bp: Blueprint) -> None:
    """Demand a valid CSRF token on every POST, PUT, PATCH and DELETE to the blueprint."""

    @bp.before_request
    def check_csrf() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()


def template_context() -> dict[str, Any]:
    """Give templates the signed-in user, the `may` check and what they see in clear."""
    return {"current_user": current_user(), "may": lambda action: may(current_user(), action),
            "has_role": lambda *roles: has_role(current_user(), *roles),
            "disclose": for_user(current_user())}
