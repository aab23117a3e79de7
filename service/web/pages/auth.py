"""Sign in and sign out, with a rate limit on password attempts."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from service.users.accounts import (
    MIN_PASSWORD_LENGTH,
    UserError,
    authenticate,
    hasher_for,
    set_password,
    verify_password,
)
from service.web.pages.access import current_user, page_blueprint, sign_in, sign_out
from service.web.security import limiter
from service.web.session import db, runtime

bp = page_blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["TTHC"]["web"]["login_limit"]


def _safe_next(target: str | None) -> str:
    """Follow `next` only within this site, so the login page cannot redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.index")


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])  # password attempts, from [web] login_limit
def login():  # type: ignore[no-untyped-def]
    """Show the login form and sign the user in."""
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(target)
        return render_template("auth/login.html", next=target, error=None)
    session = db()
    user = authenticate(session, request.form.get("username", ""),
                        request.form.get("password", ""), runtime().now(),
                        hasher_for(runtime().settings))
    if user is None:
        session.rollback()
        error = "Tên đăng nhập hoặc mật khẩu không đúng."
        return render_template("auth/login.html", next=target, error=error), 401
    session.commit()
    sign_in(user)
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(target)


@bp.post("/dang-xuat")
def logout():  # type: ignore[no-untyped-def]
    """Sign out and go back to the login page."""
    sign_out()
    return redirect(url_for("auth.login"))


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
def change_password():  # type: ignore[no-untyped-def]
    """Let a signed-in user replace their password (required after a temporary one)."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next=url_for("auth.change_password")))
    if request.method == "GET":
        return render_template("auth/password.html", error=None,
                               minimum=MIN_PASSWORD_LENGTH)
    error = _password_problem(user, request.form)
    if error is None:
        try:
            set_password(user, request.form["new"], hasher_for(runtime().settings))
        except UserError:
            error = f"Mật khẩu mới cần ít nhất {MIN_PASSWORD_LENGTH} ký tự."
    if error is not None:
        return render_template("auth/password.html", error=error,
                               minimum=MIN_PASSWORD_LENGTH), 400
    db().commit()
    sign_in(user)  # the old session token named the old password hash
    return redirect(url_for("dashboard.index"))


def _password_problem(user: object, form: dict[str, str]) -> str | None:
    """What is wrong with a password change form, in Vietnamese, or None."""
    if not verify_password(user, form.get("current", ""),  # type: ignore[arg-type]
                           hasher_for(runtime().settings)):
        return "Mật khẩu hiện tại không đúng."
    if form.get("new", "") != form.get("confirm", ""):
        return "Hai lần nhập mật khẩu mới không khớp."
    if form.get("new") == form.get("current"):
        return "Mật khẩu mới phải khác mật khẩu hiện tại."
    return None
