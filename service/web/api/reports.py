"""Reports as JSON: Biểu 06/VPCP/KSTT and the Decision 766 self-assessment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from service.reports.asof import AsOfError, judged_at, parse_as_of
from service.reports.assessment import Indicator, assessment
from service.reports.form06 import as_dict, form06
from service.reports.periods import PERIOD_FORMS, Period, PeriodError, parse_period
from service.reports.scope import ReportError
from service.web.api.auth import token_required
from service.web.api.schemas import LocalDateTime
from service.web.session import db, runtime

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Biểu 06/VPCP/KSTT and the 766 self-assessment for a unit and period.")


class ReportArgs(Schema):
    """Which unit, which period, and how quarters are cut."""

    unit = fields.String(required=True, validate=validate.Length(min=1, max=64))
    period = fields.String(required=True, validate=validate.Length(min=1, max=40),
                           metadata={"description": f"One of: {PERIOD_FORMS}"})
    windows = fields.String(load_default=None, validate=validate.OneOf(["decree09", "calendar"]),
                            metadata={"description": "Decree 09/2019 windows or calendar "
                                                     "months; default from [reports]"})
    as_of = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                          metadata={"description": "Judge the report at this ISO 8601 instant "
                                                   "(no offset: office time) instead of now or "
                                                   "the end of a past period"})


class PeriodSchema(Schema):
    """The period's first and last office day."""

    first = fields.String(required=True)
    last = fields.String(required=True)
    label = fields.String(required=True)


class Form06LineSchema(Schema):
    """One lĩnh vực (or the total) with columns "3" to "13" of the form."""

    number = fields.Integer(allow_none=True)
    domain = fields.String(required=True)
    columns = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class Form06Schema(Schema):
    """Biểu 06/VPCP/KSTT: identities 3 = 4+5+6, 7 = 8+9+10, 11 = 12+13, 3 = 7+11 hold."""

    unit = fields.String(required=True)
    unit_name = fields.String(required=True)
    period = fields.Nested(PeriodSchema, required=True)
    rows = fields.List(fields.Nested(Form06LineSchema), required=True)
    total = fields.Nested(Form06LineSchema, required=True)
    made_at = fields.String(required=True)
    as_of = fields.String(required=True, metadata={
        "description": "The instant the figures stand at: now for a period in progress, its "
                       "end for a past one, or the as_of asked for"})
    as_of_text = fields.String(required=True, metadata={
        "description": "The same, as the report header writes it"})


class IndicatorSchema(Schema):
    """One scored indicator of Decision 766 (value null without data)."""

    group = fields.String(required=True)
    name = fields.String(required=True)
    max_points = fields.Float(required=True)
    value = fields.Float(allow_none=True, metadata={
        "description": "numerator / denominator, unrounded"})
    percent = fields.String(required=True, metadata={
        "description": "numerator / denominator as shown: rounded half up to 0.1 %"})
    target = fields.Float(allow_none=True)
    points = fields.Float(allow_none=True, metadata={
        "description": "From the unrounded ratio, rounded half up to 0.01"})
    numerator = fields.Integer(required=True)
    denominator = fields.Integer(required=True)
    formula = fields.String(required=True, metadata={"description": "The rule in words"})
    computation = fields.String(required=True, metadata={
        "description": "The rule with this period's numbers"})


class AssessmentSchema(Schema):
    """The self-assessment a unit can read before the portal scores it."""

    unit_name = fields.String(required=True)
    period = fields.Nested(PeriodSchema, required=True)
    judged_at = LocalDateTime(required=True)
    as_of_text = fields.String(required=True)
    points = fields.Float(required=True)
    max_points = fields.Float(required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)


def period_of(args: dict[str, Any]) -> Period:
    """The period asked for, or a JSON 422 naming the field."""
    windows = args["windows"] or runtime().config.reports.windows
    try:
        return parse_period(args["period"], windows)
    except PeriodError as exc:
        abort(422, message="Kỳ báo cáo không hợp lệ.", errors={"query": {"period": [str(exc)]}})


def as_of_of(args: dict[str, Any], period: Period) -> dt.datetime | None:
    """The as-of instant asked for, checked against the period and now, or a JSON 422."""
    if args["as_of"] is None:
        return None
    rt = runtime()
    try:
        as_of = parse_as_of(args["as_of"], rt.config.timezone)
        judged_at(period, rt.config.timezone, rt.now(), as_of)
    except AsOfError as exc:
        abort(422, message=exc.vietnamese, errors={"query": {"as_of": [str(exc)]}})
    return as_of


@blp.route("/form06")
class Form06(MethodView):
    """Biểu 06."""

    @token_required("read")
    @blp.arguments(ReportArgs, location="query")
    @blp.response(200, Form06Schema)
    def get(self, args: dict[str, Any]) -> Any:
        """Count Biểu 06/VPCP/KSTT for a unit (and the units below it) over a period."""
        rt = runtime()
        period = period_of(args)
        as_of = as_of_of(args, period)
        try:
            report = form06(db(), args["unit"], period, rt.config.timezone,
                            rt.now(), as_of=as_of,
                            extension_counts_late=rt.policy.extension_counts_late,
                            report_due=rt.policy.report_due)
        except ReportError as exc:
            abort(404, message=f"Không có đơn vị: {exc}")
        return as_dict(report)


@blp.route("/assessment")
class Assessment(MethodView):
    """The 766 self-assessment."""

    @token_required("read")
    @blp.arguments(ReportArgs, location="query")
    @blp.response(200, AssessmentSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Score a unit's dossiers received in a period on the Decision 766 indicators."""
        rt = runtime()
        period = period_of(args)
        as_of = as_of_of(args, period)
        try:
            result = assessment(db(), args["unit"], period, rt.config.timezone,
                                rt.now(), as_of=as_of)
        except ReportError as exc:
            abort(404, message=f"Không có đơn vị: {exc}")
        return {"unit_name": result.unit_name, "judged_at": result.judged_at,
                "as_of_text": result.as_of_text,
                "points": result.points, "max_points": result.max_points,
                "period": {"first": period.first.isoformat(), "last": period.last.isoformat(),
                           "label": period.label},
                "indicators": [_indicator(i) for i in result.indicators]}


def _indicator(item: Indicator) -> dict[str, Any]:
    """One indicator as the schema lists it."""
    names = ("group", "name", "max_points", "value", "percent", "points", "numerator",
             "denominator", "formula", "computation")
    return {**{name: getattr(item, name) for name in names},
            "target": float(item.target) if item.target else None}
