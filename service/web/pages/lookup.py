"""The public citizen lookup at /tra-cuu: form, result, rating and the receipt's QR code.

A code beginning with PAKN- looks up a complaint instead (with the last four digits of the
phone given with it); a dossier's result lists the complaints sent about it, with answers.
"""

from __future__ import annotations

import functools
import io
import ipaddress
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import TooManyRequests

from service.complaints import complaints_of_dossier, is_complaint_code, lookup_complaint
from service.config.settings import LookupSettings
from service.dossiers import lookup as domain
from service.models import AuditLog, Dossier
from service.notices import opt_out_proven
from service.users.accounts import audit
from service.web.pages.access import (
    current_user,
    login_required,
    may,
    protect_forms,
    scope_of,
)
from service.web.security import hit_limits, within_limits
from service.web.session import config, db, runtime

log = logging.getLogger(__name__)
bp = Blueprint("lookup", __name__, url_prefix="/tra-cuu")
protect_forms(bp)

NOT_FOUND = ("Không tìm thấy hồ sơ khớp với mã hồ sơ và thông tin xác minh đã nhập. "
             "Ông/bà vui lòng kiểm tra lại phiếu hẹn.")
TOO_MANY = ("Ông/bà đã tra cứu quá nhiều lần trong thời gian ngắn. "
            "Vui lòng thử lại sau ít phút.")
# Flask-WTF's own text ("The CSRF session token is missing.") is English and means nothing to a
# citizen; the usual cause is a form left open too long or cookies blocked by the browser.
FORM_EXPIRED = ("Biểu mẫu tra cứu đã hết hạn hoặc trình duyệt chưa cho phép cookie. "
                "Ông/bà vui lòng tải lại trang rồi nhập lại thông tin.")
# The follow-up forms of a result (rating, complaint, notice opt-out) carry a signed proof that
# the lookup passed, never the factor itself; past this age the citizen looks the dossier up again.
PROOF_SECONDS = 30 * 60
PROOF_SALT = "tthc-monitor lookup proof"
PROOF_EXPIRED = ("Phiên tra cứu đã hết hạn hoặc không hợp lệ. Ông/bà vui lòng tra cứu lại "
                 "hồ sơ bằng mã hồ sơ và mã tra cứu, rồi gửi lại.")
# Without [lookup] public_url no link is printed: one built from the request's Host header
# would send citizens wherever whoever made the request chose.
NO_PUBLIC_URL = ("Hệ thống chưa khai báo địa chỉ trang tra cứu ([lookup] public_url) nên không "
                 "tạo được mã QR. Đề nghị quản trị hệ thống khai báo địa chỉ này.")
UNAVAILABLE = ("Hệ thống tra cứu đang tạm gián đoạn. Ông/bà vui lòng thử lại sau ít phút; "
               "hồ sơ của ông/bà vẫn được giải quyết bình thường.")
CODE_RE = re.compile(r"^[0-9A-Za-z.\-_/]{1,64}$")
RECEIPT_ACTIONS = ("receipt_printed", "receipt_reprinted")
SCORES = [(5, "Rất hài lòng"), (4, "Hài lòng"), (3, "Bình thường"), (2, "Không hài lòng"),
          (1, "Rất không hài lòng")]
RETRY_SECONDS = 60
T = TypeVar("T")


def lookup_options() -> LookupSettings:
    """The [lookup] configuration of this app."""
    return config().lookup


@functools.lru_cache(maxsize=8)
def _networks(texts: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(text) for text in texts)


