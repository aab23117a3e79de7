"""Alerts raised about dossiers and how their deliveries went."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from service.models import Alert, AlertDelivery, Dossier
from service.models.alerts import AlertKind
from service.users.scope import alert_condition, token_scope
from service.web.api.auth import token_required
from service.web.api.schemas import (
    Labelled,
    LabelOf,
    LocalDateTime,
    PageArgs,
    int_cursor,
    page_size,
)
from service.web.session import db

blp = Blueprint("alerts", __name__, url_prefix="/api/v1/alerts",
                description="Alerts about dossiers near or past their due date, newest first.")


class AlertArgs(PageArgs):
    """Paging, by dossier, kind and level."""

    dossier = fields.String(load_default=None, validate=validate.Length(max=64),
                            metadata={"description": "Dossier code"})
    kind = fields.String(load_default=None,
                         validate=validate.OneOf([kind.value for kind in AlertKind]))
    level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2))


class DeliverySchema(Schema):
    """One channel's delivery of an alert (error texts withheld: they may quote addresses)."""

    channel = fields.String(required=True)
    state = Labelled(required=True)
    state_label = LabelOf("state", required=True)
    attempts = fields.Integer(required=True)
    sent_at = LocalDateTime(allow_none=True)


class AlertSchema(Schema):
    """An alert to one official (their address is withheld)."""

    id = fields.Integer(required=True)
    dossier = fields.String(required=True)
    kind = Labelled(required=True)
    kind_label = LabelOf("kind", required=True)
    level = fields.Integer(required=True)
    recipient_name = fields.String(required=True)
    recipient_role = fields.String(required=True)
    due_at = LocalDateTime(required=True)
    created_at = LocalDateTime(required=True)
    send_after = LocalDateTime(required=True)
    cancelled_at = LocalDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True)


ALERT_COLUMNS = ("id", "kind", "level", "recipient_name", "recipient_role", "due_at",
                 "created_at", "send_after", "cancelled_at", "cancel_reason")


class AlertPageSchema(Schema):
    """Alerts, newest first, and the cursor of the next page."""

    items = fields.List(fields.Nested(AlertSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


@blp.route("")
class Alerts(MethodView):
    """Alerts."""

    @token_required("read")
    @blp.arguments(AlertArgs, location="query")
    @blp.response(200, AlertPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List alerts with their deliveries, newest first."""
        limit, after = page_size(args["limit"]), int_cursor(args["after"])
        query = (select(Alert, Dossier.code).join(Dossier, Dossier.id == Alert.dossier_id)
                 .where(alert_condition(token_scope(g.api_token))))
        if args["dossier"]:
            query = query.where(Dossier.code == args["dossier"])
        if args["kind"]:
            query = query.where(Alert.kind == AlertKind(args["kind"]))
        if args["level"]:
            query = query.where(Alert.level == args["level"])
        if after is not None:
            query = query.where(Alert.id < after)
        rows = db().execute(query.order_by(Alert.id.desc()).limit(limit + 1)).all()
        more, rows = len(rows) > limit, rows[:limit]
        deliveries = deliveries_of([alert.id for alert, _ in rows])
        items = [{**{column: getattr(alert, column) for column in ALERT_COLUMNS},
                  "dossier": code, "deliveries": deliveries[alert.id]} for alert, code in rows]
        return {"items": items, "next_cursor": str(rows[-1][0].id) if more else None}


def deliveries_of(alert_ids: list[int]) -> dict[int, list[AlertDelivery]]:
    """The deliveries of these alerts, by alert, in one query."""
    found: dict[int, list[AlertDelivery]] = defaultdict(list)
    if alert_ids:
        for delivery in db().scalars(select(AlertDelivery).where(
                AlertDelivery.alert_id.in_(alert_ids)).order_by(AlertDelivery.channel)):
            found[delivery.alert_id].append(delivery)
    return found
