"""Request-scoped database sessions, session cookies that follow the scheme, time formatting."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.orm import Session

from service.config.settings import Settings
from service.runtime import Runtime


def runtime() -> Runtime:
    """The runtime of the current app."""
    return current_app.extensions["tthc"]


def config(app: Flask | None = None) -> Settings:
    """The typed configuration of the current app (or of `app`, while it is being built)."""
    return (app or current_app).extensions["tthc"].config


def db() -> Session:
    """The session of this request; closed when the request ends."""
    if "db_session" not in g:
        g.db_session = runtime().sessions()
    return g.db_session


class SchemeCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure per request under [web] secure_cookies.

    With "auto" the cookie is Secure when the request arrived over HTTPS (as seen through
    [security] trusted_proxy) or was addressed to the host of an https [lookup] public_url (it
    came through the site's TLS proxy even if that proxy's headers are not trusted). A clerk
    on the office LAN at http://192.168.1.10:8080 then keeps a session, which a browser would
    otherwise drop, while the public site's cookies never travel in clear.
    """

    def __init__(self, mode: bool | str, public_url: str) -> None:
        self.mode = mode
        parts = urlsplit(public_url)
        self.public_host = parts.hostname if parts.scheme == "https" else None

    def get_cookie_secure(self, app: Flask) -> bool:
        """Whether this response's session cookie is marked Secure."""
        if isinstance(self.mode, bool):
            return self.mode
        if request.is_secure:
            return True
        return (self.public_host is not None
                and urlsplit(f"//{request.host}").hostname == self.public_host)


def register_session(app: Flask) -> None:
    """Close the request's session at teardown, set the cookie policy, add template filters."""
    settings = config(app)
    app.session_interface = SchemeCookieSessionInterface(settings.web.secure_cookies,
                                                         settings.lookup.public_url)

    @app.teardown_appcontext
    def close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    zone = ZoneInfo(settings.timezone)

    @app.template_filter("local")
    def local_time(value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
        return "" if value is None else value.astimezone(zone).strftime(fmt)
