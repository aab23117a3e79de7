"""The marshmallow schema of config.toml: every key, its type and its default."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from service.config.alerts import AlertsSchema
from service.config.complaints import ComplaintsSchema
from service.config.credentials import secret_file_field
from service.config.fields import ClockTime, TimeRange, TimeZoneName, TomlDate
from service.config.notices import NoticesSchema
from service.config.portal import PortalSchema
from service.config.reports import ReportsSchema
from service.config.retention import RetentionSchema
from service.config.scheduler import JobsField, SchedulerSchema
from service.config.security import ApiSchema, LookupSchema, SecuritySchema
from service.config.web import WebSchema


class DayOverrideSchema(Schema):
    """One extra day off or extra working day, with the reason clerks will read."""

    date = TomlDate(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CalendarSchema(Schema):
    """Working-calendar overrides applied on top of the holidays package."""

    extra_days_off = fields.List(fields.Nested(DayOverrideSchema), load_default=list)
    extra_working_days = fields.List(fields.Nested(DayOverrideSchema), load_default=list)
    saturday_is_working = fields.Boolean(load_default=False)
    office_hours = fields.List(
        TimeRange(), load_default=lambda: ["07:30-11:30", "13:30-17:00"],
        validate=validate.Length(min=1),
    )
    cutoff = ClockTime(load_default="15:00")

    @validates_schema
    def no_day_both_off_and_working(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a date listed both as a day off and as a working day."""
        off = {item["date"] for item in data.get("extra_days_off", [])}
        for index, item in enumerate(data.get("extra_working_days", [])):
            if item["date"] in off:
                raise ValidationError(
                    {"extra_working_days": {index: {"date": [
                        f"{item['date']} is also listed in extra_days_off"]}}}
                )
        hours = sorted(data.get("office_hours", []))
        for earlier, later in zip(hours, hours[1:], strict=False):
            if earlier.split("-")[1] > later.split("-")[0]:
                raise ValidationError({"office_hours": [f"{earlier} overlaps {later}"]})


class DeadlinesSchema(Schema):
    """How the deadline engine classifies and reports."""

    near_fraction = fields.Float(load_default=0.2, validate=validate.Range(min=0, max=1))
    extension_counts_late = fields.Boolean(load_default=True)
    report_due = fields.String(
        load_default="source", validate=validate.OneOf(["source", "statutory"])
    )


class ServerSchema(Schema):
    """Where `tthc-monitor serve` listens."""

    host = fields.String(load_default="127.0.0.1")
    port = fields.Integer(load_default=8080, validate=validate.Range(min=1, max=65535))
    threads = fields.Integer(load_default=8, validate=validate.Range(min=1, max=64))


class UnitSchema(Schema):
    """An agency the deployment serves (a commune, or a division of it)."""

    code = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9A-Z]+(\.[0-9A-Z]+)+$", error="expected an agency code such as 000.32.26.H26"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    parent = fields.String(load_default=None, allow_none=True)
    # Where letters are dated ("Thanh Miện, ngày …"); empty: the unit's name without its
    # "UBND xã" prefix.
    place = fields.String(load_default="", validate=validate.Length(max=100))
    # The agency that issues letters for a handling body; a body not listed (a post such as
    # "Công chức Tư pháp - Hộ tịch") writes in the unit's own name.
    agencies = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=255)),
                           values=fields.String(validate=validate.Length(min=1, max=255)),
                           load_default=dict)


class ConnectorsField(fields.Dict):
    """Connector instances keyed by name; each is validated by its type's own schema."""

    def __init__(self, types: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), load_default=dict, **kwargs)
        self.types = types or {}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        tables = super()._deserialize(value, attr, data, **kwargs)
        types = self.types
        result: dict[str, Any] = {}
        for name, table in tables.items():
            if not isinstance(table, dict):
                raise ValidationError({name: ["expected a table"]})
            kind = table.get("type")
            if kind not in types:
                raise ValidationError({name: {"type": [
                    f"expected one of {', '.join(sorted(types))}"]}})
            try:
                result[name] = {"type": kind, **types[kind].options_schema().load(
                    {k: v for k, v in table.items() if k != "type"})}
            except ValidationError as exc:
                raise ValidationError({name: exc.messages}) from None
        return result


