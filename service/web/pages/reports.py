"""Report pages: Biểu 06 on screen and as XLSX, the 766 self-assessment, handling times."""

from __future__ import annotations

import io
from typing import Any

from flask import abort, render_template, request, send_file
from sqlalchemy import select

from service.complaints import complaint_report
from service.complaints.workbook import complaints_workbook
from service.models import Unit
from service.reports.assessment import assessment
from service.reports.exports import late_bodies_rows, late_bodies_sheet
from service.reports.form06 import form06
from service.reports.handling import handling_times, late_by_body
from service.reports.periods import (
    Period,
    PeriodError,
    current_quarter,
    parse_period,
    period_code,
)
from service.reports.xlsx import form06_workbook
from service.web.pages.access import current_user, login_required, page_blueprint, scope_of
from service.web.pages.downloads import XLSX, xlsx_download
from service.web.pages.period_picker import (
    KINDS,
    PickError,
    picked_code,
    picker_for,
    typed,
    years,
)
from service.web.session import db, runtime

bp = page_blueprint("report", __name__)


def _units() -> list[Unit]:
    """Units the user may report on."""
    scope = scope_of(current_user())
    units = db().scalars(select(Unit).order_by(Unit.code)).all()
    return [u for u in units if scope.unit_ids is None or u.id in scope.unit_ids]


def _choice() -> tuple[dict[str, Any], Unit | None, Period | None, str | None]:
    """The unit and period asked for (defaults: the first unit, the current quarter)."""
    rt = runtime()
    units = _units()
    windows = request.args.get("windows") or rt.settings["reports"]["windows"]
    if windows not in ("decree09", "calendar"):
        abort(400)
    unit_code = request.args.get("unit") or (units[0].code if units else "")
    unit = next((u for u in units if u.code == unit_code), None)
    if unit is None and units:
        abort(404)
    today = rt.calendar.local(rt.now()).date()
    period, error = current_quarter(today, windows), None
    try:
        code = picked_code(request.args)
        if code:
            period = parse_period(code, windows)
    except PickError as exc:
        error = str(exc)
    except PeriodError:
        error = f"Kỳ báo cáo “{code}” không hợp lệ. Hãy chọn kỳ hoặc khoảng ngày."
    form = {"units": units, "unit": unit_code, "windows": windows, "kinds": KINDS,
            "years": years(today), "shown": period,
            "picker": typed(request.args, today) if error else picker_for(period),
            "query": {"unit": unit_code, "period": period.code or period_code(period),
                      "windows": windows}}
    return form, unit, None if error else period, error


@bp.get("/bao-cao")
@login_required()
def index():  # type: ignore[no-untyped-def]
    """List the reports with the unit and period chooser."""
    form, _, _, error = _choice()
    return render_template("reports/index.html", form=form, error=error)


@bp.get("/bao-cao/bieu-06")
@login_required()
def form06_page():  # type: ignore[no-untyped-def]
    """Show Biểu 06/VPCP/KSTT for a unit and period."""
    form, unit, period, error = _choice()
    if unit is None or period is None:
        return render_template("reports/form06.html", form=form, error=error, report=None), 400
    return render_template("reports/form06.html", form=form, error=None,
                           report=_form06(unit, period))


@bp.get("/bao-cao/bieu-06.xlsx")
@login_required()
def form06_xlsx():  # type: ignore[no-untyped-def]
    """Download Biểu 06 as an XLSX laid out like the official form."""
    _, unit, period, _ = _choice()
    if unit is None or period is None:
        abort(400)
    report = _form06(unit, period)
    buffer = io.BytesIO()
    form06_workbook(report, runtime().settings["reports"]["recipient"]).save(buffer)
    buffer.seek(0)
    name = f"bieu-06-{unit.code}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.xlsx"
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.get("/bao-cao/thoi-gian-giai-quyet/tre-han.xlsx")
@login_required()
def late_xlsx():  # type: ignore[no-untyped-def]
    """Download late dossiers by handling body for a unit and period."""
    _, unit, period, _ = _choice()
    if unit is None or period is None:
        abort(400)
    rt = runtime()
    bodies = late_by_body(db(), unit.code, period, rt.settings["timezone"], rt.now())
    sheet = late_bodies_sheet(unit.name, f"{period.label} ({period.dates})", rt.now(),
                              rt.calendar)
    return xlsx_download(f"tre-han-theo-co-quan-{unit.code}", sheet, late_bodies_rows(bodies))


def _form06(unit: Unit, period: Period) -> Any:
    rt = runtime()
    return form06(db(), unit.code, period, rt.settings["timezone"], rt.now(),
                  extension_counts_late=rt.policy.extension_counts_late,
                  report_due=rt.policy.report_due)


@bp.get("/bao-cao/chi-so-766")
@login_required()
def assessment_page():  # type: ignore[no-untyped-def]
    """Show the Decision 766 self-assessment for a unit and period."""
    form, unit, period, error = _choice()
    if unit is None or period is None:
        return render_template("reports/assessment.html", form=form, error=error,
                               result=None), 400
    rt = runtime()
    result = assessment(db(), unit.code, period, rt.settings["timezone"], rt.now())
    return render_template("reports/assessment.html", form=form, error=None, result=result)


@bp.get("/bao-cao/thoi-gian-giai-quyet")
@login_required()
def handling_page():  # type: ignore[no-untyped-def]
    """Show handling times per procedure and late dossiers by handling body."""
    form, unit, period, error = _choice()
    if unit is None or period is None:
        return render_template("reports/handling.html", form=form, error=error,
                               times=None, bodies=None), 400
    rt = runtime()
    zone = rt.settings["timezone"]
    return render_template(
        "reports/handling.html", form=form, error=None,
        times=handling_times(db(), unit.code, period, zone),
        bodies=late_by_body(db(), unit.code, period, zone, rt.now()))


def _complaints(unit: Unit, period: Period) -> Any:
    rt = runtime()
    return complaint_report(db(), unit.code, period, rt.settings["timezone"], rt.now(),
                            rt.complaint_policy.limit_days)


@bp.get("/bao-cao/phan-anh-kien-nghi")
@login_required()
def complaints_page():  # type: ignore[no-untyped-def]
    """Show complaints by handling body: received, answered on time or late, still open."""
    form, unit, period, error = _choice()
    if unit is None or period is None:
        return render_template("reports/complaints.html", form=form, error=error,
                               report=None), 400
    return render_template("reports/complaints.html", form=form, error=None,
                           report=_complaints(unit, period))


@bp.get("/bao-cao/phan-anh-kien-nghi.xlsx")
@login_required()
def complaints_xlsx():  # type: ignore[no-untyped-def]
    """Download the complaints report by handling body as XLSX."""
    _, unit, period, _ = _choice()
    if unit is None or period is None:
        abort(400)
    book = complaints_workbook(_complaints(unit, period), runtime().settings["timezone"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    name = f"phan-anh-kien-nghi-{unit.code}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.xlsx"
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)
