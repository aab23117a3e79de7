"""The [retention] section: how long operational history and personal data are kept."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


def _days(default: int) -> fields.Integer:
    return fields.Integer(load_default=default, validate=validate.Range(min=0, max=36_500))


class RetentionSchema(Schema):
    """Pruning of runs, outbox and alerts, and masking of old dossiers' applicants (0: keep)."""

    outbox_days = _days(90)
    runs_days = _days(180)
    alerts_days = _days(365)
    # Dossiers finished this many years ago keep counts and verdicts but lose the applicant's
    # identity; set it to the period the commune's archive list gives its dossier records.
    personal_data_years = fields.Integer(load_default=5, validate=validate.Range(min=0, max=100))
