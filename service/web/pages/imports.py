"""Upload an export in the browser: preview its columns and first rows, confirm, read the summary.

The import itself runs in a background thread of this process and writes its progress to the
upload's row; the page polls that row (static/imports.js). A streamed response was not chosen:
gunicorn's sync workers kill a request after `timeout` seconds, proxies buffer streamed bodies,
and a clerk closing the tab would stop the import halfway. Polling a row works under waitress
and gunicorn alike, whichever worker answers, and a job whose process died shows as
interrupted and can be confirmed again (importing is idempotent).
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from connectors.spreadsheet import SpreadsheetError
from connectors.spreadsheet.headers import LABELS
from service.ingest import uploads
from service.ingest.imports import DEFAULT_NAME, ImportSummary, spreadsheet_names
from service.models import Role, SpreadsheetUpload, User
from service.users.accounts import audit
from service.users.scope import connector_allowed
from service.web.pages.access import (
    connectors,
    current_user,
    login_required,
    page_blueprint,
    scope_of,
)
from service.web.session import db, runtime

# Multipart framing, the form token and the connector's name around the file itself.
FORM_OVERHEAD = 64 * 1024
SESSION_KEY = "uploads"
THREAD_PREFIX = "tthc-upload-"


def _max_bytes() -> int:
    return runtime().config.web.upload_max_mb << 20


bp = page_blueprint("imports", __name__, url_prefix="/nhap-tep",
                    body_limit=lambda: _max_bytes() + FORM_OVERHEAD)


def _folder() -> Path:
    return Path(runtime().config.web.upload_folder)


def connector_choices(user: User) -> dict[str, str]:
    """Spreadsheet connectors this user may import with (their units'), name -> label."""
    settings, scope, known = runtime().config, scope_of(user), connectors()
    configured = {name: settings.connectors[name] for name in spreadsheet_names(settings)}
    if not configured and settings.units:
        unit = settings.units[0]
        configured = {DEFAULT_NAME: {"unit_code": unit.code, "unit_name": unit.name}}
    return {name: f"{options.get('unit_name') or options['unit_code']} ({name})"
            for name, options in configured.items()
            if connector_allowed(db(), scope, known, name)}


def _form(error: str | None = None, status: int = 200) -> tuple[str, int]:
    user = current_user()
    return render_template("imports/upload.html", error=error, choices=connector_choices(user),
                           recent=uploads.recent(db(), user), labels=uploads.STATE_LABELS,
                           max_mb=_max_bytes() >> 20), status


@bp.get("")
@login_required(Role.CLERK)
def index():  # type: ignore[no-untyped-def]
    """The upload form and the user's latest uploads."""
    return _form()


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A body over the limit is refused before it is read, with the limit named."""
    text = uploads.too_large(None, _max_bytes())
    if current_user() is None:  # the form token is read, and refused, before the sign-in check
        return render_template("error.html", code=413, text=text), 413
    return _form(text, 413)


@bp.post("")
@login_required(Role.CLERK)
def upload():  # type: ignore[no-untyped-def]
    """Keep the uploaded file, read its header and first rows, and show the preview."""
    user, rt, folder = current_user(), runtime(), _folder()
    choices = connector_choices(user)
    name = request.form.get("connector") or (next(iter(choices)) if len(choices) == 1 else "")
    chosen = request.files.get("file")
    if name not in choices:
        return _form("Hãy chọn nguồn dữ liệu (kết nối bảng tính) của đơn vị bạn.", 400)
    if chosen is None or not chosen.filename:
        return _form("Hãy chọn tệp danh sách hồ sơ (.xlsx hoặc .csv) để tải lên.", 400)
    now = rt.now()
    uploads.sweep(db(), folder, now, _keep())
    db().commit()
    try:
        item = uploads.create_upload(db(), folder, chosen.stream, chosen.filename, user, name,
                                     now, _max_bytes())
    except uploads.UploadError as exc:
        return _form(str(exc), 400)
    try:
        reading = uploads.preview(item, folder, rt.config)
    except (uploads.UploadError, SpreadsheetError) as exc:
        db().rollback()
        uploads.remove_file(folder, item)
        return _form(str(exc), 422)
    item.rows_total = reading.body_rows
    audit(db(), user, "import_upload", now, target=f"tệp {item.filename}"[:255],
          detail=f"{item.size} byte, {reading.body_rows} dòng, kết nối {name}")
    db().commit()
    session[SESSION_KEY] = [*session.get(SESSION_KEY, [])[-19:], item.token]
    return redirect(url_for("imports.show", token=item.token))


def _keep() -> dt.timedelta:
    return dt.timedelta(hours=runtime().config.web.upload_keep_hours)


def _own(token: str, *, acting: bool = False) -> SpreadsheetUpload:
    """The upload named in the address if the signed-in user made it; acting on it (confirm,
    cancel, choose a sheet) also needs the session that uploaded it. Otherwise 404, so nobody
    learns that another's upload exists."""
    item = db().scalar(select(SpreadsheetUpload).where(SpreadsheetUpload.token == token))
    if item is None or item.user_id != current_user().id:
        abort(404)
    if acting and token not in session.get(SESSION_KEY, []):
        abort(404)
    return item


@bp.get("/<token>")
@login_required(Role.CLERK)
def show(token: str):  # type: ignore[no-untyped-def]
    """The preview of a waiting upload, the progress of a running one, or its summary."""
    item, now = _own(token), runtime().now()
    if item.state != uploads.READY:
        summary = ImportSummary.from_stored(item.summary) if item.summary else None
        return render_template("imports/status.html", item=item, summary=summary,
                               progress=uploads.progress(item, now))
    try:
        reading = uploads.preview(item, _folder(), runtime().config)
    except (uploads.UploadError, SpreadsheetError) as exc:
        return render_template("imports/status.html", item=item, summary=None,
                               progress=uploads.progress(item, now), error=str(exc)), 422
    return render_template("imports/preview.html", item=item, reading=reading, labels=LABELS,
                           earlier=uploads.earlier_import(db(), item),
                           choices=connector_choices(current_user()),
                           scan_rows=uploads.SCAN_ROWS)


@bp.post("/<token>/trang")
@login_required(Role.CLERK)
def choose_sheet(token: str):  # type: ignore[no-untyped-def]
    """Read another sheet of the workbook; kept only if its header can be read."""
    item = _own(token, acting=True)
    if item.state != uploads.READY:
        return redirect(url_for("imports.show", token=token))
    previous, item.sheet = item.sheet, request.form.get("sheet") or None
    try:
        reading = uploads.preview(item, _folder(), runtime().config)
    except (uploads.UploadError, SpreadsheetError) as exc:
        item.sheet = previous
        flash(str(exc), "error")
    else:
        item.rows_total = reading.body_rows
        db().commit()
    return redirect(url_for("imports.show", token=token))


@bp.post("/<token>/xac-nhan")
@login_required(Role.CLERK)
def confirm(token: str):  # type: ignore[no-untyped-def]
    """Start importing the upload in the background; the page then shows its progress."""
    item, now = _own(token, acting=True), runtime().now()
    if not uploads.claim(db(), item, now):
        db().rollback()
        flash(f"Tệp «{item.filename}» {uploads.STATE_LABELS[item.state].lower()}; không "
              "nhập lại lần nữa.", "error")
        return redirect(url_for("imports.show", token=token))
    audit(db(), current_user(), "import_confirm", now, target=f"tệp {item.filename}"[:255],
          detail=f"kết nối {item.connector}")
    db().commit()
    threading.Thread(target=uploads.run_upload, args=(runtime(), item.id, _folder()),
                     name=f"{THREAD_PREFIX}{item.id}").start()
    return redirect(url_for("imports.show", token=token))


@bp.post("/<token>/huy")
@login_required(Role.CLERK)
def cancel(token: str):  # type: ignore[no-untyped-def]
    """Drop a waiting upload and its file."""
    item, now = _own(token, acting=True), runtime().now()
    try:
        uploads.cancel(item, _folder(), now)
    except uploads.UploadError as exc:
        flash(str(exc), "error")
        return redirect(url_for("imports.show", token=token))
    audit(db(), current_user(), "import_cancel", now, target=f"tệp {item.filename}"[:255])
    db().commit()
    flash(f"Đã hủy tệp «{item.filename}»; không có hồ sơ nào được nhập.", "ok")
    return redirect(url_for("imports.index"))


@bp.get("/<token>/tien-do")
@login_required(Role.CLERK)
def progress(token: str):  # type: ignore[no-untyped-def]
    """The running import's progress as JSON, for the page's progress bar."""
    return jsonify(uploads.progress(_own(token), runtime().now()))
