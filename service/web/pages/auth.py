"""Sign in and sign out, with a rate limit on password attempts."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import redirect, render_template, request, url_for

from service.users.accounts import (
    WeakPassword,
    authenticate,
    hasher_for,
    lockout_for,
    set_password,
    verify_password,
)
from service.users.passwords import MIN_LENGTH
from service.web.pages.access import current_user, page_blueprint, sign_in, sign_out
from service.web.security import limiter
from service.web.session import config, db, runtime

bp = page_blueprint("auth", __name__)
# The one answer to a refused sign-in: wrong password, unknown user, disabled or locked account.
REFUSED = "Tên đăng nhập hoặc mật khẩu không đúng."


def _login_limit() -> str:
    return config().web.login_limit


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path of this site, else None.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so "/<tab>/x"
    or "/<backslash>x" lead to the host x. A control, invisible or separator character (a
    plain space aside), a backslash, a scheme or a host refuses the value, and so does the
    same after percent-decoding (twice-encoded too), whatever a proxy on the way decodes.
    """
    if not target:
        return None
    decoded = unquote(unquote(target))
    for text in (target, decoded):
        if (not text.startswith("/") or text.startswith("//") or "\\" in text
                or any(_unsafe(c) for c in text)):
            return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _unsafe(char: str) -> bool:
    # A plain space stays (a search for "Nguyễn Văn" comes back with one); browsers keep it.
    return char != " " and (char.isspace() or unicodedata.category(char)[0] in "CZ")


def _next_page() -> str:
    return safe_next(request.values.get("next")) or url_for("dashboard.index")


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])  # password attempts, from [web] login_limit
def login():  # type: ignore[no-untyped-def]
    """Show the login form and sign the user in."""
    target = _next_page()
    if request.method == "GET":
        if current_user() is not None:
            return redirect(target)
        return render_template("auth/login.html", next=target, error=None)
    session, web = db(), runtime().config.web
    user = authenticate(session, request.form.get("username", ""),
                        request.form.get("password", ""), runtime().now(),
                        hasher_for(web), lockout_for(web))
    session.commit()  # a failure counts toward the account's lockout
    if user is None:
        return render_template("auth/login.html", next=target, error=REFUSED), 401
    sign_in(user)
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(target)


@bp.post("/dang-xuat")
def logout():  # type: ignore[no-untyped-def]
    """Sign out (every session of the account ends) and go back to the login page."""
    sign_out()
    db().commit()
    return redirect(url_for("auth.login"))


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])  # it checks the current password: no oracle
def change_password():  # type: ignore[no-untyped-def]
    """Let a signed-in user replace their password (required after a temporary one)."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next=url_for("auth.change_password")))
    if request.method == "GET":
        return render_template("auth/password.html", error=None, minimum=MIN_LENGTH)
    error = _password_problem(user, request.form)
    if error is None:
        try:
            set_password(user, request.form["new"], hasher_for(runtime().config.web))
        except WeakPassword as exc:
            error = exc.vietnamese
    if error is not None:
        db().rollback()
        return render_template("auth/password.html", error=error, minimum=MIN_LENGTH), 400
    db().commit()
    sign_in(user)  # every other session of the account has ended; this one goes on
    return redirect(url_for("dashboard.index"))


def _password_problem(user: object, form: dict[str, str]) -> str | None:
    """What is wrong with a password change form, in Vietnamese, or None."""
    if not verify_password(user, form.get("current", ""),  # type: ignore[arg-type]
                           hasher_for(runtime().config.web)):
        return "Mật khẩu hiện tại không đúng."
    if form.get("new", "") != form.get("confirm", ""):
        return "Hai lần nhập mật khẩu mới không khớp."
    if form.get("new") == form.get("current"):
        return "Mật khẩu mới phải khác mật khẩu hiện tại."
    return None
