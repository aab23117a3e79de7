"""The [notices] section: SMS and Zalo notices to citizens, their channels and credentials.

Credentials are never written in the file: each is a reference, {env = "NAME"} or
{file = "/run/secrets/name"}, resolved when the senders are built.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.config.fields import nested

KINDS = ("received", "supplement", "apology", "result", "refused", "answer")
# Clerk alerts may use the same ZNS account with a template of their own.
TEMPLATE_KINDS = (*KINDS, "alert")
CHANNELS = ("zalo_zns", "sms")
# Values a message can carry (ZNS template fields map to these names).
VALUES = ("office", "code", "procedure", "applicant", "received_date", "due_date",
          "new_due_date", "missing", "reason", "secret", "lookup_url", "status", "text",
          "subject", "count", "dossier_code", "answer", "answered_date")
PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z][a-z0-9_]*))?\}")
REQUEST_VALUES = ("phone", "text", "request_id")
# Parameter names that carry a credential: their value must come from a secret reference.
CREDENTIAL = re.compile(r"key|secret|pass|token|auth|signature", re.IGNORECASE)
URL = validate.Regexp(r"^(https?://\S+)?$", error="expected an http:// or https:// URL")
NAME = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="expected a lowercase name such as api_key")


class SecretRefSchema(Schema):
    """Where a credential is read: an environment variable or a file, never the value."""

    env = fields.String(validate=validate.Regexp(
        r"^[A-Za-z_][A-Za-z0-9_]*$", error="expected an environment variable name"))
    file = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a reference that names neither or both places."""
        if ("env" in data) == ("file" in data):
            raise ValidationError('give exactly one of env = "NAME" or file = "/path"')


class Pattern(fields.String):
    """A regular expression searched in a provider's answer."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            re.compile(text)
        except re.error as exc:
            raise ValidationError(f"not a regular expression: {exc}") from None
        return text


def _patterns() -> fields.List:
    return fields.List(Pattern(), load_default=list)


def _secret_ref() -> fields.Nested:
    return fields.Nested(SecretRefSchema, load_default=None, allow_none=True)


class SmsSchema(Schema):
    """An HTTP SMS gateway as Vietnamese brandname providers offer; an empty url turns it off."""

    url = fields.String(load_default="", validate=URL)
    method = fields.String(load_default="POST", validate=validate.OneOf(["GET", "POST"]))
    # How POST parameters travel: a JSON object or an HTML form.
    body = fields.String(load_default="json", validate=validate.OneOf(["json", "form"]))
    params = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    headers = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    # "USER:PASSWORD" with placeholders, e.g. "{secret:token}:x" for SpeedSMS.
    basic_auth = fields.String(load_default="")
    secrets = fields.Dict(keys=fields.String(validate=NAME),
                          values=fields.Nested(SecretRefSchema), load_default=dict)
    success = Pattern(load_default="")
    duplicate = _patterns()
    quota = _patterns()
    recipient_errors = _patterns()
    phone_format = fields.String(load_default="0", validate=validate.OneOf(["0", "84"]))
    diacritics = fields.Boolean(load_default=False)
    max_length = fields.Integer(load_default=306, validate=validate.Range(min=70, max=1600))
    timeout_s = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=120))

    @validates_schema
    def placeholders(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Check every placeholder, that credentials come from secrets, and the success test."""
        if not data.get("url"):
            return
        if not data.get("success"):
            raise ValidationError({"success": ["required: a pattern found in an accepted answer"]})
        secrets = set(data.get("secrets", {}))
        used: set[str] = set()
        for section in ("params", "headers"):
            for key, value in data.get(section, {}).items():
                _check_value(section, key, value, secrets, used)
        if data.get("basic_auth"):
            _check_value("basic_auth", "", data["basic_auth"], secrets, used)
        for needed in ("phone", "text"):
            if needed not in used:
                raise ValidationError({"params": [f"no parameter carries {{{needed}}}"]})


def _check_value(section: str, key: str, value: Any, secrets: set[str], used: set[str]) -> None:
    """Raise for a bad placeholder, an unknown secret or a credential written in clear."""
    where = f"{section}.{key}" if key else section
    texts = value if isinstance(value, list) else [value]
    if not all(isinstance(t, str | int | bool) for t in texts):
        raise ValidationError({section: {key: ["expected text, a number or a list of text"]}})
    found = [m for t in texts if isinstance(t, str) for m in PLACEHOLDER.finditer(t)]
    for match in found:
        name, secret = match.groups()
        if name == "secret" and secret in secrets:
            used.add(f"secret:{secret}")
        elif name == "secret":
            raise ValidationError({section: {key: [
                f"{{secret:{secret}}} names no entry of [notices.sms.secrets]"]}})
        elif name in REQUEST_VALUES and secret is None:
            used.add(name)
        else:
            raise ValidationError({section: {key: [
                f"unknown placeholder {match.group(0)}; expected {{phone}}, {{text}}, "
                "{request_id} or {secret:NAME}"]}})
    credential = section == "basic_auth" or CREDENTIAL.search(key)
    if credential and not any(m.group(1) == "secret" for m in found):
        raise ValidationError({section: {key or "value": [
            f"{where} carries a credential: write {{secret:NAME}} and give NAME under "
            '[notices.sms.secrets] as {env = "VARIABLE"} or {file = "/path"}']}})


