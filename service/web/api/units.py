"""Units (agencies) and the procedures they handle."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from service.models import Procedure, Unit
from service.web.api.auth import token_required
from service.web.session import db

blp = Blueprint("units", __name__, url_prefix="/api/v1",
                description="Agencies served and the procedures they handle.")


class UnitSchema(Schema):
    """An agency."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    parent = fields.Function(lambda unit: unit.parent.code if unit.parent else None,
                             allow_none=True)


class ProcedureSchema(Schema):
    """An administrative procedure with its statutory time limit."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    domain_code = fields.String(allow_none=True)
    domain_name = fields.String(required=True)
    limit_value = fields.Integer(required=True)
    limit_unit = fields.Function(lambda p: p.limit_unit.value, required=True)
    limit_unit_label = fields.Function(lambda p: p.limit_unit.label, required=True)
    limit_if_verification = fields.Integer(allow_none=True)
    fee = fields.Integer(allow_none=True)
    online_level = fields.Integer(allow_none=True)


@blp.route("/units")
class Units(MethodView):
    """Agencies."""

    @token_required("read")
    @blp.response(200, UnitSchema(many=True))
    def get(self) -> Any:
        """List the agencies."""
        return db().scalars(select(Unit).order_by(Unit.code)).all()


@blp.route("/procedures")
class Procedures(MethodView):
    """Procedures."""

    @token_required("read")
    @blp.response(200, ProcedureSchema(many=True))
    def get(self) -> Any:
        """List the procedures with their time limits."""
        return db().scalars(select(Procedure).order_by(Procedure.code)).all()
