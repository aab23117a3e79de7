"""The [portal] section: how dossiers are mirrored to the National Public Service Portal."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.config.credentials import secret_file_field
from service.config.fields import TomlDate

AGENCY_CODE = validate.Regexp(r"^[0-9A-Z]+(\.[0-9A-Z]+)+$",
                              error="expected an agency code such as 000.32.26.H26")
# Portal messages that no retry will cure; anything else non-zero is retried with backoff.
PERMANENT_ERRORS = ["không tồn tại", "không hợp lệ", "không đúng định dạng", "chưa được ánh xạ",
                    "chưa ánh xạ", "sai định dạng"]
# Messages by which gateways say the session token expired (besides HTTP 401/403).
AUTH_ERRORS = ["session", "phiên làm việc", "phiên đăng nhập", "token", "chưa đăng nhập"]


class PortalUnitSchema(Schema):
    """How one of our units is known on the portal."""

    madonvi = fields.String(load_default=None, allow_none=True, validate=AGENCY_CODE)
    # Appended to the national procedure code: 1.001193 -> 1.001193.000.00.00.H26.
    procedure_suffix = fields.String(load_default=None, allow_none=True,
                                     validate=validate.Regexp(r"^(\.[0-9A-Z]+)*$"))


class NotRequiredRuleSchema(Schema):
    """Dossiers the commune is not expected to sync; every criterion given must match."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    procedures = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None)
    units = fields.List(fields.String(validate=AGENCY_CODE), load_default=None)
    channels = fields.List(fields.Integer(validate=validate.OneOf([1, 2, 3])),
                           load_default=None)
    received_before = TomlDate(load_default=None)

    @validates_schema
    def has_a_criterion(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a rule that would match every dossier by accident."""
        if not any(data.get(key) for key in ("procedures", "units", "channels",
                                              "received_before")):
            raise ValidationError(
                "give at least one of procedures, units, channels, received_before")


class RetrySchema(Schema):
    """Per-dossier retry after a transient failure: exponential backoff with jitter."""

    base_seconds = fields.Integer(load_default=60, validate=validate.Range(min=1))
    max_seconds = fields.Integer(load_default=6 * 3600, validate=validate.Range(min=1))
    # Each delay is drawn in [delay * (1 - jitter), delay] so retries of many dossiers spread.
    jitter = fields.Float(load_default=0.5, validate=validate.Range(min=0, max=1))
    # After this many gateway faults in a row a run stops: the gateway is down, not the dossier.
    max_consecutive_failures = fields.Integer(load_default=3, validate=validate.Range(min=1))


class PortalSchema(Schema):
    """Mirror of dossiers to DVCQG through the province's integration gateway."""

    mode = fields.String(load_default="record", validate=validate.OneOf(["record", "live"]))
    gateway_url = fields.String(load_default="", validate=validate.Regexp(
        r"^(https?://\S+)?$", error="expected an http(s) URL"))
    auth_path = fields.String(load_default="/auth")
    username = fields.String(load_default="")
    # Name of the environment variable holding the password (never the password itself).
    password_env = fields.String(load_default="DVCQG_PASSWORD", validate=validate.Regexp(
        r"^[A-Z][A-Z0-9_]*$", error="expected a variable name such as DVCQG_PASSWORD"))
    password_file = secret_file_field()
    dstcode = fields.String(load_default="DVCQG_ADAPTER")
    units = fields.Dict(keys=fields.String(validate=AGENCY_CODE),
                        values=fields.Nested(PortalUnitSchema), load_default=dict)
    connect_timeout_s = fields.Float(load_default=5, validate=validate.Range(min=0.01, max=120))
    read_timeout_s = fields.Float(load_default=30, validate=validate.Range(min=0.01, max=600))
    # The gateway keeps a session about 10 minutes; renew a little earlier.
    session_minutes = fields.Integer(load_default=9, validate=validate.Range(min=1, max=1440))
    retry = fields.Nested(RetrySchema, load_default=lambda: RetrySchema().load({}))
    batch_size = fields.Integer(load_default=200, validate=validate.Range(min=1, max=10_000))
    rescan_overlap_minutes = fields.Integer(load_default=60, validate=validate.Range(min=0))
    permanent_errors = fields.List(fields.String(validate=validate.Length(min=1)),
                                   load_default=lambda: list(PERMANENT_ERRORS))
    auth_errors = fields.List(fields.String(validate=validate.Length(min=1)),
                              load_default=lambda: list(AUTH_ERRORS))
    # DuocThanhToanTrucTuyen for a dossier paid online: 1 on the portal, 2 provincial gateway.
    paid_online_code = fields.String(load_default="1", validate=validate.OneOf(["1", "2", "3"]))
    default_actor = fields.String(load_default="Cán bộ một cửa",
                                  validate=validate.Length(min=1, max=50))
    not_required = fields.List(fields.Nested(NotRequiredRuleSchema), load_default=list)
    reconcile_sample = fields.Integer(load_default=50, validate=validate.Range(min=0))
    interval_minutes = fields.Integer(load_default=2, validate=validate.Range(min=1))
    reconcile_interval_minutes = fields.Integer(load_default=60, validate=validate.Range(min=1))

    @validates_schema
    def live_needs_a_gateway(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse live mode without the gateway address and account."""
        if data.get("mode") != "live":
            return
        for key in ("gateway_url", "username"):
            if not data.get(key):
                raise ValidationError({key: ["required when mode = \"live\""]})
