"""The dossier list with its filters and XLSX export, and the page of one dossier."""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from service.dossiers.derive import explain_dossier
from service.dossiers.filters import (
    SORT_CHOICES,
    SYNC_STATES,
    count_capped,
    dossier_page,
    dossier_query,
)
from service.dossiers.filters import load_query as load_filters
from service.models import AuditLog, Dossier, Procedure, Unit
from service.reports.xlsx import dossier_list_workbook
from service.users.accounts import audit
from service.vocabulary import Channel, DeadlineClass, Status
from service.web.pages import neighbours
from service.web.pages.access import (
    current_user,
    login_required,
    may,
    page_blueprint,
    require,
    scope_of,
)
from service.web.session import db, runtime

bp = page_blueprint("dossier", __name__)
EXPORT_LIMIT = 50_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _choices() -> dict[str, Any]:
    """Options of the filter form, from the small catalogue tables."""
    session = db()
    procedures = session.execute(select(Procedure.code, Procedure.name, Procedure.domain_name,
                                        Procedure.handler).order_by(Procedure.code)).all()
    scope = scope_of(current_user())
    units = session.scalars(select(Unit).order_by(Unit.code)).all()
    return {
        "statuses": list(Status), "classes": list(DeadlineClass), "channels": list(Channel),
        "domains": sorted({p.domain_name for p in procedures if p.domain_name}),
        "procedures": procedures, "sync_states": SYNC_STATES if neighbours.has_portal() else (),
        "handlers": sorted({p.handler for p in procedures if p.handler}),
        "units": [u for u in units if scope.unit_ids is None or u.id in scope.unit_ids],
        "sorts": SORT_CHOICES,
    }


@bp.get("/ho-so")
@login_required()
def index():  # type: ignore[no-untyped-def]
    """List the dossiers matching the filters, one keyset page at a time."""
    rt = runtime()
    try:
        params = load_filters(request.args)
        scope, zone = scope_of(current_user()), rt.settings["timezone"]
        page = dossier_page(db(), params, rt.now(), zone, scope)
        # A single page needs no count; otherwise count up to a cap (exact counts of a
        # million rows cost more than the page itself).
        total, more = (len(page.rows), False) if not (page.next_cursor or params.after) \
            else count_capped(db(), dossier_query(params, rt.now(), zone, scope))
    except ValidationError as exc:
        return render_template("dossiers/list.html", errors=_explain(exc.messages), page=None,
                               args=request.args, links=_links(None), **_choices()), 400
    return render_template("dossiers/list.html", errors=None, page=page, total=total, more=more,
                           args=request.args, now=rt.now(), links=_links(page.next_cursor),
                           **_choices())


FIELD_LABELS = {
    "status": "Trạng thái", "class": "Tình trạng hạn", "outcome": "Kết quả", "open": "Đang mở",
    "unit": "Đơn vị", "domain": "Lĩnh vực", "procedure": "Thủ tục", "handler": "Cơ quan xử lý",
    "channel": "Kênh nộp", "received_from": "Tiếp nhận từ ngày", "received_to": "đến ngày",
    "due_from": "Hạn từ ngày", "due_to": "Hạn đến ngày", "extended": "Đã hẹn lại",
    "sync_state": "Đồng bộ", "q": "Tìm kiếm", "sort": "Sắp xếp", "limit": "Số dòng",
    "after": "Trang",
}


def _explain(messages: Any) -> list[str]:
    """Name each refused filter in Vietnamese (marshmallow's detail kept for the curious)."""
    if not isinstance(messages, dict):
        return [f"Giá trị không hợp lệ ({messages})"]
    return [f"{FIELD_LABELS.get(str(key), key)}: giá trị không hợp lệ ({detail})"
            for key, detail in messages.items()]


def _links(cursor: str | None) -> dict[str, str]:
    """First page, next page and export addresses keeping the current filters."""
    args = {k: v for k, v in request.args.lists() if k != "after"}
    return {"first": url_for("dossier.index", **args),
            "next": url_for("dossier.index", **args, after=cursor) if cursor else "",
            "export": url_for("dossier.export", **args)}


@bp.get("/ho-so/xuat.xlsx")
@login_required()
def export():  # type: ignore[no-untyped-def]
    """Download the filtered list as XLSX (without ID numbers or phones)."""
    rt = runtime()
    try:
        params = load_filters(request.args)
    except ValidationError:
        abort(400)
    query = dossier_query(params, rt.now(), rt.settings["timezone"], scope_of(current_user()))
    query = query.options(joinedload(Dossier.procedure), joinedload(Dossier.unit))
    rows = db().scalars(query.limit(EXPORT_LIMIT).execution_options(yield_per=2000))
    book = dossier_list_workbook(rows, rt.settings["timezone"],
                                 mask_names=not may(current_user(), "personal_data"),
                                 now=rt.now())
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    name = f"danh-sach-ho-so-{rt.now():%Y%m%d-%H%M}.xlsx"
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


def load_visible(code: str) -> Dossier:
    """The dossier with this code if the user may see it; 404 otherwise (existence not told)."""
    row = db().scalar(select(Dossier).where(Dossier.code == code).options(
        joinedload(Dossier.procedure), joinedload(Dossier.unit),
        selectinload(Dossier.events), selectinload(Dossier.supplements)))
    if row is None or not scope_of(current_user()).allows(row):
        abort(404)
    return row


@bp.get("/ho-so/<code>")
@login_required()
def detail(code: str):  # type: ignore[no-untyped-def]
    """Show one dossier: timeline, the engine's explanation, extension, sync and alerts."""
    rt = runtime()
    row = load_visible(code)
    result, lines = explain_dossier(rt.policy, row, rt.now())
    history = db().scalars(select(AuditLog).where(AuditLog.dossier_id == row.id)
                           .order_by(AuditLog.at.desc()).limit(50)).all()
    return render_template(
        "dossiers/detail.html", d=row, result=result, lines=lines, now=rt.now(),
        history=history, sync=neighbours.sync_state(db(), row, rt.now()),
        alerts=neighbours.alerts_of(db(), row), personal=may(current_user(), "personal_data"))


@bp.post("/ho-so/<code>/dong-bo-lai")
@login_required()
def resync(code: str):  # type: ignore[no-untyped-def]
    """Queue the dossier for another push to the national portal."""
    require("resync")
    rt = runtime()
    row = load_visible(code)
    if not neighbours.requeue(db(), row, current_user().username, rt.now()):
        flash("Chức năng đồng bộ Cổng Dịch vụ công chưa được cài đặt.", "error")
        return redirect(url_for("dossier.detail", code=row.code))
    audit(db(), current_user(), "resync_requested", rt.now(), dossier=row)
    db().commit()
    flash("Đã đưa hồ sơ vào hàng đợi đồng bộ lại với Cổng Dịch vụ công quốc gia.", "ok")
    return redirect(url_for("dossier.detail", code=row.code))

