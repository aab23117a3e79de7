"""Whole-app hardening: security headers, cookie flags, request limits, rate limiting."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import logging
import re
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many

from service.web.proxy import TrustedProxy
from service.web.ratelimit import MemoryFallback, storage_options, storage_uri
from service.web.session import config

log = logging.getLogger(__name__)

# No inline scripts anywhere: pages load their scripts from /static, so an injected <script>
# cannot run. Inline SVG charts must use presentation attributes, not style="".
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
# Swagger UI sets style attributes from JavaScript; its page alone may use inline styles.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATH = "/api/docs"
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# One limiter for the app; routes add their own limits, nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Where each app keeps its MemoryFallback: hit_limits counts there while the store is down.
FALLBACK = "tthc-limits-fallback"
# Blueprints whose routes count their own requests with hit_limits (the citizen lookup):
# the limiter's middleware skips them before resolving any limit, which on a hot route cost
# more than the lookup's query.
SELF_COUNTED: set[str] = set()


@limiter.request_filter
def _self_counted() -> bool:
    return request.blueprint in SELF_COUNTED


@functools.lru_cache(maxsize=64)
def parse_limits(text: str) -> tuple[RateLimitItem, ...]:
    """'10 per minute;60 per hour' as limit items (parsed once per distinct text)."""
    return tuple(parse_many(text))


def hit_limits(text: str, *key: str) -> bool:
    """Count one request against each limit for `key`; False once any of them is exceeded.

    A direct use of the limiter's storage for hot routes, where @limiter.limit's per-request
    bookkeeping costs more than the route itself (see bench/lookup.py). While the storage is
    unreachable the counting goes on in memory (MemoryFallback): these limits fail closed.
    """
    items = parse_limits(text)
    return current_app.extensions[FALLBACK].run(
        limiter.limiter, lambda counter: all([counter.hit(item, *key) for item in items]), key[0])


def within_limits(text: str, *key: str) -> bool:
    """Whether one more request for `key` would stay within every limit (counts nothing)."""
    items = parse_limits(text)
    return current_app.extensions[FALLBACK].run(
        limiter.limiter, lambda counter: all(counter.test(item, *key) for item in items), key[0])


# Query values that are secrets or personal data, and bearer tokens, wherever a log line holds them.
SECRET_RE = re.compile(r"(?i)((?:factor|token|password)=)[^&\s\"']+|(tthc_)[A-Za-z0-9_\-]{8,}")
# Access logs of the servers this app runs under; their lines carry the query string.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "waitress")


class RedactSecrets(logging.Filter):
    """Blank the lookup factor, passwords and API tokens out of log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drop it."""
        message = record.getMessage()
        redacted = SECRET_RE.sub(lambda m: (m.group(1) or m.group(2)) + "…", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


PLAIN_HTTP_SEEN = ("a client at %s reached this server over plain HTTP: passwords and session "
                   "cookies cross the network unencrypted; outside a closed office LAN put a TLS "
                   "proxy in front (README, 'Vận hành')")


@functools.lru_cache(maxsize=256)
def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def init_security(app: Flask) -> None:
    """Apply the [security] configuration: proxies, limits, cookies, headers and the limiter."""
    settings = config(app)
    options, web = settings.security, settings.web
    app.wsgi_app = TrustedProxy(app.wsgi_app,  # type: ignore[method-assign]
                                options.trusted_proxy, options.proxy_hops)
    app.config.update(
        MAX_CONTENT_LENGTH=options.max_request_kb * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=web.secure_cookies is True,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=web.session_hours),
        # Checked per blueprint by access.protect_forms, so API tokens need no form token.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A form token lives as long as a session may: a captured one stops working, while a
        # form left open for a whole working day still submits.
        WTF_CSRF_TIME_LIMIT=web.session_hours * 3600,
        RATELIMIT_STORAGE_URI=storage_uri(web.ratelimit_storage),
        RATELIMIT_STORAGE_OPTIONS=storage_options(web.ratelimit_storage),
        # If Redis goes away the site keeps answering, limited per process meanwhile.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        # X-RateLimit-* headers cost a storage read per limit on every answer; the 429 page
        # and JSON message say what happened.
        RATELIMIT_HEADERS_ENABLED=False,
    )
    limiter.init_app(app)
    app.extensions[FALLBACK] = MemoryFallback()
    init_csrf(app)
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
    hsts = f"max-age={options.hsts_max_age}; includeSubDomains" if options.hsts else None
    told: list[str] = []

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        if not told and request.scheme == "http" and not _loopback(request.remote_addr):
            # Whatever serves the app (serve warns at start-up; gunicorn's bind is its own),
            # the operator hears once per process that clients arrive without TLS.
            told.append(request.remote_addr or "")
            log.warning(PLAIN_HTTP_SEEN, request.remote_addr)
        return secure_response(response, hsts)


def init_csrf(app: Flask) -> None:
    """Enable Flask-WTF CSRF checks for the blueprints that ask for them (protect_forms)."""
    from service.web.pages.access import csrf

    if "csrf" not in app.extensions:
        csrf.init_app(app)


def secure_response(response: Response, hsts: str | None) -> Response:
    """Add the security headers to one response."""
    headers: dict[str, Any] = response.headers  # type: ignore[assignment]
    for name, value in STATIC_HEADERS.items():
        headers.setdefault(name, value)
    headers.setdefault("Content-Security-Policy",
                       DOCS_CSP if request.path == DOCS_PATH else CSP)
    if hsts and request.is_secure:
        headers.setdefault("Strict-Transport-Security", hsts)
    # API answers carry dossier data: no shared or browser cache may keep them.
    if request.path.startswith("/api/v1/"):
        headers.setdefault("Cache-Control", "no-store")
    return response
