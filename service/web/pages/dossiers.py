"""The dossier list with its filters and XLSX export, and the page of one dossier."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from service.dossiers.derive import explain_dossier
from service.dossiers.filters import (
    SORT_CHOICES,
    SYNC_STATES,
    DossierQuery,
    Scope,
    count_matching,
    dossier_page,
    matching_rows,
)
from service.dossiers.filters import load_query as load_filters
from service.dossiers.search.keys import read_search
from service.models import AuditLog, Complaint, Dossier, Procedure, Role, Unit
from service.notices import notices_of, opt_out
from service.privacy import for_user
from service.reports.exports import LIST_FIELDS, dossier_list_rows, dossier_list_sheet
from service.users.accounts import audit
from service.users.scope import unit_condition
from service.vocabulary import Channel, DeadlineClass, Status
from service.web.pages import neighbours
from service.web.pages.access import (
    audit_changes,
    current_user,
    login_required,
    page_blueprint,
    require,
    scope_of,
)
from service.web.pages.downloads import xlsx_download
from service.web.session import db, runtime

bp = page_blueprint("dossier", __name__)
EXPORT_LIMIT = 100_000


def _choices() -> dict[str, Any]:
    """Options of the filter form, from the small catalogue tables."""
    session = db()
    procedures = session.execute(select(Procedure.code, Procedure.name, Procedure.domain_name,
                                        Procedure.handler).order_by(Procedure.code)).all()
    within = unit_condition(scope_of(current_user()))
    units = session.scalars(select(Unit).where(within).order_by(Unit.code)).all()
    return {
        "statuses": list(Status), "classes": list(DeadlineClass), "channels": list(Channel),
        "domains": sorted({p.domain_name for p in procedures if p.domain_name}),
        "procedures": procedures, "sync_states": SYNC_STATES,
        "handlers": sorted({p.handler for p in procedures if p.handler}),
        "units": units,
        "sorts": SORT_CHOICES,
    }


@bp.get("/ho-so")
@login_required()
def index():  # type: ignore[no-untyped-def]
    """List the dossiers matching the filters, one keyset page at a time."""
    rt = runtime()
    try:
        params = load_filters(request.args)
        scope, zone = scope_of(current_user()), rt.config.timezone
        page = dossier_page(db(), params, rt.now(), zone, scope)
        # A single page needs no count; otherwise count up to a cap.
        total, more = (len(page.rows), False) if not (page.next_cursor or params.after) \
            else count_matching(db(), params, rt.now(), zone, scope)
    except ValidationError as exc:
        return _refused(exc)
    return render_template("dossiers/list.html", errors=None, page=page, total=total, more=more,
                           args=request.args, now=rt.now(), links=_links(page.next_cursor),
                           refused=_refused_search(params.q, scope), **_choices())


def _refused(exc: ValidationError) -> tuple[str, int]:
    """The list page naming each refused filter, with no rows."""
    return render_template("dossiers/list.html", errors=_explain(exc.messages), page=None,
                           args=request.args, links=_links(None), **_choices()), 400


def _refused_search(text: str | None, scope: Scope) -> str | None:
    """Why a search by name, phone or ID number found nothing for a role that may not use one.

    The same answer whether such a person exists or not: nothing is searched (service.privacy).
    """
    if text and not scope.personal and read_search(text).code is None:
        return ("Tài khoản của bạn không được tìm hồ sơ theo họ tên, số điện thoại hoặc số "
                "giấy tờ tùy thân của người nộp (dữ liệu cá nhân). Hãy tìm theo mã hồ sơ.")
    return None


@bp.get("/ho-so/cua-toi")
@login_required()
def mine():  # type: ignore[no-untyped-def]
    """Open the user's own open dossiers: received by them, or a head's handling body's."""
    user = current_user()
    if user.role is Role.HEAD:
        return redirect(url_for("dossier.index", open="true", sort="due"))
    return redirect(url_for("dossier.index", received_by=user.full_name or user.username,
                            open="true", sort="due"))


