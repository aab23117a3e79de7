"""Report pages: Biểu 06 on screen and as XLSX, the 766 self-assessment, handling times."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import abort, render_template, request, send_file
from sqlalchemy import select

from service.complaints import complaint_report
from service.complaints.workbook import complaints_workbook
from service.formats import FIRST_DAY, LAST_DAY
from service.models import Unit
from service.reports.asof import AsOfError, judged_at, parse_as_of
from service.reports.assessment import ROUNDING_NOTE, assessment
from service.reports.cells import workbook_bytes
from service.reports.exports import late_bodies_rows, late_bodies_sheet
from service.reports.form06 import form06, header_rows
from service.reports.handling import handling_report, late_by_body
from service.reports.periods import Period, PeriodError, current_quarter, parse_period, period_code
from service.reports.xlsx import form06_workbook
from service.users.scope import unit_condition
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
    within = unit_condition(scope_of(current_user()))
    return list(db().scalars(select(Unit).where(within).order_by(Unit.code)))


@dataclass(frozen=True)
class Choice:
    """The unit, period and as-of instant asked for, and what the chooser form shows."""

    form: dict[str, Any]
    unit: Unit | None
    period: Period | None
    as_of: dt.datetime | None
    error: str | None


def _choice() -> Choice:
    """The unit, period and as-of asked for (defaults: first unit, current quarter, now)."""
    rt = runtime()
    units = _units()
    windows = request.args.get("windows") or rt.config.reports.windows
    if windows not in ("decree09", "calendar"):
        abort(400)
    as_of_text = request.args.get("as_of", "").strip()
    unit_code = request.args.get("unit") or (units[0].code if units else "")
    unit = next((u for u in units if u.code == unit_code), None)
    if unit is None and units:
        abort(404)
    today = rt.calendar.local(rt.now()).date()
    period, as_of, error, code = current_quarter(today, windows), None, None, ""
    try:
        code = picked_code(request.args)
        if code:
            period = parse_period(code, windows)
        if as_of_text:
            as_of = parse_as_of(as_of_text, rt.config.timezone)
            judged_at(period, rt.config.timezone, rt.now(), as_of)
    except PickError as exc:
        error = str(exc)
    except PeriodError:
        error = (f"Kỳ báo cáo “{code}” không hợp lệ. Hãy chọn kỳ hoặc khoảng ngày "
                 f"từ {FIRST_DAY:%d/%m/%Y} đến {LAST_DAY:%d/%m/%Y}.")
    except AsOfError as exc:
        error = exc.vietnamese
    query = {"unit": unit_code, "period": period.code or period_code(period),
             "windows": windows, "as_of": as_of_text or None}
    form = {"units": units, "unit": unit_code, "period": query["period"], "windows": windows,
            "kinds": KINDS, "years": years(today), "shown": period, "as_of": as_of_text,
            "picker": typed(request.args, today) if error else picker_for(period),
            "query": query}
    return Choice(form, unit, None if error else period, as_of, error)


@bp.get("/bao-cao")
@login_required()
def index():  # type: ignore[no-untyped-def]
    """List the reports with the unit and period chooser."""
    choice = _choice()
    return _refused(choice) if choice.error else render_template(
        "reports/index.html", form=choice.form, error=None)


def _refused(choice: Choice) -> tuple[str, int]:
    """The chooser with what was wrong, for a download or the index asked with a bad choice."""
    return render_template("reports/index.html", form=choice.form, error=choice.error), 400


@bp.get("/bao-cao/bieu-06")
@login_required()
def form06_page():  # type: ignore[no-untyped-def]
    """Show Biểu 06/VPCP/KSTT for a unit and period."""
    choice = _choice()
    if choice.unit is None or choice.period is None or choice.error:
        return render_template("reports/form06.html", form=choice.form, error=choice.error,
                               report=None), 400
    report = _form06(choice.unit, choice.period, choice.as_of)
    return render_template("reports/form06.html", form=choice.form, error=None,
                           report=report, header_rows=header_rows())


@bp.get("/bao-cao/bieu-06.xlsx")
@login_required()
def form06_xlsx():  # type: ignore[no-untyped-def]
    """Download Biểu 06 as an XLSX laid out like the official form."""
    choice = _choice()
    if choice.error:
        return _refused(choice)
    if choice.unit is None or choice.period is None:
        abort(400)
    report = _form06(choice.unit, choice.period, choice.as_of)
    buffer = io.BytesIO(workbook_bytes(form06_workbook(report, runtime().config.reports.recipient)))
    period = choice.period
    name = f"bieu-06-{choice.unit.code}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.xlsx"
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


def _form06(unit: Unit, period: Period, as_of: dt.datetime | None) -> Any:
    rt = runtime()
    return form06(db(), unit.code, period, rt.config.timezone, rt.now(), as_of=as_of,
                  extension_counts_late=rt.policy.extension_counts_late,
                  report_due=rt.policy.report_due)


@bp.get("/bao-cao/chi-so-766")
@login_required()
def assessment_page():  # type: ignore[no-untyped-def]
    """Show the Decision 766 self-assessment for a unit and period."""
    choice = _choice()
    if choice.unit is None or choice.period is None or choice.error:
        return render_template("reports/assessment.html", form=choice.form,
                               error=choice.error, result=None), 400
    rt = runtime()
    result = assessment(db(), choice.unit.code, choice.period, rt.config.timezone,
                        rt.now(), as_of=choice.as_of)
    return render_template("reports/assessment.html", form=choice.form, error=None,
                           result=result, rounding_note=ROUNDING_NOTE)


@bp.get("/bao-cao/thoi-gian-giai-quyet")
@login_required()
def handling_page():  # type: ignore[no-untyped-def]
    """Show handling times per procedure and late dossiers by handling body."""
    choice = _choice()
    if choice.unit is None or choice.period is None or choice.error:
        return render_template("reports/handling.html", form=choice.form,
                               error=choice.error, report=None), 400
    rt = runtime()
    report = handling_report(db(), choice.unit.code, choice.period, rt.config.timezone,
                             rt.now(), as_of=choice.as_of,
                             extension_counts_late=rt.policy.extension_counts_late,
                             report_due=rt.policy.report_due)
    day_hours = rt.calendar.office_day.total_seconds() / 3600
    return render_template("reports/handling.html", form=choice.form, error=None,
                           report=report, day_hours=day_hours)


@bp.get("/bao-cao/thoi-gian-giai-quyet/tre-han.xlsx")
@login_required()
def late_xlsx():  # type: ignore[no-untyped-def]
    """Download late dossiers by handling body for a unit and period."""
    choice = _choice()
    if choice.error:
        return _refused(choice)
    if choice.unit is None or choice.period is None:
        abort(400)
    rt = runtime()
    at = judged_at(choice.period, rt.config.timezone, rt.now(), choice.as_of)
    bodies = late_by_body(db(), choice.unit.code, choice.period, rt.config.timezone, at,
                          extension_counts_late=rt.policy.extension_counts_late,
                          report_due=rt.policy.report_due)
    sheet = late_bodies_sheet(choice.unit.name, f"{choice.period.label} ({choice.period.dates})",
                              at, rt.calendar)
    return xlsx_download(f"tre-han-theo-co-quan-{choice.unit.code}", sheet,
                         late_bodies_rows(bodies))


def _complaints(unit: Unit, period: Period, as_of: dt.datetime | None) -> Any:
    rt = runtime()
    return complaint_report(db(), unit.code, period, rt.config.timezone, rt.now(),
                            rt.complaint_policy.limit_days, as_of)


@bp.get("/bao-cao/phan-anh-kien-nghi")
@login_required()
def complaints_page():  # type: ignore[no-untyped-def]
    """Show complaints by handling body: received, answered on time or late, still open."""
    choice = _choice()
    if choice.unit is None or choice.period is None or choice.error:
        return render_template("reports/complaints.html", form=choice.form,
                               error=choice.error, report=None), 400
    return render_template("reports/complaints.html", form=choice.form, error=None,
                           report=_complaints(choice.unit, choice.period, choice.as_of))


@bp.get("/bao-cao/phan-anh-kien-nghi.xlsx")
@login_required()
def complaints_xlsx():  # type: ignore[no-untyped-def]
    """Download the complaints report by handling body as XLSX."""
    choice = _choice()
    if choice.error:
        return _refused(choice)
    if choice.unit is None or choice.period is None:
        abort(400)
    book = complaints_workbook(_complaints(choice.unit, choice.period, choice.as_of),
                               runtime().config.timezone)
    buffer = io.BytesIO(workbook_bytes(book))
    period = choice.period
    name = (f"phan-anh-kien-nghi-{choice.unit.code}-{period.first:%Y%m%d}-"
            f"{period.last:%Y%m%d}.xlsx")
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)
