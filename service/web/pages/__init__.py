"""HTML pages for clerks and citizens, registered on the app in one place."""

from __future__ import annotations

from flask import Flask

from service.complaints import complaint_class
from service.deadlines.explanation import format_duration
from service.dossiers.classes import badge
from service.formats import show_day, vn_number
from service.models import Procedure
from service.privacy import Field, mask_name
from service.users.accounts import action_label
from service.web.pages import (
    access,
    admin,
    auth,
    citizen_complaints,
    complaints,
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
BLUEPRINTS = (home, auth, dashboard, dossiers, extension, reports, imports, admin, lookup,
              citizen_complaints, complaints)


def limit_text(procedure: Procedure) -> str:
    """A procedure's statutory limit for a page: '3 ngày làm việc', 'Trong ngày'."""
    text = procedure.limit_unit.describe(procedure.limit_value)
    return text[:1].upper() + text[1:]


def register(app: Flask) -> None:
    """Register the pages and the helpers their templates use (cookies and CSRF are set up by
    service.web.security, once for the whole app)."""
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    app.context_processor(access.template_context)
    app.add_template_global(mask_name)
    app.add_template_global(Field)
    app.add_template_global(badge, "deadline_badge")
    app.add_template_global(limit_text)
    app.add_template_global(lambda c, at: complaint_class(c.is_open, c.due_at, c.near_at, at),
                            "complaint_class")
    app.add_template_global(action_label)
    app.add_template_global(format_duration, "duration")
    app.add_template_global(neighbours.payload_json)
    # Every number a template shows goes through this one filter: 1.000, 66,14%.
    app.add_template_filter(vn_number, "num")
    app.add_template_filter(show_day, "day")
