"""Wire the clerks' web app into Flask: sessions, CSRF, login limit, errors and its pages."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from service.deadlines.explanation import format_duration
from service.models import Dossier
from service.pages import (
    access,
    admin,
    auth,
    dashboard,
    dossiers,
    extension,
    neighbours,
    reports,
)
from service.status import DeadlineClass
from service.users import action_label
from service.views import mask_name

BLUEPRINTS = (auth, dashboard, dossiers, extension, reports, admin)


def register(app: Flask) -> None:
    """Set secure session cookies and CSRF, and register the pages (the login rate limit is
    counted by the app's one limiter, set up by service.security)."""
    web = app.config["TTHC"]["web"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=web["secure_cookies"],
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=web["session_hours"]),
        # Checked per blueprint by access.protect_forms, so API tokens need no form token.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    if "csrf" not in app.extensions:
        access.csrf.init_app(app)
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    app.context_processor(access.template_context)
    app.add_template_global(mask_name)
    app.add_template_global(access.mask_number)
    app.add_template_global(deadline_badge)
    app.add_template_global(action_label)
    app.add_template_global(format_duration, "duration")
    app.add_template_global(neighbours.payload_json)


def deadline_badge(row: Dossier, now: dt.datetime) -> tuple[str, str]:
    """A (css class, Vietnamese label) for where a dossier stands at `now`."""
    if not row.is_open:
        outcome = row.outcome
        return (outcome.value, outcome.label) if outcome else ("done", row.status.label)
    if row.status.is_paused:
        return DeadlineClass.PAUSED.value, DeadlineClass.PAUSED.label
    if row.due_at is not None and row.due_at < now:
        return DeadlineClass.OVERDUE.value, DeadlineClass.OVERDUE.label
    if row.near_at is not None and row.near_at <= now:
        return DeadlineClass.NEAR.value, DeadlineClass.NEAR.label
    return DeadlineClass.WITHIN.value, DeadlineClass.WITHIN.label
