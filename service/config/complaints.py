"""The [complaints] section: the time limit of complaints and the public form's limits."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.config.security import limit_field


class ComplaintsSchema(Schema):
    """Complaints and recommendations (phản ánh, kiến nghị) from citizens."""

    # Decision 766/QĐ-TTg scores complaints handled within 15 working days.
    limit_working_days = fields.Integer(load_default=15, validate=validate.Range(min=1, max=90))
    # "Sắp đến hạn" once this many working days or fewer remain.
    near_working_days = fields.Integer(load_default=3, validate=validate.Range(min=0, max=30))
    # Complaints sent per client address (the public form and the lookup page together).
    rate_limit = limit_field("5 per hour;20 per day")

    @validates_schema
    def near_within_limit(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a near window as long as the whole limit."""
        if data.get("near_working_days", 0) >= data.get("limit_working_days", 15):
            raise ValidationError({"near_working_days": [
                "must be smaller than limit_working_days"]})
