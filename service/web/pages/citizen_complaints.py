"""Citizens send complaints (phản ánh, kiến nghị): the public form, or one about their dossier.

Both are public, carry a CSRF token, are limited per client address ([complaints] rate_limit)
and check every length; a complaint about a dossier needs the proof its lookup just issued.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from service.complaints import ComplaintError, submit_about_dossier, submit_public
from service.complaints.store import MAX_CONTENT, MAX_NAME, MIN_CONTENT
from service.dossiers.lookup import lookup_proven
from service.models import Dossier, Unit
from service.web.pages import lookup
from service.web.pages.access import protect_forms
from service.web.security import hit_limits
from service.web.session import config, db, runtime

bp = Blueprint("citizen_complaint", __name__, url_prefix="/tra-cuu/phan-anh")
protect_forms(bp)
TOO_MANY = ("Ông/bà đã gửi nhiều phản ánh trong thời gian ngắn. Vui lòng thử lại sau; "
            "nội dung đã nhập vẫn được giữ dưới đây.")
LIMITS = {"name": MAX_NAME, "content": MAX_CONTENT, "min_content": MIN_CONTENT}
FIELDS = ("unit", "name", "phone", "content")


def _units() -> list[Unit]:
    return list(db().scalars(select(Unit).order_by(Unit.code)))


def render_public(status: int = 200, **context: Any) -> tuple[str, int]:
    """The public form, keeping what the citizen typed."""
    context.setdefault("form", {k: request.form.get(k, "") for k in FIELDS})
    context.setdefault("errors", {})
    html = render_template("lookup/complaint.html", units=_units(), limits=LIMITS,
                           limit_days=runtime().complaint_policy.limit_days, **context)
    return html, status


@bp.errorhandler(429)
def too_many(error: Exception) -> tuple[str, int, dict[str, str]]:
    """Refuse in Vietnamese, on the page the citizen used, with what they typed."""
    if request.endpoint == "citizen_complaint.about_dossier":
        html, status = lookup.render_form(429, error=TOO_MANY)
    else:
        html, status = render_public(429, errors={"limit": TOO_MANY})
    return html, status, {"Retry-After": str(lookup.RETRY_SECONDS)}


def _count() -> None:
    """Count one complaint from this client; 429 past [complaints] rate_limit."""
    limit = config().complaints.rate_limit
    if not hit_limits(limit, "complaint-client", get_remote_address()):
        raise TooManyRequests(TOO_MANY, retry_after=lookup.RETRY_SECONDS)


@bp.get("")
def form() -> tuple[str, int]:
    """Show the public complaint form."""
    return render_public(form={k: "" for k in FIELDS})


@bp.post("")
def submit() -> tuple[str, int]:
    """Record a complaint from the public form and give the citizen its code."""
    _count()
    units = _units()
    unit = next((u for u in units if u.code == request.form.get("unit")), None) or (
        units[0] if units else None)
    if unit is None:
        abort(404)
    session = db()
    try:
        complaint = submit_public(session, runtime().complaint_policy, unit.id,
                                  request.form.get("name", ""), request.form.get("phone", ""),
                                  request.form.get("content", ""), runtime().now())
    except ComplaintError as exc:
        session.rollback()
        return render_public(400, errors={exc.field: str(exc)})
    session.commit()
    return render_public(sent=complaint)


@bp.post("/ho-so")
def about_dossier() -> tuple[str, int]:
    """Record a complaint about the dossier the citizen has just looked up."""
    _count()
    code = lookup.proven_code(request.form.get("proof", ""))
    if code is None:
        return lookup.render_form(403, error=lookup.PROOF_EXPIRED)
    with runtime().engine.connect() as conn:
        found = lookup_proven(conn, code, runtime().now())
    if found is None:
        return lookup.render_form(404, code=code, error=lookup.NOT_FOUND)
    session = db()
    dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == found.code))
    content = request.form.get("content", "")
    try:
        sent = submit_about_dossier(session, runtime().complaint_policy, dossier_id, content,
                                    runtime().now())
    except ComplaintError as exc:
        session.rollback()
        return lookup.render_form(400, result=found, code=code,
                                  complaints=lookup.dossier_complaints(found.code),
                                  complaint_error=str(exc), content=content)
    session.commit()
    return lookup.render_form(result=found, code=code, sent=sent,
                              complaints=lookup.dossier_complaints(found.code))
