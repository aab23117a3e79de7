"""HTML pages for clerks and citizens, registered on the app in one place."""

from __future__ import annotations

from flask import Flask

from service.deadlines.explanation import format_duration
from service.dossiers.classes import badge
from service.dossiers.views import mask_name
from service.users.accounts import action_label
from service.web.pages import (
    access,
    admin,
    auth,
    dashboard,
    dossiers,
    extension,
    home,
    imports,
    lookup,
    neighbours,
    reports,
)

# Every page blueprint, registered in this order by `register`.
BLUEPRINTS = (home, auth, dashboard, dossiers, extension, reports, imports, admin, lookup)


def register(app: Flask) -> None:
    """Register the pages and the helpers their templates use (cookies and CSRF are set up by
    service.web.security, once for the whole app)."""
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    app.context_processor(access.template_context)
    app.add_template_global(mask_name)
    app.add_template_global(access.mask_number)
    app.add_template_global(badge, "deadline_badge")
    app.add_template_global(action_label)
    app.add_template_global(format_duration, "duration")
    app.add_template_global(neighbours.payload_json)
