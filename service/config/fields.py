"""Marshmallow fields for the values config.toml holds."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields

TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class TomlDate(fields.Field):
    """A calendar date written as a TOML date (2026-01-02) or an ISO string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            raise ValidationError("expected a date such as 2026-01-02, not a date and time")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise ValidationError("expected a date such as 2026-01-02")


class ClockTime(fields.String):
    """A wall-clock time written HH:MM."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not TIME_RE.match(text):
            raise ValidationError("expected a time HH:MM such as 15:00")
        return text


class TimeRange(fields.String):
    """An interval of office hours written HH:MM-HH:MM, start before end."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        start, _, end = text.partition("-")
        if not (TIME_RE.match(start) and TIME_RE.match(end)) or start >= end:
            raise ValidationError("expected office hours HH:MM-HH:MM such as 07:30-11:30")
        return text


class TimeZoneName(fields.String):
    """An IANA time-zone name such as Asia/Ho_Chi_Minh."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("expected an IANA time zone such as Asia/Ho_Chi_Minh") from None
        return text


def nested(schema: type[Schema]) -> fields.Nested:
    """A sub-table that may be left out: then every key takes its default."""
    return fields.Nested(schema, load_default=lambda: schema().load({}))
