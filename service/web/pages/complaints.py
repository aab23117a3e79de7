"""The clerks' complaints pages: the list, one complaint, and receiving, passing on, answering
and closing it (each step audit-logged)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.complaints import (
    ComplaintError,
    ComplaintFilter,
    answer,
    assign,
    close,
    complaint_page,
    receive,
    visible,
)
from service.models import AuditLog, Complaint, ComplaintStatus, Procedure
from service.notices import complaint_notices
from service.users.accounts import audit
from service.users.audit import changes_between, complaint_values
from service.vocabulary import DeadlineClass
from service.web.pages import neighbours
from service.web.pages.access import (
    current_user,
    login_required,
    page_blueprint,
    require,
    scope_of,
)
from service.web.session import db, runtime

bp = page_blueprint("complaint", __name__, url_prefix="/phan-anh-kien-nghi")
STATES = {"open": "Đang chờ trả lời", "all": "Tất cả",
          **{status.value: status.label for status in ComplaintStatus}}
CLASSES = (DeadlineClass.WITHIN, DeadlineClass.NEAR, DeadlineClass.OVERDUE)
# Far past any commune's complaints, and its OFFSET stays a 64-bit integer on every database.
LAST_PAGE = 1_000_000


def _filter() -> ComplaintFilter:
    """The list's filters from the query string; an unknown value is a 400."""
    state = request.args.get("state") or "open"
    deadline = request.args.get("class") or None
    if state not in STATES or deadline not in (None, *(c.value for c in CLASSES)):
        abort(400)
    return ComplaintFilter(state=state, deadline=DeadlineClass(deadline) if deadline else None,
                           handler=request.args.get("handler") or None,
                           code=request.args.get("q") or None)


def _handlers() -> list[str]:
    """Handling bodies known from the catalogue, offered when passing a complaint on."""
    return sorted({h for h in db().scalars(select(Procedure.handler).distinct()) if h})


@bp.get("")
@login_required()
def index():  # type: ignore[no-untyped-def]
    """List the complaints the user may see, open ones first by due date."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    if page > LAST_PAGE:
        text = (f"Trang “{request.args['page'][:20]}” không hợp lệ: số trang phải từ 1 đến "
                f"{LAST_PAGE:,}.".replace(",", "."))
        return render_template("error.html", code=400, text=text), 400
    rows, more = complaint_page(db(), scope_of(current_user()), _filter(), runtime().now(), page)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("complaints/list.html", rows=rows, more=more, page=page, args=args,
                           states=STATES, classes=CLASSES, handlers=_handlers(),
                           now=runtime().now())


def load_visible(code: str) -> Complaint:
    """The complaint with this code if the user may see it; 404 otherwise."""
    complaint = db().scalar(select(Complaint).where(Complaint.code == code).options(
        joinedload(Complaint.dossier), joinedload(Complaint.unit)))
    if not visible(complaint, scope_of(current_user())):
        abort(404)
    assert complaint is not None
    return complaint


@bp.get("/<code>")
@login_required()
def detail(code: str):  # type: ignore[no-untyped-def]
    """Show one complaint with its steps, the forms for the next ones, alerts and audit."""
    complaint = load_visible(code)
    session = db()
    history = session.scalars(select(AuditLog).where(AuditLog.target == complaint.code)
                              .order_by(AuditLog.at.desc(), AuditLog.id.desc())).all()
    return render_template("complaints/detail.html", c=complaint, history=history,
                           alerts=neighbours.complaint_alerts(session, complaint.id),
                           handlers=_handlers(), now=runtime().now(),
                           notices=complaint_notices(session, complaint.id))


def _act(code: str, action: str, step: Any, done: str) -> Any:
    """Run one step on a visible complaint, audit it and commit; flash what happened."""
    complaint = load_visible(code)
    session, now, before = db(), runtime().now(), complaint_values(complaint)
    try:
        detail = step(session, complaint, now)
    except ComplaintError as exc:
        session.rollback()
        flash(f"Không thực hiện được: {exc}", "error")
        return redirect(url_for("complaint.detail", code=code))
    audit(session, current_user(), action, now, dossier=complaint.dossier,
          target=complaint.code, detail=detail,
          changes=changes_between(before, complaint_values(complaint)))
    session.commit()
    flash(done, "ok")
    return redirect(url_for("complaint.detail", code=code))


def _name() -> str:
    user = current_user()
    return user.full_name or user.username


@bp.post("/<code>/tiep-nhan")
@login_required()
def take(code: str):  # type: ignore[no-untyped-def]
    """Receive a new complaint."""
    require("complaint_handle")
    return _act(code, "complaint_received",
                lambda s, c, now: receive(s, c, _name(), now), "Đã tiếp nhận phản ánh.")


@bp.post("/<code>/chuyen-xu-ly")
@login_required()
def pass_on(code: str):  # type: ignore[no-untyped-def]
    """Pass the complaint to the handling body that must answer it."""
    require("complaint_handle")
    handler = request.form.get("handler", "")

    def step(session: Any, complaint: Complaint, now: Any) -> str:
        assign(session, complaint, handler, _name(), now)
        return f"to {complaint.handler}"

    return _act(code, "complaint_assigned", step, "Đã chuyển phản ánh đến cơ quan giải quyết.")


@bp.post("/<code>/tra-loi")
@login_required()
def reply(code: str):  # type: ignore[no-untyped-def]
    """Record the answer the citizen will see on the lookup page."""
    require("complaint_answer")
    text = request.form.get("answer", "")
    return _act(code, "complaint_answered",
                lambda s, c, now: answer(s, c, text, _name(), now),
                "Đã ghi trả lời; công dân xem được khi tra cứu.")


@bp.post("/<code>/ket-thuc")
@login_required()
def finish(code: str):  # type: ignore[no-untyped-def]
    """Close the complaint (with the reason when it was not answered)."""
    require("complaint_handle")
    note = request.form.get("note", "")
    return _act(code, "complaint_closed", lambda s, c, now: close(s, c, note, now),
                "Đã kết thúc phản ánh.")
