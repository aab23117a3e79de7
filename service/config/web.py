"""The [web] section: session cookies, the login rate limit and lockout of the clerks' web app."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate


class CookieSecurity(fields.Field):
    """When session cookies are marked Secure: "auto" (by the request's scheme), true, false."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or value == "auto":
            return value
        raise ValidationError('expected "auto", true or false')


class WebSchema(Schema):
    """Sessions and sign-in of the clerks' web app."""

    # Browsers drop Secure cookies over plain HTTP (except on localhost), so a Secure-only
    # session makes sign-in impossible on an office LAN without TLS. "auto" marks them Secure
    # on requests that arrived over HTTPS (directly, through a trusted proxy, or addressed to
    # an https [lookup] public_url), so the same app works on the LAN and behind a TLS proxy.
    secure_cookies = CookieSecurity(load_default="auto")
    session_hours = fields.Integer(load_default=10, validate=validate.Range(min=1, max=24 * 30))
    login_limit = fields.String(load_default="10 per minute;50 per hour",
                                validate=validate.Regexp(
                                    r"^\d+ per (second|minute|hour|day)(;\d+ per "
                                    r"(second|minute|hour|day))*$",
                                    error="expected limits such as '10 per minute;50 per hour'"))
    # One account refuses every password for lockout_minutes after lockout_after failures in a
    # row, doubling with each further failure up to lockout_max_minutes (from any address).
    lockout_after = fields.Integer(load_default=5, validate=validate.Range(min=1, max=100))
    lockout_minutes = fields.Integer(load_default=1, validate=validate.Range(min=1, max=60))
    lockout_max_minutes = fields.Integer(load_default=30,
                                         validate=validate.Range(min=1, max=24 * 60))
    # argon2id cost of new password hashes (argon2-cffi's defaults); older hashes are
    # upgraded at the next sign-in. Lower them only on very small machines.
    password_time_cost = fields.Integer(load_default=3, validate=validate.Range(min=1, max=20))
    password_memory_kib = fields.Integer(load_default=65536,
                                         validate=validate.Range(min=1024, max=1048576))
    # memory:// suits one process; use redis://host:6379 when several workers serve the app.
    ratelimit_storage = fields.String(load_default="memory://")
    # On SQLite the web app reads through a memory map of up to this many MiB (0: off).
    sqlite_mmap_mb = fields.Integer(load_default=1024, validate=validate.Range(min=0, max=2047))
    # Exports clerks upload at /nhap-tep: the largest accepted, where they wait between preview
    # and confirm (never a connector's watched folder, whose files the scheduler imports on its
    # own), and how long an unconfirmed one is kept.
    upload_max_mb = fields.Integer(load_default=20, validate=validate.Range(min=1, max=2048))
    upload_folder = fields.String(load_default="var/uploads",
                                  validate=validate.Length(min=1, error="expected a folder"))
    upload_keep_hours = fields.Integer(load_default=24,
                                       validate=validate.Range(min=1, max=24 * 30))