class RootSchema(Schema):
    """The whole configuration file."""

    timezone = TimeZoneName(load_default="Asia/Ho_Chi_Minh")
    database_url = fields.String(load_default="sqlite:///var/tthc-monitor.db")
    # Judged where it signs sessions (service/config/secret_key.py): serve refuses a weak one.
    secret_key = fields.String(load_default="dev-only-change-me")
    secret_key_file = secret_file_field()
    log_level = fields.String(load_default="INFO",
                              validate=validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR"]))
    # "text": one line per event, local time with offset; "json": one JSON object per line.
    log_format = fields.String(load_default="text", validate=validate.OneOf(["text", "json"]))
    server = fields.Nested(ServerSchema, load_default=lambda: ServerSchema().load({}))
    scheduler = fields.Nested(SchedulerSchema, load_default=lambda: SchedulerSchema().load({}))
    alerts = fields.Nested(AlertsSchema, load_default=lambda: AlertsSchema().load({}))
    notices = fields.Nested(NoticesSchema, load_default=lambda: NoticesSchema().load({}))
    calendar = fields.Nested(CalendarSchema, load_default=lambda: CalendarSchema().load({}))
    deadlines = fields.Nested(DeadlinesSchema, load_default=lambda: DeadlinesSchema().load({}))
    units = fields.List(fields.Nested(UnitSchema), load_default=list)
    connectors = ConnectorsField()
    portal = fields.Nested(PortalSchema, load_default=lambda: PortalSchema().load({}))
    web = fields.Nested(WebSchema, load_default=lambda: WebSchema().load({}))
    reports = fields.Nested(ReportsSchema, load_default=lambda: ReportsSchema().load({}))
    security = fields.Nested(SecuritySchema, load_default=lambda: SecuritySchema().load({}))
    api = fields.Nested(ApiSchema, load_default=lambda: ApiSchema().load({}))
    lookup = fields.Nested(LookupSchema, load_default=lambda: LookupSchema().load({}))
    retention = fields.Nested(RetentionSchema, load_default=lambda: RetentionSchema().load({}))
    complaints = fields.Nested(ComplaintsSchema,
                               load_default=lambda: ComplaintsSchema().load({}))

    @post_load
    def connectors_follow_the_office(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Fill connector times left unset from the root: the zone and [calendar] office hours.

        A date without a time in an import means the close of office hours for a due date and
        the opening for the others, so those follow `office_hours` unless set on the connector.
        """
        inherited = office_times(data["timezone"], data["calendar"]["office_hours"])
        for options in data["connectors"].values():
            for key, value in inherited.items():
                if key in options and options[key] is None:
                    options[key] = value
        return data


def office_times(timezone: str, office_hours: Sequence[str]) -> dict[str, str]:
    """The zone, and the opening and close of [calendar] office_hours ("HH:MM-HH:MM")."""
    hours = sorted(office_hours)
    return {"timezone": timezone, "due_time": hours[-1].split("-")[1],
            "received_time": hours[0].split("-")[0]}

def root_schema(job_names: frozenset[str], connector_types: Mapping[str, Any]) -> RootSchema:
    """The schema of the whole file, knowing the caller's job names and connector types.

    The core never imports the scheduler or the connectors; the entry point that does passes
    what the [scheduler.jobs] and [connectors] tables may name.
    """

    class Scheduler(SchedulerSchema):
        jobs = JobsField(job_names)

    class Root(RootSchema):
        scheduler = fields.Nested(Scheduler, load_default=lambda: Scheduler().load({}))
        connectors = ConnectorsField(connector_types)

    return Root()
