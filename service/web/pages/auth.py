"""Sign in and sign out, with a rate limit on password attempts."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from service.users.accounts import authenticate, hasher_for
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
    return redirect(target)


@bp.post("/dang-xuat")
def logout():  # type: ignore[no-untyped-def]
    """Sign out and go back to the login page."""
    sign_out()
    return redirect(url_for("auth.login"))
