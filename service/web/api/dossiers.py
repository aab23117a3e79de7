"""Dossiers: the filtered list with cursor pages, one dossier, its history, its deadline."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service.dossiers.derive import explain_dossier
from service.dossiers.filters import MAX_LIMIT, DossierQuerySchema, dossier_page
from service.models import Dossier
from service.privacy import NOTHING
from service.users.scope import token_scope
from service.web.api.auth import token_required
from service.web.api.schemas import Labelled, LabelOf, LocalDateTime, page_size
from service.web.session import db, runtime

blp = Blueprint("dossiers", __name__, url_prefix="/api/v1/dossiers",
                description="Dossiers, filtered like the clerks' list; personal data withheld.")


class DossierListArgs(DossierQuerySchema):
    """The clerks' list filters; `limit` defaults to [api] page_size."""

    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_LIMIT))


class DossierSchema(Schema):
    """A dossier without the applicant's ID number, phone, e-mail or full name."""

    code = fields.String(required=True)
    unit = fields.Function(lambda d: d.unit.code, required=True)
    procedure_code = fields.Function(lambda d: d.procedure.code, required=True)
    procedure = fields.Function(lambda d: d.procedure.name, required=True)
    domain = fields.Function(lambda d: d.procedure.domain_name, required=True)
    # The API's dossier resources carry no personal data whatever the token (README, REST
    # API): they are read by dashboards and other systems, not by someone serving the citizen.
    applicant = fields.Function(lambda d: NOTHING.name(d.applicant_name), required=True)
    channel = Labelled(required=True)
    channel_label = LabelOf("channel", required=True)
    handler = fields.String(allow_none=True)
    status = Labelled(required=True, metadata={"description": "Portal status code 1–10"})
    status_label = LabelOf("status", required=True)
    is_open = fields.Boolean(required=True)
    received_at = LocalDateTime(required=True)
    due_at = LocalDateTime(allow_none=True)
    near_at = LocalDateTime(allow_none=True)
    finished_at = LocalDateTime(allow_none=True)
    returned_at = LocalDateTime(allow_none=True)
    deadline_class = Labelled(allow_none=True)
    deadline_class_label = LabelOf("deadline_class", allow_none=True)
    outcome = Labelled(allow_none=True)
    outcome_label = LabelOf("outcome", allow_none=True)
    updated_at = LocalDateTime(required=True)


class DossierDetailSchema(DossierSchema):
    """One dossier with its due dates, extension and flags."""

    filed_at = LocalDateTime(allow_none=True)
    source_due_at = LocalDateTime(allow_none=True)
    statutory_due_at = LocalDateTime(allow_none=True)
    portal_due_at = LocalDateTime(allow_none=True)
    extension_due_at = LocalDateTime(allow_none=True)
    extension_reason = fields.Function(
        lambda d: d.extension_reason and NOTHING.text(d.extension_reason, d), allow_none=True,
        metadata={"description": "The apology's reason, the applicant's name and numbers masked"})
    extension_issued_at = LocalDateTime(allow_none=True)
    extension_late = fields.Boolean(required=True, metadata={
        "description": "The apology was recorded on or after the due date's day (Decree "
                       "118/2025 asks for it a day before): it moved no date, class or verdict"})
    portal_outcome = Labelled(allow_none=True)
    portal_outcome_label = LabelOf("portal_outcome", allow_none=True)
    source_status = fields.String(allow_none=True)
    fee_due = fields.Boolean(required=True)
    paid_online = fields.Boolean(required=True)
    digitized = fields.Boolean(required=True)
    electronic_result = fields.Boolean(required=True)
    source = fields.String(required=True)


