"""The [web] section: session cookies and the login rate limit of the clerks' web app."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class WebSchema(Schema):
    """Sessions and sign-in of the clerks' web app."""

    # Browsers drop Secure cookies over plain HTTP except on localhost: switch off only for an
    # office network that serves the app without TLS.
    secure_cookies = fields.Boolean(load_default=True)
    session_hours = fields.Integer(load_default=10, validate=validate.Range(min=1, max=24 * 30))
    login_limit = fields.String(load_default="10 per minute;50 per hour",
                                validate=validate.Regexp(
                                    r"^\d+ per (second|minute|hour|day)(;\d+ per "
                                    r"(second|minute|hour|day))*$",
                                    error="expected limits such as '10 per minute;50 per hour'"))
    # memory:// suits one process; use redis://host:6379 when several workers serve the app.
    ratelimit_storage = fields.String(load_default="memory://")
