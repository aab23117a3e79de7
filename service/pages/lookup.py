"""The public citizen lookup at /tra-cuu: form, result, rating and the receipt's QR code."""

from __future__ import annotations

import io
import re
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from service import lookup as domain
from service.pages.access import protect_forms
from service.security import limiter
from service.web import db, runtime

bp = Blueprint("lookup", __name__, url_prefix="/tra-cuu")
protect_forms(bp)

NOT_FOUND = ("Không tìm thấy hồ sơ khớp với mã hồ sơ và thông tin xác minh đã nhập. "
             "Ông/bà vui lòng kiểm tra lại phiếu hẹn.")
TOO_MANY = ("Ông/bà đã tra cứu quá nhiều lần trong thời gian ngắn. "
            "Vui lòng thử lại sau ít phút.")
CODE_RE = re.compile(r"^[0-9A-Za-z.\-_/]{1,64}$")
SCORES = [(5, "Rất hài lòng"), (4, "Hài lòng"), (3, "Bình thường"), (2, "Không hài lòng"),
          (1, "Rất không hài lòng")]


def lookup_options() -> dict[str, Any]:
    """The [lookup] configuration of this app."""
    return current_app.config["TTHC"]["lookup"]


def client_limit() -> str:
    """Lookups allowed per client address."""
    return lookup_options()["rate_limit"]


def code_limit() -> str:
    """Failed lookups allowed per dossier code, from any address."""
    return lookup_options()["code_rate_limit"]


def code_key() -> str:
    """Rate-limit key: the dossier code asked for, however it is spelled."""
    code = request.form.get("code") or (request.view_args or {}).get("code") or ""
    return "lookup-code:" + domain.normalise_code(code)[:64]


def failed(response: Response) -> bool:
    """Only failed lookups count against a code, so a citizen can check their own freely."""
    return response.status_code == 404


def render_form(status: int = 200, **context: object) -> tuple[str, int]:
    """The lookup form, with whatever message or result the context holds."""
    context.setdefault("code", request.values.get("ma", "")[:64])
    html = render_template("lookup/index.html", scores=SCORES,
                           ratings=lookup_options()["ratings"], **context)
    return html, status


@bp.errorhandler(429)
def too_many(error: Exception) -> tuple[str, int]:
    """Explain the rate limit in Vietnamese on the page itself."""
    return render_form(429, error=TOO_MANY)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Results hold the citizen's dossier: no browser or proxy cache may keep them."""
    if request.endpoint != "lookup.qr":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def form() -> tuple[str, int]:
    """Show the lookup form; `?ma=CODE` (from the QR code) fills in the code."""
    return render_form()


@bp.post("")
@limiter.limit(client_limit, error_message=TOO_MANY)
@limiter.limit(code_limit, key_func=code_key, deduct_when=failed, error_message=TOO_MANY)
def result() -> tuple[str, int]:
    """Look the dossier up and show its progress, or the same message for any mismatch."""
    code = request.form.get("code", "")[:64]
    factor = request.form.get("factor", "")[:32]
    found = domain.lookup(db(), code, factor, runtime().now())
    if found is None:
        return render_form(404, code=code, error=NOT_FOUND)
    return render_form(result=found, code=code, factor=factor)


@bp.post("/danh-gia")
@limiter.limit(client_limit, error_message=TOO_MANY)
def rate() -> tuple[str, int]:
    """Record the citizen's rating of the dossier they just looked up."""
    if not lookup_options()["ratings"]:
        abort(404)
    code = request.form.get("code", "")[:64]
    score = request.form.get("score", type=int)
    if score is None or not 1 <= score <= 5:
        return render_form(400, code=code, error="Vui lòng chọn mức đánh giá từ 1 đến 5.")
    session = db()
    stored = domain.rate(session, code, request.form.get("factor", "")[:32], score,
                         request.form.get("comment", ""), runtime().now())
    if not stored:
        return render_form(404, code=code, error=NOT_FOUND)
    session.commit()
    return render_form(code=code, thanks=True)


def qr_target(code: str) -> str:
    """The address a receipt's QR code opens: the lookup with the code filled in."""
    base = lookup_options()["public_url"].rstrip("/")
    if base:
        return base + url_for("lookup.form", ma=code)
    return url_for("lookup.form", ma=code, _external=True)


@bp.get("/qr.svg")
def qr() -> Response:
    """A QR code (SVG) that opens the lookup with the dossier code filled in."""
    code = request.args.get("ma", "")
    if not CODE_RE.match(code):
        abort(404)
    image = qrcode.make(qr_target(code), image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response

