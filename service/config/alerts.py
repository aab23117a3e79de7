"""The [alerts] section: who gets which alert, on which channel, when, and how retries go."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.config.credentials import secret_file_field
from service.config.fields import ClockTime, nested

# clerk: the clerk who received the dossier; department: the handling body's contact;
# head: the head of the handling body; vice_chairman: the commune leader in charge.
ROLES = ("clerk", "department", "head", "vice_chairman")
# sms and zalo_zns use the senders set up under [notices] (Zalo with an "alert" template).
CHANNELS = ("email", "webhook", "sms", "zalo_zns")
MOBILE = r"^(\+?84|0)[35789]\d{8}$"


def _roles(default: list[str]) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(ROLES)),
                       load_default=lambda: list(default))


class RulesSchema(Schema):
    """Which recipient roles get each kind of alert."""

    near = _roles(["clerk", "department"])
    overdue = _roles(["clerk", "department", "head"])
    escalation = _roles(["vice_chairman"])
    apology = _roles(["department", "head"])
    # Complaints (phản ánh, kiến nghị): the clerk who received one and the body it went to;
    # an overdue one also reaches the commune leader, as it lowers the Decision 766 score.
    complaint_near = _roles(["clerk", "department"])
    complaint_overdue = _roles(["clerk", "department", "head", "vice_chairman"])


class RecipientSchema(Schema):
    """A person or group alerts go to, in one or more roles, scoped to units and bodies."""

    key = fields.String(validate=validate.Length(min=1, max=200))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1))
    # A clerk is matched by the name the one-stop system records as the receiving clerk.
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    email = fields.Email()
    phone = fields.String(validate=validate.Regexp(
        MOBILE, error="expected a Vietnamese mobile number such as 0912345678"))
    units = fields.List(fields.String(), load_default=list)
    handlers = fields.List(fields.String(), load_default=list)
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)),
                           load_default=lambda: ["email"], validate=validate.Length(min=1))

    @validates_schema
    def address_for_each_channel(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse e-mail without an address, and SMS or Zalo without a phone number."""
        if "email" in data.get("channels", []) and not data.get("email"):
            raise ValidationError({"email": ["required when channels include 'email'"]})
        texting = {"sms", "zalo_zns"} & set(data.get("channels", []))
        if texting and not data.get("phone"):
            raise ValidationError({"phone": [f"required when channels include '{min(texting)}'"]})


class EmailSchema(Schema):
    """SMTP server for e-mail alerts; an empty host turns the channel off."""

    host = fields.String(load_default="")
    port = fields.Integer(load_default=25, validate=validate.Range(min=1, max=65535))
    starttls = fields.Boolean(load_default=False)
    username = fields.String(load_default="")
    # The password is read from password_file, else from this environment variable; never
    # from this file.
    password_env = fields.String(load_default="TTHC_SMTP_PASSWORD")
    password_file = secret_file_field()
    sender = fields.String(load_default="tthc-monitor@localhost",
                           validate=validate.Length(min=3, max=255))
    timeout_s = fields.Float(load_default=20.0, validate=validate.Range(min=0.1, max=300))


class WebhookSchema(Schema):
    """A JSON POST channel (a chat bot); an empty url turns the channel off."""

    url = fields.String(load_default="", validate=validate.Regexp(
        r"^(https?://\S+)?$", error="expected an http:// or https:// URL"))
    # Sent as a bearer token when the variable is set.
    token_env = fields.String(load_default="TTHC_ALERT_WEBHOOK_TOKEN")
    token_file = secret_file_field()
    timeout_s = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=300))


class RetrySchema(Schema):
    """How failed deliveries are retried: exponential backoff, then given up."""

    attempts = fields.Integer(load_default=8, validate=validate.Range(min=1, max=100))
    backoff_seconds = fields.Integer(load_default=60, validate=validate.Range(min=1))
    max_backoff_seconds = fields.Integer(load_default=3600, validate=validate.Range(min=1))


class AlertsSchema(Schema):
    """Automatic alerts about dossiers near or past their due date."""

    enabled = fields.Boolean(load_default=True)
    escalation_working_days = fields.Integer(load_default=2,
                                             validate=validate.Range(min=1, max=60))
    office_hours_only = fields.Boolean(load_default=True)
    escalation_any_time = fields.Boolean(load_default=True)
    digest_threshold = fields.Integer(load_default=5, validate=validate.Range(min=0, max=10000))
    digest_at = ClockTime(load_default="07:30")
    # A scan that classifies more dossiers than this for the first time (after a bulk import;
    # the first scan of a database always) sends one summary per recipient, not an alert each.
    baseline_threshold = fields.Integer(load_default=200,
                                        validate=validate.Range(min=0, max=1_000_000))
    base_url = fields.String(load_default="", validate=validate.Regexp(
        r"^(https?://\S+)?$", error="expected an http:// or https:// URL"))
    rules = nested(RulesSchema)
    email = nested(EmailSchema)
    webhook = nested(WebhookSchema)
    retry = nested(RetrySchema)
    recipients = fields.List(fields.Nested(RecipientSchema), load_default=list)

    @validates_schema
    def unique_keys(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse two recipients that would share a key (alerts are unique per key)."""
        seen: set[str] = set()
        for index, item in enumerate(data.get("recipients", [])):
            key = recipient_key(item)
            if key in seen:
                raise ValidationError({"recipients": {index: {"key": [
                    f"{key!r} is used by an earlier recipient; give each a distinct key"]}}})
            seen.add(key)


def recipient_key(item: dict[str, Any]) -> str:
    """The stable key of a configured recipient: given, else by e-mail, else by name."""
    if item.get("key"):
        return str(item["key"])
    if item.get("email"):
        return f"email:{str(item['email']).lower()}"
    return f"name:{item['name']}"
