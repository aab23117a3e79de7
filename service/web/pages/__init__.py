"""HTML pages for clerks and citizens, registered on the app in one place."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from service.deadlines.explanation import format_duration
from service.dossiers.views import mask_name
from service.models import Dossier
from service.users.accounts import action_label
from service.vocabulary import DeadlineClass
from service.web.pages import (
    access,
    admin,
    auth,
    dashboard,
    dossiers,
    extension,
    home,
    lookup,
    neighbours,
    reports,
)

# Every page blueprint, registered in this order by `register`.
BLUEPRINTS = (home, auth, dashboard, dossiers, extension, reports, admin, lookup)


def register(app: Flask) -> None:
    """Register the pages and the helpers their templates use (cookies and CSRF are set up by
    service.web.security, once for the whole app)."""
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
