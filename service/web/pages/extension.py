"""The apology extension: issue the one allowed new date and print the letter for the citizen."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for

from service.deadlines import ExtensionError
from service.dossiers.dues import citizen_due, original_due
from service.dossiers.extension import (
    LATE_APOLOGY,
    check_new_due,
    extension_refusal,
    issue_extension,
    late_if_recorded,
    letter_issuer,
)
from service.formats import official_date, read_day
from service.models import Dossier
from service.users.accounts import audit
from service.users.audit import DossierEdit
from service.web.pages.access import current_user, login_required, page_blueprint, require
from service.web.pages.dossiers import load_visible
from service.web.session import db, runtime

bp = page_blueprint("extension", __name__)


def late_warning(row: Dossier) -> str | None:
    """The warning the clerk reads before confirming an apology that would be late, or None."""
    rt = runtime()
    if not late_if_recorded(row, rt.calendar, rt.now()):
        return None
    due = rt.calendar.local(citizen_due(row))  # type: ignore[arg-type] - late implies a date
    return LATE_APOLOGY.format(due=f"{due:%H:%M} ngày {due:%d/%m/%Y}")


def _read_form(row: Dossier) -> tuple[dict[str, str], list[str], dt.datetime | None]:
    """The submitted fields, the problems found, and the new due instant when valid."""
    form = {k: request.form.get(k, "").strip()
            for k in ("reason", "new_date", "signer", "late_understood")}
    errors = []
    if late_warning(row) and not form["late_understood"]:
        errors.append("Phiếu này là xin lỗi muộn: hãy đánh dấu ô xác nhận đã đọc cảnh báo.")
    if len(form["reason"]) < 10:
        errors.append("Hãy ghi rõ lý do chậm trễ (ít nhất 10 ký tự).")
    if not form["signer"]:
        errors.append("Hãy ghi người ký phiếu (thủ trưởng cơ quan hoặc người được ủy quyền).")
    new_due = None
    try:
        day = read_day(form["new_date"])
    except ValueError as exc:
        errors.append(f"Ngày hẹn trả mới không hợp lệ: {exc}.")
    else:
        calendar = runtime().calendar
        if not calendar.is_working_day(day):
            errors.append(f"Ngày {day:%d/%m/%Y} không phải ngày làm việc "
                          f"({calendar.day_off_reason(day)}).")
        new_due = calendar.closing(day)
        try:
            check_new_due(row, new_due)
        except ExtensionError as exc:
            errors.append(exc.vietnamese)
    return form, errors, new_due


@bp.route("/ho-so/<code>/gia-han", methods=["GET", "POST"])
@login_required()
def issue(code: str):  # type: ignore[no-untyped-def]
    """Show the extension form and issue the extension."""
    require("extend")
    row = load_visible(code)
    reason = extension_refusal(row)
    if reason is not None:
        flash(reason, "error")
        target = "extension.letter" if row.extension_due_at else "dossier.detail"
        return redirect(url_for(target, code=row.code))
    warning = late_warning(row)
    if request.method == "GET":
        return render_template("extension/form.html", d=row, form={}, errors=[],
                               warning=warning)
    form, errors, new_due = _read_form(row)
    if errors or new_due is None:
        return render_template("extension/form.html", d=row, form=form, errors=errors,
                               warning=warning), 400
    rt, edit = runtime(), DossierEdit(db(), dossier_id=row.id)
    try:
        issue_extension(db(), rt.policy, row, new_due, form["reason"], form["signer"], rt.now())
    except ExtensionError as exc:
        db().rollback()
        errors = [exc.vietnamese]
        return render_template("extension/form.html", d=row, form=form, errors=errors,
                               warning=warning), 409
    late = " (late apology)" if row.extension_late else ""
    audit(db(), current_user(), "extension_issued", rt.now(), dossier=row,
          detail=f"new due {new_due.isoformat()}{late}", changes=edit.changes())
    db().commit()
    if row.extension_late:
        flash("Đã lập phiếu xin lỗi muộn và ngày hẹn mới cho công dân; hồ sơ vẫn tính quá "
              "hạn theo hạn cũ. In phiếu xin lỗi gửi công dân.", "ok")
    else:
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
    rt = runtime()
    original = original_due(row, rt.policy.report_due)
    unit = next((u for u in rt.config.units if u.code == row.unit.code), None)
    agency, place = letter_issuer(unit, row.unit.name, row.handler)
    issued = rt.calendar.local(row.extension_issued_at or rt.now()).date()
    return render_template("extension/letter.html", d=row, original=original, agency=agency,
                           dated=f"{place}, {official_date(issued)}")