class DossierPageSchema(Schema):
    """One page of dossiers and the cursor of the next (null on the last page)."""

    items = fields.List(fields.Nested(DossierSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class EventSchema(Schema):
    """One line of the status history (notes are withheld: they may name the applicant)."""

    at = LocalDateTime(required=True)
    status = Labelled(required=True)
    status_label = LabelOf("status", required=True)
    department = fields.String(allow_none=True)


class SupplementSchema(Schema):
    """A request for more papers and when they arrived."""

    requested_at = LocalDateTime(required=True)
    completed_at = LocalDateTime(allow_none=True)


class HistorySchema(Schema):
    """The status history and the supplement rounds."""

    code = fields.String(required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)
    supplements = fields.List(fields.Nested(SupplementSchema), required=True)


class DeadlineSchema(Schema):
    """The deadline engine's verdict at the time of the request, and why.

    The due dates are null, and `basis` is "none", when the procedure sets no time limit.
    """

    code = fields.String(required=True)
    clock_start = LocalDateTime(required=True, allow_none=True)
    legal_due = LocalDateTime(required=True, allow_none=True)
    effective_due = LocalDateTime(required=True, allow_none=True)
    reference_due = LocalDateTime(required=True, allow_none=True)
    basis = fields.String(required=True)
    outcome = Labelled(allow_none=True)
    progress = Labelled(allow_none=True)
    remaining_seconds = fields.Float(allow_none=True)
    portal_due = LocalDateTime(required=True, allow_none=True)
    portal_outcome = Labelled(allow_none=True)
    portal_progress = Labelled(allow_none=True)
    explanation = fields.List(fields.String(), required=True)


def find(code: str, *options: Any) -> Dossier:
    """The dossier with this code if the token's scope holds it, or a JSON 404."""
    row = db().scalar(select(Dossier).where(Dossier.code == code).options(
        selectinload(Dossier.unit), selectinload(Dossier.procedure), *options))
    if row is None or not token_scope(g.api_token).allows(row):
        abort(404, message=f"Không có hồ sơ mã {code}.")
    return row


@blp.route("")
class Dossiers(MethodView):
    """The dossier list."""

    @token_required("read")
    @blp.arguments(DossierListArgs, location="query")
    @blp.response(200, DossierPageSchema)
    def get(self, params: Any) -> Any:
        """List dossiers with the clerks' filters, newest first, one cursor page at a time.

        `q` finds a dossier code (or its tail); for tokens with the admin scope only, also a
        name in any case with or without diacritics (names starting with the text first, then
        a later word), a phone (09…, +849…, 849…) or an ID number (9 or 12 digits). Other
        tokens get no dossier for a name, phone or ID number, whether one exists or not.
        """
        params = dataclasses.replace(params, limit=page_size(params.limit))
        # Answers never carry full names, phones or ID numbers, but finding dossiers by one
        # tells whose they are: service.privacy says which tokens may search by them.
        scope = token_scope(g.api_token)
        try:
            page = dossier_page(db(), params, runtime().now(), runtime().config.timezone,
                                scope)
        except ValidationError as exc:
            abort(422, message="Tham số không hợp lệ.", errors={"query": exc.messages})
        return {"items": page.rows, "next_cursor": page.next_cursor}


@blp.route("/<string:code>")
class DossierDetail(MethodView):
    """One dossier."""

    @token_required("read")
    @blp.response(200, DossierDetailSchema)
    def get(self, code: str) -> Any:
        """Show one dossier."""
        return find(code)


@blp.route("/<string:code>/history")
class DossierHistory(MethodView):
    """A dossier's history."""

    @token_required("read")
    @blp.response(200, HistorySchema)
    def get(self, code: str) -> Any:
        """Show the status history and supplement rounds of a dossier."""
        return find(code, selectinload(Dossier.events), selectinload(Dossier.supplements))


@blp.route("/<string:code>/deadline")
class DossierDeadline(MethodView):
    """A dossier's deadline."""

    @token_required("read")
    @blp.response(200, DeadlineSchema)
    @blp.alt_response(409, response="CONFLICT", description="The dossier's dates contradict")
    def get(self, code: str) -> Any:
        """Explain the dossier's due date and verdict, legal and portal, in Vietnamese."""
        row = find(code, selectinload(Dossier.supplements))
        try:
            result, explained = explain_dossier(runtime().policy, row, runtime().now())
        except ValueError as exc:
            abort(409, message=f"Không tính được hạn: {exc}")
        # The lines quote the apology's reason, which may name the applicant.
        lines = [NOTHING.text(line, row) for line in explained]
        if result is None:  # the procedure sets no time limit
            return {"code": row.code, "basis": "none", "outcome": row.outcome,
                    "portal_outcome": row.portal_outcome, "progress": row.deadline_class,
                    "explanation": lines, **dict.fromkeys(
                        ("clock_start", "legal_due", "effective_due", "reference_due",
                         "portal_due", "remaining_seconds", "portal_progress"))}
        remaining = result.remaining.total_seconds() if result.remaining is not None else None
        return {**dataclasses.asdict(result), "code": row.code, "remaining_seconds": remaining,
                "explanation": lines}
