"""The national portal mirror: overall sync status, and one dossier's sync state and payload."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.dossiers.views import local_iso
from service.formats import FIRST_DAY, LAST_DAY
from service.portal import (
    PortalOptions,
    UnknownDossier,
    find_dossier,
    sync_overview,
    sync_state_for,
)
from service.privacy import for_token
from service.users.scope import token_scope
from service.web.api.auth import token_required
from service.web.session import db, runtime

blp = Blueprint("sync", __name__, url_prefix="/api/v1",
                description="Mirror of dossiers on the National Public Service Portal (DVCQG).")


def _zone() -> ZoneInfo:
    return ZoneInfo(runtime().config.timezone)


def _local(name: str) -> fields.Function:
    return fields.Function(lambda obj: local_iso(getattr(obj, name), _zone()), allow_none=True)


class StatusQuerySchema(Schema):
    """Which unit and receipt period the counts and the ratio cover."""

    unit = fields.String(metadata={"description": "Agency code, e.g. 000.32.26.H26"})
    start = fields.Date(validate=validate.Range(FIRST_DAY, LAST_DAY),
                        metadata={"description": "First receipt date (local), inclusive"})
    end = fields.Date(validate=validate.Range(FIRST_DAY, LAST_DAY),
                      metadata={"description": "Last receipt date (local), inclusive"})

    @validates_schema
    def start_before_end(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a period that ends before it starts."""
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("start is after end", field_name="end")


class RunSchema(Schema):
    """The latest run of a sync or reconcile job."""

    kind = fields.String()
    mode = fields.String()
    started_at = _local("started_at")
    finished_at = _local("finished_at")
    checked = fields.Integer()
    attempted = fields.Integer()
    acked = fields.Integer()
    failed = fields.Integer()
    mismatched = fields.Integer()
    error = fields.String(allow_none=True)


class SyncStatusSchema(Schema):
    """Dossiers by sync state, sync lag and the Decision 766 synced ratio."""

    unit = fields.String(allow_none=True)
    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True)
    counts = fields.Function(lambda o: {s.value: n for s, n in o.counts.items()})
    labels = fields.Function(lambda o: {s.value: s.label for s in o.counts})
    received = fields.Integer()
    on_portal = fields.Integer(metadata={"description": "Dossiers the portal acknowledged"})
    synced_ratio = fields.Float(allow_none=True,
                                metadata={"description": "on_portal ÷ received (Decision 766)"})
    oldest_change_at = _local("oldest_change_at")
    lag_seconds = fields.Function(
        lambda o: None if o.lag is None else int(o.lag.total_seconds()), allow_none=True)
    last_sync = fields.Nested(RunSchema, allow_none=True)
    last_reconcile = fields.Nested(RunSchema, allow_none=True)


class DossierSyncSchema(Schema):
    """One dossier's sync state and what would be sent to the portal now."""

    code = fields.String()
    state = fields.Function(lambda v: v.state.value)
    state_label = fields.Function(lambda v: v.state.label)
    up_to_date = fields.Boolean()
    on_portal = fields.Boolean()
    attempts = fields.Integer()
    next_attempt_at = _local("next_attempt_at")
    last_error = fields.String(allow_none=True)
    permanent = fields.Boolean()
    changed_at = _local("changed_at")
    acked_at = _local("acked_at")
    acked_status = fields.Integer(allow_none=True)
    reply = fields.String(allow_none=True)
    portal_status = fields.Integer(allow_none=True)
    reconciled_at = _local("reconciled_at")
    not_required_reason = fields.String(allow_none=True)
    requeued_at = _local("requeued_at")
    madonvi = fields.String()
    payload = fields.Dict(metadata={
        "description": "DongBoHoSoMC item; the applicant's name (also in TrichYeuHoSo), ID "
                       "number, phone and e-mail masked unless the token has the admin scope"})
    pending_lines = fields.List(fields.Dict())
    synced_lines = fields.Integer()


@blp.route("/sync/status")
class SyncStatus(MethodView):
    """The mirror at a glance."""

    @token_required("read")
    @blp.arguments(StatusQuerySchema, location="query")
    @blp.response(200, SyncStatusSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Count dossiers by sync state; give the sync lag, the synced ratio and the last runs."""
        return sync_overview(db(), runtime().now(), _zone(), unit=query.get("unit"),
                             start=query.get("start"), end=query.get("end"))


@blp.route("/dossiers/<string:code>/sync")
class DossierSync(MethodView):
    """One dossier on the portal."""

    @token_required("read")
    @blp.response(200, DossierSyncSchema)
    def get(self, code: str) -> Any:
        """Show a dossier's sync state, attempts, last error and the payload as it would go."""
        session = db()
        try:
            dossier = find_dossier(session, code)
        except UnknownDossier:
            dossier = None
        if dossier is None or not token_scope(g.api_token).allows(dossier):
            abort(404, message=f"Không tìm thấy hồ sơ {code}.")
        view = sync_state_for(session, dossier, PortalOptions.from_settings(runtime().config))
        return for_token(g.api_token).sync(view, dossier)