def is_kiosk(address: str | None, networks: tuple[str, ...]) -> bool:
    """Whether the client address lies in one of the kiosk networks."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in _networks(networks))


def count_client() -> bool:
    """Count one request of this client; False once past its limit (a kiosk has its own)."""
    options, address = lookup_options(), get_remote_address()
    if is_kiosk(address, options.kiosk_networks):
        return hit_limits(options.kiosk_rate_limit, "lookup-kiosk", address)
    return hit_limits(options.rate_limit, "lookup-client", address)


def guarded(code: str, find: Callable[[Connection], T | None]) -> T | None:
    """Run one lookup within the [lookup] limits; raise 429 past them.

    Every request counts against the client address; only failures count against the code,
    so a citizen can check their own dossier freely while a guesser is stopped whatever
    addresses they spread over. A code past its limit is refused even with the right factor.
    """
    code_key = domain.normalise_code(code)[:64]
    if not count_client():
        raise TooManyRequests(TOO_MANY, retry_after=RETRY_SECONDS)
    with runtime().engine.connect() as conn:
        found = find(conn)
    counted = (hit_limits if found is None else within_limits)(
        lookup_options().code_rate_limit, "lookup-code", code_key)
    if not counted:
        raise TooManyRequests(TOO_MANY, retry_after=RETRY_SECONDS)
    return found


def guarded_lookup(code: str, factor: str) -> domain.LookupResult | None:
    """Look a dossier up within the [lookup] limits; raise 429 past them."""
    return guarded(code, lambda conn: domain.lookup(conn, code, factor, runtime().now()))


def issue_proof(code: str) -> str:
    """A signed token saying this dossier's second factor has just been checked."""
    return URLSafeTimedSerializer(current_app.secret_key, salt=PROOF_SALT).dumps(code)


def proven_code(proof: str) -> str | None:
    """The dossier code a proof from issue_proof vouches for; None if forged or too old."""
    try:
        code = URLSafeTimedSerializer(current_app.secret_key, salt=PROOF_SALT).loads(
            proof, max_age=PROOF_SECONDS)
    except BadSignature:  # SignatureExpired is one too
        return None
    return code if isinstance(code, str) else None


def render_form(status: int = 200, **context: Any) -> tuple[str, int]:
    """The lookup form, with whatever message or result the context holds."""
    typed = request.form.get("code") if request.method == "POST" else None
    context.setdefault("code", (typed or request.args.get("ma", ""))[:64])
    if context.get("result") is not None:
        context["proof"] = issue_proof(context["result"].code)
    html = render_template("lookup/index.html", scores=SCORES,
                           ratings=lookup_options().ratings,
                           notices=config().notices.enabled, **context)
    return html, status


@bp.errorhandler(429)
def too_many(error: Exception) -> tuple[str, int, dict[str, str]]:
    """Explain the rate limit on the page itself, keeping the code the citizen typed."""
    html, status = render_form(429, error=TOO_MANY)
    return html, status, {"Retry-After": str(RETRY_SECONDS)}


@bp.errorhandler(OperationalError)
def database_down(error: OperationalError) -> tuple[str, int]:
    """Tell the citizen the lookup is briefly unavailable (503), not a server fault (500)."""
    log.error("lookup: database unavailable: %s", error.orig)
    html, status = render_form(503, error=UNAVAILABLE)
    return html, status