FIELD_LABELS = {
    "status": "Trạng thái", "class": "Tình trạng hạn", "outcome": "Kết quả", "open": "Đang mở",
    "unit": "Đơn vị", "domain": "Lĩnh vực", "procedure": "Thủ tục", "handler": "Cơ quan giải quyết",
    "received_by": "Cán bộ tiếp nhận", "channel": "Kênh nộp",
    "received_from": "Tiếp nhận từ ngày", "received_to": "đến ngày",
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
    """Download the filtered list to chase late dossiers: class, working days, handler."""
    rt, user = runtime(), current_user()
    try:
        params = load_filters(request.args)
    except ValidationError as exc:
        return _refused(exc)
    now, scope, disclose = rt.now(), scope_of(user), for_user(user)
    rows = matching_rows(db(), params, now, rt.config.timezone, scope, EXPORT_LIMIT,
                         LIST_FIELDS)
    sheet = dossier_list_sheet(_title(scope, params), _filter_text(params), now, rt.calendar,
                               disclose)
    return xlsx_download("danh-sach-ho-so", sheet,
                         dossier_list_rows(rows, now, rt.calendar, disclose))


def _title(scope: Scope, params: DossierQuery) -> str:
    """The export's title: the list and the units it covers, by name."""
    query = select(Unit.name).where(unit_condition(scope)).order_by(Unit.code)
    if params.unit:
        query = query.where(Unit.code == params.unit)
    names = db().scalars(query).all()
    return f"DANH SÁCH HỒ SƠ – {', '.join(names) or 'không có đơn vị'}"


# DossierQuery fields named as the list's form names them; the rest are shown as labelled.
FORM_NAMES = {"deadline_class": "class", "is_open": "open"}
UNSHOWN = ("sort", "limit", "after")


def _filter_text(params: DossierQuery) -> str:
    """The filters of a list in words: 'Tình trạng hạn: Quá hạn; Cơ quan giải quyết: Công an xã'."""
    shown = []
    for field in dataclasses.fields(params):
        value = getattr(params, field.name)
        if field.name in UNSHOWN or value is None or value == ():
            continue
        if field.name == "unit":
            value = db().scalar(select(Unit.name).where(Unit.code == value)) or value
        label = FIELD_LABELS[FORM_NAMES.get(field.name, field.name)]
        shown.append(f"{label}: {_words(value)}")
    return "; ".join(shown) or "không lọc (mọi hồ sơ được xem)"


def _words(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(_words(item) for item in value)
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(getattr(value, "label", value))


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
        history=history, changes=audit_changes(history),
        sync=for_user(current_user()).sync(neighbours.sync_state(db(), row, rt.now()), row),
        alerts=neighbours.alerts_of(db(), row), notices=notices_of(db(), row),
        complaints=db().scalars(select(Complaint).where(Complaint.dossier_id == row.id)
                                .order_by(Complaint.submitted_at)).all())


@bp.post("/ho-so/<code>/dong-bo-lai")
@login_required()
def resync(code: str):  # type: ignore[no-untyped-def]
    """Queue the dossier for another push to the national portal."""
    require("resync")
    rt = runtime()
    row = load_visible(code)
    neighbours.requeue(db(), row, current_user().username, rt.now())
    audit(db(), current_user(), "resync_requested", rt.now(), dossier=row)
    db().commit()
    flash("Đã đưa hồ sơ vào hàng đợi đồng bộ lại với Cổng Dịch vụ công quốc gia.", "ok")
    return redirect(url_for("dossier.detail", code=row.code))



@bp.post("/ho-so/<code>/ngung-thong-bao")
@login_required()
def notice_opt_out(code: str):  # type: ignore[no-untyped-def]
    """Record that the citizen wants no more SMS or Zalo notices about this dossier."""
    require("notice_opt_out")
    rt = runtime()
    row = load_visible(code)
    if opt_out(db(), row.id, current_user().username, rt.now()):
        audit(db(), current_user(), "notice_opt_out", rt.now(), dossier=row,
              changes=[{"field": "notice_opt_out", "old": False, "new": True}])
    db().commit()
    flash("Đã ghi nhận: công dân sẽ không nhận thêm thông báo qua SMS, Zalo về hồ sơ này.", "ok")
    return redirect(url_for("dossier.detail", code=row.code, _anchor="thong-bao"))
