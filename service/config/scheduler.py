"""The [scheduler] section: the lease, the scan's look-back and each job's timing."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.config.fields import ClockTime


class JobTimingSchema(Schema):
    """When one job runs: every so many minutes or seconds, or once a day at a time."""

    enabled = fields.Boolean(load_default=True)
    every_minutes = fields.Integer(validate=validate.Range(min=1, max=24 * 60))
    every_seconds = fields.Integer(validate=validate.Range(min=1, max=24 * 3600))
    at = ClockTime()

    @validates_schema
    def one_timing(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a job given two timings at once."""
        given = [key for key in ("every_minutes", "every_seconds", "at") if key in data]
        if len(given) > 1:
            raise ValidationError({given[1]: [f"give only one of {', '.join(given)}"]})


class JobsField(fields.Dict):
    """Timings keyed by job name; a name the schedule does not know is an error."""

    def __init__(self, job_names: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), load_default=dict, **kwargs)
        self.job_names = job_names

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        tables = super()._deserialize(value, attr, data, **kwargs)
        result = {}
        for name, table in tables.items():
            if name not in self.job_names:
                raise ValidationError({name: [f"unknown job: expected one of "
                                              f"{', '.join(sorted(self.job_names))}"]})
            try:
                result[name] = JobTimingSchema().load(table)
            except ValidationError as exc:
                raise ValidationError({name: exc.messages}) from None
        return result


class SchedulerSchema(Schema):
    """The scheduler process (`tthc-monitor scheduler`)."""

    enabled = fields.Boolean(load_default=True)
    # A scheduler that stops renewing its lease (crashed, frozen) loses it after this long and
    # a waiting scheduler takes over.
    lease_seconds = fields.Integer(load_default=60, validate=validate.Range(min=2, max=3600))
    misfire_grace_seconds = fields.Integer(load_default=300,
                                           validate=validate.Range(min=1, max=86400))
    # The scan re-examines dossiers written this long before the previous scan: an ingest run
    # stamps its start on rows it may commit later than a scan that ran meanwhile.
    scan_recheck_minutes = fields.Integer(load_default=60,
                                          validate=validate.Range(min=0, max=7 * 24 * 60))
    jobs = JobsField()