@bp.errorhandler(400)
def bad_request(error: Exception) -> tuple[str, int]:
    """Explain a refused form (most often a missing or expired CSRF token) in Vietnamese."""
    return render_form(400, error=FORM_EXPIRED)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Results hold the citizen's dossier and the slip its secret: no browser or proxy cache
    may keep them (a reprint must also reach the server, which logs it)."""
    if request.endpoint != "lookup.qr":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def form() -> tuple[str, int]:
    """Show the lookup form; `?ma=CODE` (from the QR code) fills in the code."""
    return render_form()


@bp.post("")
def result() -> tuple[str, int]:
    """Look the dossier (or complaint) up and show it, or the same message for any mismatch."""
    code = request.form.get("code", "")[:64]
    factor = request.form.get("factor", "")[:32]
    if is_complaint_code(code):
        complaint = guarded(code, lambda conn: lookup_complaint(conn, code, factor))
        if complaint is None:
            return render_form(404, code=code, error=NOT_FOUND)
        return render_form(complaint=complaint, code=code)
    found = guarded_lookup(code, factor)
    if found is None:
        return render_form(404, code=code, error=NOT_FOUND)
    return render_form(result=found, code=code, complaints=dossier_complaints(found.code))


def dossier_complaints(code: str) -> list[Any]:
    """The complaints about a dossier whose holder has just proved it."""
    with runtime().engine.connect() as conn:
        return complaints_of_dossier(conn, code)


@bp.post("/danh-gia")
def rate() -> tuple[str, int]:
    """Record the citizen's rating of the dossier they just looked up."""
    if not lookup_options().ratings:
        abort(404)
    if not count_client():
        raise TooManyRequests(TOO_MANY, retry_after=RETRY_SECONDS)
    code = proven_code(request.form.get("proof", ""))
    if code is None:
        return render_form(403, error=PROOF_EXPIRED)
    score = request.form.get("score", type=int)
    if score is None or not 1 <= score <= 5:
        return render_form(400, code=code, error="Vui lòng chọn mức đánh giá từ 1 đến 5.")
    session = db()
    if not domain.rate(session, code, score, request.form.get("comment", ""), runtime().now()):
        return render_form(404, code=code, error=NOT_FOUND)
    session.commit()
    return render_form(code=code, thanks=True)


@bp.post("/ngung-thong-bao")
def stop_notices() -> tuple[str, int]:
    """Record that the citizen wants no more SMS or Zalo notices about the dossier they hold."""
    if not count_client():
        raise TooManyRequests(TOO_MANY, retry_after=RETRY_SECONDS)
    code = proven_code(request.form.get("proof", ""))
    if code is None:
        return render_form(403, error=PROOF_EXPIRED)
    session = db()
    if not opt_out_proven(session, code, runtime().now()):
        return render_form(404, code=code, error=NOT_FOUND)
    session.commit()
    return render_form(code=code, stopped=True)


def qr_target(code: str) -> str | None:
    """The address a receipt's QR code opens (the lookup with the code filled in), or None
    when [lookup] public_url is not set."""
    base = lookup_options().public_url.rstrip("/")
    return base + url_for("lookup.form", ma=code) if base else None


@bp.get("/phieu/<code>")
@login_required()
def receipt(code: str) -> str:
    """Print the receipt slip a clerk hands the citizen: dates, code, secret, QR to the lookup.

    The slip carries the secret that opens the lookup, so only roles that see personal data
    print it, and every printing is audit-logged (the first as printed, later as reprinted).
    """
    user, session = current_user(), db()
    dossier = session.scalar(select(Dossier).where(Dossier.code == code).options(
        selectinload(Dossier.procedure), selectinload(Dossier.unit)))
    if dossier is None or not scope_of(user).allows(dossier):
        abort(404)
    if not may(user, "personal_data"):
        abort(403)
    printed = session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.dossier_id == dossier.id, AuditLog.action.in_(RECEIPT_ACTIONS))) or 0
    audit(session, user, RECEIPT_ACTIONS[min(printed, 1)], runtime().now(), dossier=dossier,
          detail=f"lần in thứ {printed + 1}")
    session.commit()
    return render_template("lookup/receipt.html", dossier=dossier, target=qr_target(code),
                           copy=printed + 1)


@bp.get("/qr.svg")
def qr() -> Response:
    """A QR code (SVG) that opens the lookup with the dossier code filled in."""
    code = request.args.get("ma", "")
    if not CODE_RE.match(code):
        abort(404)
    target = qr_target(code)
    if target is None:
        response = Response(NO_PUBLIC_URL, status=404, mimetype="text/plain")
    else:
        image = qrcode.make(target, image_factory=qrcode.image.svg.SvgPathImage, border=2)
        buffer = io.BytesIO()
        image.save(buffer)
        response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    # Only the browser that printed the slip keeps it: a shared cache has no use for it.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
