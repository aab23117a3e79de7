"""The apology extension: issue the one allowed new date and print the letter for the citizen."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for

from service.deadlines import ExtensionError
from service.dossiers.derive import issue_extension
from service.models import Dossier
from service.users.accounts import audit
from service.vocabulary import LimitUnit
from service.web.pages.access import current_user, login_required, page_blueprint, require
from service.web.pages.dossiers import load_visible
from service.web.session import db, runtime

bp = page_blueprint("extension", __name__)


def refusal(row: Dossier) -> str | None:
    """Why this dossier cannot be extended now, in Vietnamese, or None."""
    if row.extension_due_at is not None:
        return "Hồ sơ đã được gia hạn một lần; quy định chỉ cho phép hẹn lại một lần."
    if not row.is_open or not row.status.is_open:
        return f"Hồ sơ không còn đang giải quyết ({row.status.label}); không thể hẹn lại."
    if row.procedure.limit_unit is LimitUnit.NONE:
        return "Thủ tục này không quy định thời hạn giải quyết; hồ sơ không có hạn để hẹn lại."
    return None


def _read_form(row: Dossier) -> tuple[dict[str, str], list[str], dt.datetime | None]:
    """The submitted fields, the problems found, and the new due instant when valid."""
    form = {k: request.form.get(k, "").strip() for k in ("reason", "new_date", "signer")}
    errors = []
    if len(form["reason"]) < 10:
        errors.append("Hãy ghi rõ lý do chậm trễ (ít nhất 10 ký tự).")
    if not form["signer"]:
        errors.append("Hãy ghi người ký phiếu (thủ trưởng cơ quan hoặc người được ủy quyền).")
    new_due = None
    try:
        day = dt.date.fromisoformat(form["new_date"])
    except ValueError:
        errors.append("Ngày hẹn trả mới không hợp lệ.")
    else:
        calendar = runtime().calendar
        if not calendar.is_working_day(day):
            errors.append(f"Ngày {day:%d/%m/%Y} không phải ngày làm việc "
                          f"({calendar.day_off_reason(day)}).")
        new_due = calendar.closing(day)
        if row.due_at is not None and new_due <= row.due_at:
            errors.append("Ngày hẹn trả mới phải sau hạn giải quyết hiện tại.")
    return form, errors, new_due


@bp.route("/ho-so/<code>/gia-han", methods=["GET", "POST"])
@login_required()
def issue(code: str):  # type: ignore[no-untyped-def]
    """Show the extension form and issue the extension."""
    require("extend")
    row = load_visible(code)
    reason = refusal(row)
    if reason is not None:
        flash(reason, "error")
        target = "extension.letter" if row.extension_due_at else "dossier.detail"
        return redirect(url_for(target, code=row.code))
    if request.method == "GET":
        return render_template("extension/form.html", d=row, form={}, errors=[])
    form, errors, new_due = _read_form(row)
    if errors or new_due is None:
        return render_template("extension/form.html", d=row, form=form, errors=errors), 400
    rt = runtime()
    try:
        issue_extension(db(), rt.policy, row, new_due, form["reason"], form["signer"], rt.now())
    except ExtensionError:
        db().rollback()
        errors = ["Không thể gia hạn hồ sơ này theo quy định (chỉ một lần, sang ngày muộn hơn)."]
        return render_template("extension/form.html", d=row, form=form, errors=errors), 409
    audit(db(), current_user(), "extension_issued", rt.now(), dossier=row,
          detail=f"new due {new_due.isoformat()}")
    db().commit()
    flash("Đã hẹn lại ngày trả kết quả. In phiếu xin lỗi gửi công dân.", "ok")
    return redirect(url_for("extension.letter", code=row.code))


@bp.get("/ho-so/<code>/phieu-xin-loi")
@login_required()
def letter(code: str):  # type: ignore[no-untyped-def]
    """Show the printable "Phiếu xin lỗi và hẹn lại ngày trả kết quả"."""
    row = load_visible(code)
    if row.extension_due_at is None:
        flash("Hồ sơ chưa được hẹn lại ngày trả kết quả.", "error")
        return redirect(url_for("dossier.detail", code=row.code))
    original = row.source_due_at or row.statutory_due_at
    return render_template("extension/letter.html", d=row, original=original)
