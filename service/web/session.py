"""Request-scoped database sessions and time formatting for pages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from service.runtime import Runtime


def runtime() -> Runtime:
    """The runtime of the current app."""
    return current_app.extensions["tthc"]


def db() -> Session:
    """The session of this request; closed when the request ends."""
    if "db_session" not in g:
        g.db_session = runtime().sessions()
    return g.db_session


def register_session(app: Flask) -> None:
    """Close the request's session at teardown and add template filters."""

    @app.teardown_appcontext
    def close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    zone = ZoneInfo(app.config["TTHC"]["timezone"])

    @app.template_filter("local")
    def local_time(value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
        return "" if value is None else value.astimezone(zone).strftime(fmt)
