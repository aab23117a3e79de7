"""Connector runs and the quarantine of records ingestion could not store."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, select

from service.models import ConnectorRun, QuarantinedRecord
from service.users.scope import Connectors, quarantine_condition, run_condition, token_scope
from service.web.api.auth import token_required
from service.web.api.schemas import LocalDateTime, PageArgs, int_cursor, page_size
from service.web.pages.access import connectors
from service.web.session import db

blp = Blueprint("ingestion", __name__, url_prefix="/api/v1",
                description="What each connector run fetched, and the records set aside.")


class RunArgs(PageArgs):
    """Paging, optionally for one connector."""

    connector = fields.String(load_default=None, validate=validate.Length(max=64))


class RunSchema(Schema):
    """One ingest cycle of one connector."""

    id = fields.Integer(required=True)
    connector = fields.String(required=True)
    started_at = LocalDateTime(required=True)
    finished_at = LocalDateTime(allow_none=True)
    heartbeat_at = LocalDateTime(allow_none=True)
    batches = fields.Integer(required=True)
    fetched = fields.Integer(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    error = fields.String(allow_none=True)
    warning = fields.String(allow_none=True)


class RunPageSchema(Schema):
    """Runs, newest first, and the cursor of the next page."""

    items = fields.List(fields.Nested(RunSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class QuarantineArgs(RunArgs):
    """Paging, by connector and state."""

    state = fields.String(load_default="open",
                          validate=validate.OneOf(["open", "resolved", "discarded"]))


class QuarantinedSchema(Schema):
    """A record set aside; its payload is withheld here (it may hold personal data)."""

    id = fields.Integer(required=True)
    connector = fields.String(required=True)
    code = fields.String(allow_none=True)
    source_id = fields.String(allow_none=True)
    kind = fields.String(required=True)
    reason = fields.String(required=True)
    state = fields.String(required=True)
    first_seen_at = LocalDateTime(required=True)
    last_seen_at = LocalDateTime(required=True)
    times_seen = fields.Integer(required=True)
    attempts = fields.Integer(required=True)
    fixed_at = LocalDateTime(allow_none=True)
    resolved_at = LocalDateTime(allow_none=True)


class QuarantinePageSchema(Schema):
    """Quarantined records, newest first, and the cursor of the next page."""

    items = fields.List(fields.Nested(QuarantinedSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


def _connectors() -> Connectors:
    return connectors()


def id_page(query: Select[Any], model: Any, args: dict[str, Any]) -> dict[str, Any]:
    """One page of rows in descending id order, after the cursor (an id)."""
    limit, after = page_size(args["limit"]), int_cursor(args["after"])
    if after is not None:
        query = query.where(model.id < after)
    rows = list(db().scalars(query.order_by(model.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": str(rows[-1].id) if more else None}


@blp.route("/connector-runs")
class Runs(MethodView):
    """Connector runs."""

    @token_required("read")
    @blp.arguments(RunArgs, location="query")
    @blp.response(200, RunPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List connector runs, newest first."""
        query = select(ConnectorRun).where(run_condition(token_scope(g.api_token), _connectors()))
        if args["connector"]:
            query = query.where(ConnectorRun.connector == args["connector"])
        return id_page(query, ConnectorRun, args)


@blp.route("/quarantine")
class Quarantine(MethodView):
    """Quarantined records."""

    @token_required("admin")
    @blp.arguments(QuarantineArgs, location="query")
    @blp.response(200, QuarantinePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List records ingestion set aside, newest first (admin tokens only)."""
        query = select(QuarantinedRecord).where(
            QuarantinedRecord.state == args["state"],
            quarantine_condition(token_scope(g.api_token), _connectors()))
        if args["connector"]:
            query = query.where(QuarantinedRecord.connector == args["connector"])
        return id_page(query, QuarantinedRecord, args)
