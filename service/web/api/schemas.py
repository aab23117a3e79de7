"""Schema parts every resource shares: local-time instants, paging arguments and pages."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask_smorest import abort
from marshmallow import Schema, fields, validate

from service.web.session import config


class LocalDateTime(fields.DateTime):
    """An instant written in ISO 8601 in the office's time zone (+07:00)."""

    def _serialize(self, value: dt.datetime | None, attr: str | None, obj: Any,
                   **kwargs: Any) -> str | None:
        if value is None:
            return None
        zone = ZoneInfo(config().timezone)
        return super()._serialize(value.astimezone(zone), attr, obj, **kwargs)


class Labelled(fields.Field):
    """A labelled enum written as its code; the Vietnamese label goes in a sibling field."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else value.value


class LabelOf(fields.Function):
    """The Vietnamese label of a labelled enum attribute."""

    def __init__(self, attribute: str, **kwargs: Any) -> None:
        def label(obj: Any) -> str | None:
            value = obj.get(attribute) if isinstance(obj, dict) else getattr(obj, attribute)
            return None if value is None else value.label

        super().__init__(label, **kwargs)


class PageArgs(Schema):
    """Keyset paging: how many rows, and the cursor the previous page returned."""

    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=1000))
    after = fields.String(load_default=None, validate=validate.Length(max=200))


def page_size(requested: int | None) -> int:
    """The page size to use: the request's within [api] max_page_size, or the default."""
    options = config().api
    if requested is None:
        return options.page_size
    if requested > options.max_page_size:
        abort(422, message="Kích thước trang vượt giới hạn.", errors={"query": {"limit": [
            f"must be at most {options.max_page_size}"]}})
    return requested


def int_cursor(after: str | None) -> int | None:
    """Read a cursor that is a row id, or abort with a field error."""
    if after is None:
        return None
    if not after.isdigit() or len(after) > 18:
        abort(422, message="Con trỏ trang không hợp lệ.",
              errors={"query": {"after": ["not a cursor of this list"]}})
    return int(after)
