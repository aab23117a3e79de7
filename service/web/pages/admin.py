"""Administration pages: quarantined records, connector runs, alerts log, users, audit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import selectinload

from service.alerts import LOG_STATES, LogFilter
from service.alerts.log import alert_lines
from service.alerts.pending import NO_CHANNEL
from service.dossiers.filters import MAX_ID
from service.formats import read_day
from service.ingest import corrections, quarantine
from service.ingest.imports import connector_for
from service.models import AuditLog, ConnectorRun, QuarantinedRecord, Role, User
from service.models.alerts import AlertKind
from service.reports.exports import alert_rows, alerts_sheet
from service.users import scope as scopes
from service.vocabulary import Channel, Status
from service.web.pages import neighbours
from service.web.pages.access import (
    audit_changes,
    connectors,
    current_user,
    login_required,
    page_blueprint,
    require,
    scope_of,
    visible_quarantine,
)
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
    within = scopes.quarantine_condition(scope_of(current_user()), connectors())
    items = quarantine.list_quarantined(db(), state=state, limit=200, within=within)
    total = quarantine.count_quarantined(db(), state=state, within=within)
    return render_template("admin/quarantine.html", items=items, total=total, state=state,
                           states=STATES)


def _item(item_id: int) -> QuarantinedRecord:
    """The quarantined item named in the address, if this user may see it; else 404."""
    row = db().get(QuarantinedRecord, item_id) if item_id <= MAX_ID else None
    if row is None or not visible_quarantine(current_user(), row):
        abort(404)
    return row


def _item_page(row: QuarantinedRecord, correction: corrections.Correction | None = None,
               status: int = 200, discard_error: str | None = None) -> tuple[str, int]:
    context = corrections.Context.load(db(), runtime().config)
    if correction is None:
        correction = corrections.form_for(row, connector_for(runtime().config)(row.connector),
                                          context)
    return render_template("admin/quarantine_item.html", item=row, correction=correction,
                           procedures=context.procedures, statuses=list(Status),
                           channels=list(Channel), pattern=corrections.MOMENT_PATTERN,
                           states=STATES, discard_error=discard_error), status


@bp.get("/cach-ly/<int:item_id>")
@login_required(Role.CLERK)
def quarantine_item(item_id: int):  # type: ignore[no-untyped-def]
    """One item: why it was refused, a form with its fields, discard; raw JSON for admins."""
    return _item_page(_item(item_id))


@bp.post("/cach-ly/<int:item_id>")
@login_required(Role.CLERK)
def quarantine_action(item_id: int):  # type: ignore[no-untyped-def]
    """Correct through the form (or, for admins, the JSON), re-run or discard one item."""
    require("quarantine")
    row, action = _item(item_id), request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    try:
        return ACTIONS[action](row)
    except quarantine.QuarantineError as exc:
        db().rollback()
        flash(f"Không thực hiện được: {exc}", "error")
        return redirect(url_for("admin.quarantined"))


def _guard() -> scopes.StoreGuard:
    """Checks that what a fix or retry stores stays within the user's units, before and after
    it is written, and keeps what it changed for the audit log."""
    return scopes.StoreGuard(db(), scope_of(current_user()))


def _fix(row: QuarantinedRecord) -> Any:
    rt, user, guard = runtime(), current_user(), _guard()
    correction = corrections.correct(
        db(), row.id, request.form, user.username, rt.now(), rt.derive,
        connector_for(rt.config), corrections.Context.load(db(), rt.config), guard)
    if not correction.stored:
        db().rollback()  # nothing of a record that is not valid as a whole stays
        return _item_page(row, correction, 422)
    return _done(row, "quarantine_fix", f"Đã lưu hồ sơ {row.code} vào cơ sở dữ liệu.", guard)


def _fix_json(row: QuarantinedRecord) -> Any:
    if current_user().role is not Role.ADMIN:
        abort(403)
    try:
        payload = json.loads(request.form.get("payload", ""))
    except json.JSONDecodeError as exc:
        raise quarantine.QuarantineError(f"dữ liệu JSON sai cú pháp ở dòng {exc.lineno}, cột "
                                         f"{exc.colno}") from None
    if not isinstance(payload, dict):
        raise quarantine.QuarantineError("dữ liệu JSON phải là một đối tượng {…}")
    rt, guard = runtime(), _guard()
    quarantine.fix(db(), row.id, payload, current_user().username, rt.now())
    result = quarantine.retry(db(), [row.id], rt.derive, rt.now(), connector_for(rt.config),
                              guard)[0]
    if not result.resolved:
        raise quarantine.QuarantineError(f"bản ghi vẫn chưa nhập được: {result.reason}")
    return _done(row, "quarantine_fix", f"Đã lưu hồ sơ {result.code} vào cơ sở dữ liệu.", guard)


def _retry(row: QuarantinedRecord) -> Any:
    rt, guard = runtime(), _guard()
    result = quarantine.retry(db(), [row.id], rt.derive, rt.now(), connector_for(rt.config),
                              guard)[0]
    if not result.resolved:
        scopes.audit_quarantine(db(), current_user(), "quarantine_retry", row.id, rt.now())
        db().commit()
        flash(f"Bản ghi vẫn chưa nhập được: {result.reason}", "error")
        return redirect(url_for("admin.quarantine_item", item_id=row.id))
    return _done(row, "quarantine_retry", "Đã nhập lại hồ sơ thành công.", guard)


def _discard(row: QuarantinedRecord) -> Any:
    reason = request.form.get("reason", "")
    try:
        quarantine.discard(db(), row.id, current_user().username, runtime().now(), reason)
    except quarantine.QuarantineError as exc:
        db().rollback()
        return _item_page(row, status=422, discard_error=str(exc))
    return _done(row, "quarantine_discard", "Đã bỏ qua bản ghi.", detail=row.discard_reason)


def _done(row: QuarantinedRecord, action: str, message: str,
          guard: scopes.StoreGuard | None = None, detail: str | None = None) -> Any:
    """Audit the action (for a record stored: the dossier and what changed in it), commit."""
    scopes.audit_quarantine(db(), current_user(), action, row.id, runtime().now(), guard, detail)
    db().commit()
    flash(message, "ok")
    return redirect(url_for("admin.quarantined"))


ACTIONS = {"fix": _fix, "json": _fix_json, "retry": _retry, "discard": _discard}


@bp.get("/lan-chay")
@login_required(Role.CLERK)
def runs():  # type: ignore[no-untyped-def]
    """List the latest runs of the user's units' connectors with their counts and errors."""
    within = scopes.run_condition(scope_of(current_user()), connectors())
    rows = db().scalars(select(ConnectorRun).where(within).order_by(ConnectorRun.id.desc())
                        .limit(100)).all()
    return render_template("admin/runs.html", runs=rows)


@bp.get("/canh-bao")
@login_required()
def alerts():  # type: ignore[no-untyped-def]
    """List alerts of the user's units, newest first, filtered and a page at a time, with why
    unsent ones wait."""
    args, status = request.args, 200
    try:
        wanted = LogFilter(
            kind=AlertKind(args["kind"]) if args.get("kind") else None,
            state=args.get("state") or None, recipient=args.get("recipient") or None,
            code=args.get("q") or None, first=_log_day(args, "tu", "Tạo từ ngày"),
            last=_log_day(args, "den", "đến ngày"))
        before = _log_position(args.get("before"))
    except ValueError as exc:
        flash(f"Bộ lọc không hợp lệ: {exc}", "error")
        wanted, before, status = LogFilter(), None, 400
    if wanted.state not in (None, *LOG_STATES):
        abort(400)
    page = neighbours.log_page(db(), wanted, before,
                               scopes.alert_condition(scope_of(current_user())))
    kept = {k: v for k, v in args.items() if k != "before" and v}
    return render_template("admin/alerts.html", page=page, args=args, kept=kept,
                           kinds=list(AlertKind), states=LOG_STATES,
                           no_channel=NO_CHANNEL), status


def _log_day(args: Any, key: str, label: str) -> dt.date | None:
    """A day filter of the alerts log, or ValueError naming the field."""
    try:
        return read_day(args[key]) if args.get(key) else None
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None


def _log_position(text: str | None) -> int | None:
    """The log's page position (an alert id), or ValueError naming it."""
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise ValueError(f"Trang: «{text[:20]}» không phải vị trí trong nhật ký")
    return int(text)


