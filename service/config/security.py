"""The [security], [api] and [lookup] sections: hardening, API paging and the citizen lookup."""

from __future__ import annotations

import ipaddress
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

LIMIT_RE = r"^\d+ per (second|minute|hour|day)(;\s*\d+ per (second|minute|hour|day))*$"
LIMIT_ERROR = "expected limits such as '10 per minute;60 per hour'"


def limit_field(default: str) -> fields.String:
    """A Flask-Limiter limit string such as '10 per minute;60 per hour'."""
    return fields.String(load_default=default,
                         validate=validate.Regexp(LIMIT_RE, error=LIMIT_ERROR))


class Address(fields.String):
    """An IP address or network whose requests are believed, or "" for none."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            return ""
        try:
            return str(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValidationError("expected the proxy's IP address such as 127.0.0.1 (or a "
                                  "network such as 10.0.0.0/24), or \"\" for none") from None


class Network(fields.String):
    """An IP network in CIDR notation, such as 127.0.0.0/8."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return str(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValidationError("expected a network such as 127.0.0.0/8 or ::1/128") from None


class SecuritySchema(Schema):
    """Headers, request limits, reverse proxies and who may read /metrics."""

    # Strict-Transport-Security is sent only on HTTPS requests, so enabling it on a plain-HTTP
    # office network does no harm; set trusted_proxy so a TLS proxy's X-Forwarded-Proto is
    # believed.
    hsts = fields.Boolean(load_default=True)
    hsts_max_age = fields.Integer(load_default=31_536_000, validate=validate.Range(min=0))
    # The reverse proxy whose X-Forwarded-For/-Proto/-Host are believed (service/web/proxy.py),
    # and how many proxies in a row stand in front of the app; both or neither.
    trusted_proxy = Address(load_default="")
    proxy_hops = fields.Integer(load_default=0, validate=validate.Range(min=0, max=5))
    max_request_kb = fields.Integer(load_default=5120,
                                    validate=validate.Range(min=16, max=512 * 1024))
    metrics = fields.String(load_default="internal",
                            validate=validate.OneOf(["internal", "token", "off"]))
    metrics_networks = fields.List(Network(), load_default=lambda: ["127.0.0.0/8", "::1/128"])

    @validates_schema
    def proxy_needs_both_keys(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A hop count without the proxy's address (or the reverse) would trust nobody."""
        hops, proxy = data.get("proxy_hops", 0), data.get("trusted_proxy", "")
        if hops and not proxy:
            raise ValidationError(
                "set [security] trusted_proxy to the address the proxy connects from (e.g. "
                "127.0.0.1): without it no forwarded header is believed", "proxy_hops")
        if proxy and not hops:
            raise ValidationError("set [security] proxy_hops to the number of proxies in front "
                                  "(1 for one nginx)", "trusted_proxy")


class ApiSchema(Schema):
    """Paging and the per-client limit of the REST API."""

    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))
    max_page_size = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    rate_limit = limit_field("600 per minute")


class LookupSchema(Schema):
    """The public citizen lookup."""

    # Per client address, and per dossier code whoever asks: four phone digits are only 10 000
    # guesses, so the second limit stops a guesser who spreads over many addresses.
    rate_limit = limit_field("10 per minute;60 per hour")
    code_rate_limit = limit_field("20 per hour")
    # Base address printed on receipts and in their QR codes, e.g.
    # "https://dichvucong.thanhmien.gov.vn"; empty: no link (never one from the Host header).
    public_url = fields.String(load_default="", validate=validate.Regexp(
        r"^$|^https?://[^\s/]+(/[^\s]*)?$", error="expected an http(s) address or nothing"))
    ratings = fields.Boolean(load_default=True)
    # Lookup kiosks at the counter: each address in these networks has its own, higher limit
    # instead of rate_limit (a kiosk serves a queue of citizens, not one person guessing).
    kiosk_networks = fields.List(Network(), load_default=list)
    kiosk_rate_limit = limit_field("60 per minute;1000 per hour")
