"""The public citizen lookup as JSON: no token, rate-limited, same answer for any mismatch."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_smorest import Blueprint, abort
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy.exc import OperationalError

from service.dossiers import lookup as domain
from service.web.pages.lookup import UNAVAILABLE, guarded_lookup
from service.web.session import config

blp = Blueprint("lookup-api", __name__, url_prefix="/api/v1/lookup",
                description="Citizen lookup by dossier code and a second factor (public).")
NOT_FOUND = "Không tìm thấy hồ sơ khớp với mã hồ sơ và thông tin xác minh đã nhập."


class LookupArgs(Schema):
    """The second factor."""

    factor = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={
        "description": "Last 4 digits of the phone on the dossier, or the receipt's secret."})


class StepSchema(Schema):
    """One step of the dossier's progress."""

    at = fields.String(required=True, metadata={"description": "ISO 8601, local time"})
    text = fields.String(required=True)


class LookupSchema(Schema):
    """What a citizen may see of a dossier: never ID number, phone, e-mail or address."""

    code = fields.String(required=True)
    procedure = fields.String(required=True)
    applicant = fields.String(required=True, metadata={"description": "Masked name"})
    received_at = fields.String(required=True)
    due_at = fields.String(allow_none=True)
    original_due_at = fields.String(allow_none=True, metadata={
        "description": "The first due date, when the office extended it with an apology"})
    apology = fields.String(allow_none=True)
    status_code = fields.Integer(required=True)
    status_text = fields.String(required=True)
    is_finished = fields.Boolean(required=True)
    is_late = fields.Boolean(required=True)
    timeline = fields.List(fields.Nested(StepSchema), required=True)


def as_json(result: domain.LookupResult) -> dict[str, Any]:
    """The result with its instants in local ISO 8601."""
    zone = ZoneInfo(config().timezone)

    def iso(value: Any) -> str | None:
        return None if value is None else value.astimezone(zone).isoformat()

    return {
        **{k: getattr(result, k) for k in (
            "code", "procedure", "applicant", "apology", "status_code", "status_text",
            "is_finished", "is_late")},
        "received_at": iso(result.received_at), "due_at": iso(result.due_at),
        "original_due_at": iso(result.original_due_at),
        "timeline": [{"at": iso(step.at), "text": step.text} for step in result.timeline],
    }


ARGS = LookupArgs(unknown=EXCLUDE)  # other query parameters are ignored, as webargs would


@blp.errorhandler(OperationalError)
def database_down(error: OperationalError) -> Any:
    """503 with a Vietnamese message while the database cannot be reached."""
    return {"code": 503, "status": "Service Unavailable", "message": UNAVAILABLE}, 503


@blp.route("/<string:code>")
@blp.doc(parameters=[{"in": "query", "schema": LookupArgs}])
@blp.response(200, LookupSchema)
@blp.alt_response(404, response="NOT_FOUND", description="Wrong code or wrong factor")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="No factor, or too long")
@blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Too many lookups")
@blp.alt_response(503, response="DEFAULT_ERROR", description="The database is unavailable")
def lookup_dossier(code: str) -> Any:
    """Look up a dossier by its code and the second factor."""
    # The factor is checked by its schema here rather than by @blp.arguments: on this public,
    # hot route webargs' wrapper cost more than the checks themselves (bench/lookup.py).
    errors = ARGS.validate(request.args)
    if errors:
        abort(422, errors={"query": errors})
    found = guarded_lookup(code, request.args["factor"])
    if found is None:
        abort(404, message=NOT_FOUND)
    # as_json gives LookupSchema's shape already (tests/dossiers/test_lookup.py checks it against
    # the published schema), so the answer skips a marshmallow dump per request.
    return current_app.json.response(as_json(found))
