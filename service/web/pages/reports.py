"""Report pages: Biểu 06 on screen and as XLSX, the 766 self-assessment, handling times."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import abort, render_template, request, send_file
from sqlalchemy import select

from service.models import Unit
from service.reports.asof import AsOfError, judged_at, parse_as_of
from service.reports.assessment import ROUNDING_NOTE, assessment
from service.reports.form06 import form06, header_rows
from service.reports.handling import handling_report
from service.reports.periods import PERIOD_FORMS, Period, PeriodError, current_quarter, parse_period
from service.reports.xlsx import form06_workbook
from service.web.pages.access import current_user, login_required, page_blueprint, scope_of
from service.web.session import db, runtime

bp = page_blueprint("report", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _units() -> list[Unit]:
    """Units the user may report on."""
    scope = scope_of(current_user())
    units = db().scalars(select(Unit).order_by(Unit.code)).all()
    return [u for u in units if scope.unit_ids is None or u.id in scope.unit_ids]


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
    windows = request.args.get("windows") or rt.settings["reports"]["windows"]
    if windows not in ("decree09", "calendar"):
        abort(400)
    text = request.args.get("period", "").strip()
    as_of_text = request.args.get("as_of", "").strip()
    unit_code = request.args.get("unit") or (units[0].code if units else "")
    unit = next((u for u in units if u.code == unit_code), None)
    if unit is None and units:
        abort(404)
    error, period, as_of = None, None, None
    try:
        today = rt.calendar.local(rt.now()).date()
        period = parse_period(text, windows) if text else current_quarter(today, windows)
        if as_of_text:
            as_of = parse_as_of(as_of_text, rt.settings["timezone"])
            judged_at(period, rt.settings["timezone"], rt.now(), as_of)
    except PeriodError:
        error = f"Kỳ báo cáo “{text}” không hợp lệ. Viết theo dạng {PERIOD_FORMS}."
    except AsOfError as exc:
        error = exc.vietnamese
    form = {"units": units, "unit": unit_code, "period": text or "", "windows": windows,
            "shown": period, "as_of": as_of_text}
    return Choice(form, unit, period, as_of, error)


@bp.get("/bao-cao")
@login_required()
def index():  # type: ignore[no-untyped-def]
    """List the reports with the unit and period chooser."""
    choice = _choice()
    return render_template("reports/index.html", form=choice.form, error=choice.error)


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
    if choice.unit is None or choice.period is None or choice.error:
        abort(400)
    report = _form06(choice.unit, choice.period, choice.as_of)
    buffer = io.BytesIO()
    form06_workbook(report, runtime().settings["reports"]["recipient"]).save(buffer)
    buffer.seek(0)
    period = choice.period
    name = f"bieu-06-{choice.unit.code}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.xlsx"
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


def _form06(unit: Unit, period: Period, as_of: dt.datetime | None) -> Any:
    rt = runtime()
    return form06(db(), unit.code, period, rt.settings["timezone"], rt.now(), as_of=as_of,
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
    result = assessment(db(), choice.unit.code, choice.period, rt.settings["timezone"],
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
    report = handling_report(db(), choice.unit.code, choice.period, rt.settings["timezone"],
                             rt.now(), as_of=choice.as_of)
    day_hours = rt.calendar.office_day.total_seconds() / 3600
    return render_template("reports/handling.html", form=choice.form, error=None,
                           report=report, day_hours=day_hours)