class ZaloTemplateSchema(Schema):
    """A ZNS template Zalo approved, and which value fills each of its parameters."""

    template_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    fields_ = fields.Dict(data_key="fields", attribute="fields", keys=fields.String(),
                          values=fields.String(validate=validate.OneOf(VALUES)),
                          required=True, validate=validate.Length(min=1))


class ZaloSchema(Schema):
    """The Zalo Notification Service through the commune's Official Account; no app_id: off."""

    app_id = fields.String(load_default="")
    secret_key = _secret_ref()
    # The first refresh token, from authorising the OA; later ones live in the database.
    refresh_token = _secret_ref()
    send_url = fields.String(load_default="https://business.openapi.zalo.me/message/template",
                             validate=URL)
    token_url = fields.String(load_default="https://oauth.zaloapp.com/v4/oa/access_token",
                              validate=URL)
    timeout_s = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=120))
    templates = fields.Dict(keys=fields.String(validate=validate.OneOf(TEMPLATE_KINDS)),
                            values=fields.Nested(ZaloTemplateSchema), load_default=dict)

    @validates_schema
    def credentials(self, data: dict[str, Any], **kwargs: Any) -> None:
        """An OA needs its app secret and a first refresh token."""
        if not data.get("app_id"):
            return
        for key in ("secret_key", "refresh_token"):
            if not data.get(key):
                raise ValidationError({key: [
                    'required with app_id: {env = "VARIABLE"} or {file = "/path"}']})


class NoticeRetrySchema(Schema):
    """How a notice that could not be sent is retried: exponential backoff, then given up."""

    attempts = fields.Integer(load_default=8, validate=validate.Range(min=1, max=100))
    backoff_seconds = fields.Integer(load_default=300, validate=validate.Range(min=1))
    max_backoff_seconds = fields.Integer(load_default=21600, validate=validate.Range(min=1))


class NoticesSchema(Schema):
    """Notices to citizens about their dossier by Zalo (ZNS) and SMS."""

    enabled = fields.Boolean(load_default=False)
    # Tried in this order; the next is used when the first cannot reach the citizen.
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)),
                           load_default=lambda: list(CHANNELS), validate=validate.Length(min=1))
    events = fields.List(fields.String(validate=validate.OneOf(KINDS)),
                         load_default=lambda: list(KINDS))
    office_hours_only = fields.Boolean(load_default=True)
    consent = fields.String(load_default="unless_refused",
                            validate=validate.OneOf(["unless_refused", "required"]))
    max_event_age_hours = fields.Integer(load_default=72, validate=validate.Range(min=1,
                                                                                  max=2160))
    recheck_minutes = fields.Integer(load_default=60, validate=validate.Range(min=0, max=1440))
    office_name = fields.String(load_default="", validate=validate.Length(max=100))
    lookup_url = fields.String(load_default="", validate=URL)
    retry = nested(NoticeRetrySchema)
    sms = nested(SmsSchema)
    zalo_zns = nested(ZaloSchema)

    @validates_schema
    def channels_configured(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a channel that is listed but not set up, and a channel listed twice."""
        listed = data.get("channels", [])
        if len(set(listed)) != len(listed):
            raise ValidationError({"channels": ["a channel is listed twice"]})
        if not data.get("enabled"):
            return
        for name in listed:
            if name == "sms" and not data["sms"]["url"]:
                raise ValidationError({"channels": [
                    "'sms' is listed but [notices.sms] has no url"]})
            if name == "zalo_zns" and not data["zalo_zns"]["app_id"]:
                raise ValidationError({"channels": [
                    "'zalo_zns' is listed but [notices.zalo_zns] has no app_id"]})


def configured_channels(section: Any) -> tuple[str, ...]:
    """The notice channels typed [notices] settings set up, whether or not notices are on."""
    return tuple(name for name in CHANNELS
                 if (name == "sms" and section.sms["url"])
                 or (name == "zalo_zns" and section.zalo_zns["app_id"]))
