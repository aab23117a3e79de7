"""The options of a spreadsheet connector and the reader they configure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate

from connectors.spreadsheet.headers import known_headers
from connectors.spreadsheet.package import Limits
from connectors.spreadsheet.rows import DayTimes, RowParser
from connectors.spreadsheet.table import Reader
from service.calendar.settings import DEFAULT_TIMEZONE

CLOCK = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="expected a time HH:MM")


def _zone(name: str | None) -> None:
    try:
        if name is not None:
            ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {name!r}") from None


class SpreadsheetOptions(Schema):
    """Options of [connectors.NAME] with type = "spreadsheet"."""

    unit_code = fields.String(required=True)
    unit_name = fields.String(load_default=None, allow_none=True)
    folder = fields.String(load_default=None, allow_none=True)
    settle_seconds = fields.Float(load_default=5.0, validate=validate.Range(min=0))
    sheet = fields.String(load_default=None, allow_none=True)
    columns = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          load_default=dict)
    status_map = fields.Dict(keys=fields.String(), values=fields.Integer(
        validate=validate.Range(min=1, max=10)), load_default=dict)
    channel_map = fields.Dict(keys=fields.String(), values=fields.Integer(
        validate=validate.Range(min=1, max=3)), load_default=dict)
    default_channel = fields.Integer(load_default=1, validate=validate.Range(min=1, max=3))
    # Unset: the close / the opening of [calendar] office_hours (the configuration fills them).
    due_time = fields.String(load_default=None, allow_none=True, validate=CLOCK)
    received_time = fields.String(load_default=None, allow_none=True, validate=CLOCK)
    timezone = fields.String(load_default=None, allow_none=True, validate=_zone)
    batch_rows = fields.Integer(load_default=500, validate=validate.Range(min=1, max=100_000))
    interval_minutes = fields.Integer(load_default=5, validate=validate.Range(min=1))
    max_rows = fields.Integer(load_default=Limits.max_rows, validate=validate.Range(min=1))
    max_cells = fields.Integer(load_default=Limits.max_cells, validate=validate.Range(min=1))
    max_shared_strings = fields.Integer(load_default=Limits.max_shared_strings,
                                        validate=validate.Range(min=1))
    max_file_mb = fields.Integer(load_default=Limits.max_bytes >> 20,
                                 validate=validate.Range(min=1, max=2048))


def make_reader(options: Mapping[str, Any]) -> Reader:
    """The reader configured by loaded options."""
    defaults = DayTimes()
    times = DayTimes(_clock(options["due_time"], defaults.due),
                     _clock(options["received_time"], defaults.other))
    zone = ZoneInfo(options["timezone"] or DEFAULT_TIMEZONE)
    limits = Limits(max_bytes=options["max_file_mb"] << 20, max_rows=options["max_rows"],
                    max_cells=options["max_cells"],
                    max_shared_strings=options["max_shared_strings"])
    return Reader(RowParser(options, zone, times), known_headers(options["columns"]), limits,
                  options["sheet"])


def _clock(text: str | None, default: dt.time) -> dt.time:
    return dt.time.fromisoformat(text) if text else default
