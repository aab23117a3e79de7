"""Administration pages: quarantined records, connector runs, alerts log, users, audit log."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import selectinload

from service.alerts import LOG_STATES, LogFilter
from service.alerts.log import alert_lines
from service.alerts.pending import NO_CHANNEL
from service.formats import read_day
from service.ingest import quarantine
from service.models import AuditLog, ConnectorRun, Role, User
from service.models.alerts import AlertKind
from service.reports.exports import alert_rows, alerts_sheet
from service.users.accounts import audit
from service.web.pages import neighbours
from service.web.pages.access import current_user, login_required, page_blueprint, require
from service.web.pages.downloads import xlsx_download
from service.web.session import db, runtime

bp = page_blueprint("admin", __name__, url_prefix="/quan-tri")
EXPORT_LIMIT = 100_000
STATES = {quarantine.OPEN: "Chờ xử lý", quarantine.RESOLVED: "Đã nhập lại",
          quarantine.DISCARDED: "Đã bỏ qua"}


@bp.get("/cach-ly")
@login_required(Role.CLERK)
def quarantined():  # type: ignore[no-untyped-def]
    """List records the ingest path refused (payloads may hold personal data: clerks only)."""
    state = request.args.get("state", quarantine.OPEN)
    state = state if state in STATES else quarantine.OPEN
    items = quarantine.list_quarantined(db(), state=state, limit=200)
    total = quarantine.count_quarantined(db(), state=state)
    return render_template("admin/quarantine.html", items=items, total=total, state=state,
                           states=STATES)


def _connector_for(name: str):  # type: ignore[no-untyped-def]
    try:
        return runtime().connector(name)
    except (KeyError, ValueError):
        return None


@bp.post("/cach-ly/<int:item_id>")
@login_required(Role.CLERK)
def quarantine_action(item_id: int):  # type: ignore[no-untyped-def]
    """Correct, re-run or discard one quarantined record."""
    require("quarantine")
    rt, session, user = runtime(), db(), current_user()
    action, now = request.form.get("action"), rt.now()
    try:
        if action == "fix":
            payload = json.loads(request.form.get("payload", ""))
            if not isinstance(payload, dict):
                raise ValueError("payload is not an object")
            quarantine.fix(session, item_id, payload, user.username, now)
        if action in ("fix", "retry"):
            result = quarantine.retry(session, [item_id], rt.derive, now, _connector_for)[0]
            message = ("Đã nhập lại hồ sơ thành công." if result.resolved
                       else f"Bản ghi vẫn chưa nhập được: {result.reason}")
        elif action == "discard":
            quarantine.discard(session, item_id, user.username, now)
            message = "Đã bỏ qua bản ghi."
        else:
            raise ValueError(f"unknown action {action!r}")
    except (ValueError, quarantine.QuarantineError) as exc:
        session.rollback()
        flash(f"Không thực hiện được: {exc}", "error")
        return redirect(url_for("admin.quarantined"))
    audit(session, user, f"quarantine_{action}", now, target=f"quarantine #{item_id}")
    session.commit()
    flash(message, "ok")
    return redirect(url_for("admin.quarantined"))


@bp.get("/lan-chay")
@login_required(Role.ADMIN)
def runs():  # type: ignore[no-untyped-def]
    """List the latest connector runs with their counts and errors."""
    rows = db().scalars(select(ConnectorRun).order_by(ConnectorRun.id.desc()).limit(100)).all()
    return render_template("admin/runs.html", runs=rows)


@bp.get("/canh-bao")
@login_required(Role.ADMIN)
def alerts():  # type: ignore[no-untyped-def]
    """List alerts, newest first, filtered and a page at a time, with why unsent ones wait."""
    args = request.args
    try:
        wanted = LogFilter(
            kind=AlertKind(args["kind"]) if args.get("kind") else None,
            state=args.get("state") or None, recipient=args.get("recipient") or None,
            code=args.get("q") or None,
            first=read_day(args["tu"]) if args.get("tu") else None,
            last=read_day(args["den"]) if args.get("den") else None)
        before = int(args["before"]) if args.get("before") else None
    except ValueError as exc:
        flash(f"Bộ lọc không hợp lệ: {exc}", "error")
        wanted, before = LogFilter(), None
    if wanted.state not in (None, *LOG_STATES):
        abort(400)
    page = neighbours.log_page(db(), wanted, before)
    kept = {k: v for k, v in args.items() if k != "before" and v}
    return render_template("admin/alerts.html", page=page, args=args, kept=kept,
                           kinds=list(AlertKind), states=LOG_STATES, no_channel=NO_CHANNEL)


@bp.get("/canh-bao/xuat.xlsx")
@login_required(Role.ADMIN)
def alerts_export():  # type: ignore[no-untyped-def]
    """Download the alerts log, one line per alert and channel, newest first."""
    rt = runtime()
    sheet = alerts_sheet(rt.now(), rt.calendar)
    return xlsx_download("nhat-ky-canh-bao", sheet,
                         alert_rows(alert_lines(db(), EXPORT_LIMIT), rt.calendar))


@bp.get("/nguoi-dung")
@login_required(Role.ADMIN)
def users():  # type: ignore[no-untyped-def]
    """List user accounts with their roles and units."""
    rows = db().scalars(select(User).options(selectinload(User.units))
                        .order_by(User.username)).all()
    return render_template("admin/users.html", users=rows)


@bp.get("/nhat-ky")
@login_required(Role.ADMIN)
def audit_log():  # type: ignore[no-untyped-def]
    """List the latest actions users took."""
    rows = db().scalars(select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
                        .limit(300)).all()
    return render_template("admin/audit.html", entries=rows)


SECRET_KEYS = ("secret_key", "password", "token")


def _redacted(value: Any, key: str = "") -> Any:
    """The configuration with secrets and database passwords hidden."""
    if isinstance(value, dict):
        return {k: _redacted(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, key) for v in value]
    if any(word in key for word in SECRET_KEYS) and not key.endswith(("_env", "_file")):
        return "••••••" if value else value
    if key == "database_url" and isinstance(value, str):
        return make_url(value).render_as_string(hide_password=True)
    return value


@bp.get("/cau-hinh")
@login_required(Role.ADMIN)
def configuration():  # type: ignore[no-untyped-def]
    """Show the configuration in force, secrets hidden."""
    settings = _redacted(runtime().settings)
    text = json.dumps(settings, ensure_ascii=False, indent=2, default=str, sort_keys=True)
    return render_template("admin/configuration.html", text=text,
                           source=runtime().settings.get("source_file"))