@bp.get("/canh-bao/xuat.xlsx")
@login_required()
def alerts_export():  # type: ignore[no-untyped-def]
    """Download the alerts log of the user's units, one line per alert and channel."""
    rt = runtime()
    sheet = alerts_sheet(rt.now(), rt.calendar)
    within = scopes.alert_condition(scope_of(current_user()))
    return xlsx_download("nhat-ky-canh-bao", sheet,
                         alert_rows(alert_lines(db(), EXPORT_LIMIT, within), rt.calendar))


@bp.get("/nguoi-dung")
@login_required(Role.ADMIN)
def users():  # type: ignore[no-untyped-def]
    """List user accounts with their roles and units."""
    rows = db().scalars(select(User).options(selectinload(User.units))
                        .order_by(User.username)).all()
    return render_template("admin/users.html", users=rows, now=runtime().now())


@bp.get("/nhat-ky")
@login_required()
def audit_log():  # type: ignore[no-untyped-def]
    """List the latest actions on the user's units' dossiers (and their own), with what each
    edit changed; personal data masked for roles that may not see it."""
    user = current_user()
    within = scopes.audit_condition(scope_of(user), user.id)
    rows = db().scalars(select(AuditLog).where(within)
                        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(300)).all()
    return render_template("admin/audit.html", entries=rows, changes=audit_changes(rows))


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
    # The tables as config.toml and the environment gave them, defaults filled in.
    config = runtime().config
    text = json.dumps(_redacted(dict(config.raw)), ensure_ascii=False, indent=2, default=str,
                      sort_keys=True)
    return render_template("admin/configuration.html", text=text, source=config.source_file)
